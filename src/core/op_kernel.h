#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "onyx/error.h"
#include "onyx/value.h"

namespace onyx {

class ThreadPool;
class KernelContext;
class HostBlockCache;
class ExecutionProvider;

// A compiled subgraph (If branch, Loop/Scan body) that a kernel can run. Created once with the
// kernel; run with per-call inputs; outer-scope values come from the running frame.
class Subgraph {
 public:
  virtual ~Subgraph() = default;
  virtual const Graph& graph() const = 0;
  virtual std::vector<Value> Run(KernelContext& ctx, const std::vector<Value>& inputs) const = 0;
};

// What a kernel sees at creation: its node (attributes, opset), constant inputs, and a way to
// compile subgraphs. Kernels are created once per session.
class KernelInfo {
 public:
  virtual ~KernelInfo() = default;
  virtual const Node& node() const = 0;
  // The tensor of input i if it is an initializer (constant for the session), else nullptr.
  virtual const Tensor* ConstantInput(size_t i) const = 0;
  virtual std::shared_ptr<Subgraph> CompileSubgraph(const Graph& g) const = 0;
  // The provider the kernel is created for; nullptr means the host CPU.
  virtual const ExecutionProvider* provider() const { return nullptr; }

  int64_t opset() const { return node().opset; }
  size_t num_inputs() const { return node().inputs.size(); }
  size_t num_outputs() const { return node().outputs.size(); }
  bool has_input(size_t i) const { return i < node().inputs.size() && !node().inputs[i].empty(); }
  bool has_output(size_t i) const { return i < node().outputs.size() && !node().outputs[i].empty(); }

  bool HasAttribute(const std::string& name) const { return node().FindAttribute(name) != nullptr; }
  // Typed getters: return the default when absent, throw InvalidGraph when of another type.
  int64_t GetInt(const std::string& name, int64_t dflt) const;
  float GetFloat(const std::string& name, float dflt) const;
  std::string GetString(const std::string& name, const std::string& dflt) const;
  std::vector<int64_t> GetInts(const std::string& name, std::vector<int64_t> dflt = {}) const;
  std::vector<float> GetFloats(const std::string& name, std::vector<float> dflt = {}) const;
  std::vector<std::string> GetStrings(const std::string& name, std::vector<std::string> dflt = {}) const;
  const Tensor* GetTensor(const std::string& name) const;
  const Graph* GetGraph(const std::string& name) const;
  // Required variants throw InvalidGraph naming the node when absent.
  int64_t RequireInt(const std::string& name) const;
  const Attribute& Require(const std::string& name, Attribute::Type type) const;

  // An onyx::Error whose message names this node.
  Error MakeError(ErrorCode code, const std::string& what) const;
};

// What a kernel sees when it runs.
class KernelContext {
 public:
  virtual ~KernelContext() = default;
  virtual const Node& node() const = 0;
  virtual size_t num_inputs() const = 0;
  virtual size_t num_outputs() const = 0;
  // nullptr for an omitted optional input.
  virtual const Value* InputValue(size_t i) const = 0;
  virtual void SetOutput(size_t i, Value v) = 0;
  virtual ThreadPool* thread_pool() const = 0;
  // A value visible in the running frame or its enclosing frames (for subgraphs).
  virtual const Value* LookupOuter(const std::string& name) const = 0;
  virtual bool terminated() const { return false; }
  // The provider running the kernel (outputs are allocated in its memory); nullptr: host CPU.
  virtual const ExecutionProvider* provider() const { return nullptr; }
  // Where host outputs take their memory from; nullptr: straight from the heap.
  virtual HostBlockCache* host_block_cache() const { return nullptr; }

  bool has_input(size_t i) const {
    const Value* v = i < num_inputs() ? InputValue(i) : nullptr;
    return v && !v->is_none();
  }
  bool has_output(size_t i) const { return i < node().outputs.size() && !node().outputs[i].empty(); }
  // The tensor of input i; throws naming the node and input if absent or not a tensor.
  const Tensor& Input(size_t i) const;
  // nullptr if input i is omitted.
  const Tensor* OptionalInput(size_t i) const;
  // Allocates output i in the running provider's memory and returns it for writing.
  Tensor& Output(size_t i, DataType dtype, const std::vector<int64_t>& shape);
  void SetOutput(size_t i, Tensor t) { SetOutput(i, Value(std::move(t))); }

  Error MakeError(ErrorCode code, const std::string& what) const;

 protected:
  virtual Tensor& OutputTensorSlot(size_t i) = 0;
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual void Compute(KernelContext& ctx) const = 0;
  // Whether Compute() never reads the data of constant input i because the kernel made its own
  // (packed) copy at creation. When every reader of an initializer says so, the session drops the
  // original: Compute() then gets a tensor of the same type and shape without data (nullptr).
  virtual bool PackedConstantInput(size_t /*i*/) const { return false; }
  // The input whose storage output `output` may be written into (in place), or -1. The session
  // hands the output that storage only when the input has the output's dtype and shape, no other
  // reader after this node and no other view; the kernel then finds the input's values in its
  // output (Output() leaves them there) and must produce a correct result either way.
  virtual int InPlaceInput(size_t output) const {
    (void)output;
    return -1;
  }
};

using KernelFactory = std::function<std::unique_ptr<OpKernel>(const KernelInfo&)>;

// Helper for kernels that need no state beyond the node: a function of the context.
template <typename Fn>
class FunctionKernel final : public OpKernel {
 public:
  explicit FunctionKernel(Fn fn) : fn_(std::move(fn)) {}
  void Compute(KernelContext& ctx) const override { fn_(ctx); }

 private:
  Fn fn_;
};

}  // namespace onyx
