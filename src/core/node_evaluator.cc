#include "core/node_evaluator.h"

namespace onyx {

namespace {

class LocalKernelInfo : public KernelInfo {
 public:
  LocalKernelInfo(const Node& node, const std::vector<Value>& inputs) : node_(node), inputs_(inputs) {}
  const Node& node() const override { return node_; }
  const Tensor* ConstantInput(size_t i) const override {
    return i < inputs_.size() && inputs_[i].is_tensor() ? &inputs_[i].tensor() : nullptr;
  }
  std::shared_ptr<Subgraph> CompileSubgraph(const Graph&) const override {
    throw MakeError(ErrorCode::NotImplemented, "subgraphs cannot be evaluated outside a session");
  }

 private:
  const Node& node_;
  const std::vector<Value>& inputs_;
};

class LocalKernelContext : public KernelContext {
 public:
  LocalKernelContext(const Node& node, const std::vector<Value>& inputs, ThreadPool* pool)
      : node_(node), inputs_(inputs), outputs_(node.outputs.size()), pool_(pool) {}
  const Node& node() const override { return node_; }
  size_t num_inputs() const override { return inputs_.size(); }
  size_t num_outputs() const override { return outputs_.size(); }
  const Value* InputValue(size_t i) const override { return i < inputs_.size() ? &inputs_[i] : nullptr; }
  void SetOutput(size_t i, Value v) override { outputs_.at(i) = std::move(v); }
  ThreadPool* thread_pool() const override { return pool_; }
  const Value* LookupOuter(const std::string&) const override { return nullptr; }
  std::vector<Value> take_outputs() { return std::move(outputs_); }

 protected:
  Tensor& OutputTensorSlot(size_t i) override {
    outputs_.at(i) = Value(Tensor());
    return outputs_[i].tensor();
  }

 private:
  const Node& node_;
  const std::vector<Value>& inputs_;
  std::vector<Value> outputs_;
  ThreadPool* pool_;
};

}  // namespace

std::vector<Value> EvaluateNode(const Node& node, const std::vector<Value>& inputs, const KernelRegistry& registry,
                                const std::string& provider, ThreadPool* pool) {
  const KernelDef* def = registry.Find(provider, node.domain, node.op_type, node.opset);
  if (!def)
    throw Error(ErrorCode::NotImplemented, "no " + provider + " kernel for " + node.Describe() + " at opset " + std::to_string(node.opset));
  LocalKernelInfo info(node, inputs);
  auto kernel = def->factory(info);
  LocalKernelContext ctx(node, inputs, pool);
  kernel->Compute(ctx);
  return ctx.take_outputs();
}

}  // namespace onyx
