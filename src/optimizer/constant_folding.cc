// Evaluates nodes whose inputs are all constants once, at session creation, and replaces them by
// initializers. Constant nodes become initializers this way too.
#include <unordered_set>

#include "core/node_evaluator.h"
#include "optimizer/optimizer.h"

namespace onyx {

namespace {

bool IsNondeterministic(const Node& n) {
  static const std::unordered_set<std::string> ops = {"RandomNormal", "RandomUniform", "RandomNormalLike",
                                                      "RandomUniformLike", "Multinomial", "Bernoulli"};
  return ops.count(n.op_type) > 0;
}

bool HasSubgraph(const Node& n) {
  for (const auto& [k, a] : n.attributes)
    if (a.g || !a.graphs.empty()) return true;
  return false;
}

class ConstantFolding : public Pass {
 public:
  explicit ConstantFolding(const OptimizerContext& ctx) : ctx_(ctx) {}
  const char* name() const override { return "ConstantFolding"; }

  bool Run(Graph& g) const override {
    // Graph inputs that shadow initializers may be fed at run time: not constant.
    std::unordered_set<std::string> fed;
    for (const auto& in : g.inputs) fed.insert(in.name);
    constexpr int64_t kMaxFoldedBytes = int64_t(64) << 20;  // don't trade a small node for a huge weight
    bool changed = false;
    std::vector<Node> kept;
    for (auto& node : g.nodes) {
      bool foldable = !IsNondeterministic(node) && !HasSubgraph(node) && !node.outputs.empty();
      std::vector<Value> inputs;
      for (const auto& in : node.inputs) {
        if (!foldable) break;
        if (in.empty()) {
          inputs.emplace_back();
          continue;
        }
        auto it = g.initializers.find(in);
        if (it == g.initializers.end() || fed.count(in)) foldable = false;
        else inputs.emplace_back(it->second);
      }
      if (foldable && ctx_.registry->Find(ctx_.provider, node.domain, node.op_type, node.opset)) {
        try {
          std::vector<Value> outs = EvaluateNode(node, inputs, *ctx_.registry, ctx_.provider);
          bool ok = outs.size() == node.outputs.size();
          int64_t bytes = 0;
          for (const auto& v : outs) {
            ok = ok && v.is_tensor();
            if (ok) bytes += static_cast<int64_t>(v.tensor().nbytes());
          }
          if (ok && bytes <= kMaxFoldedBytes) {
            for (size_t i = 0; i < outs.size(); ++i)
              if (!node.outputs[i].empty()) g.initializers[node.outputs[i]] = outs[i].tensor();
            changed = true;
            continue;
          }
        } catch (const Error&) {
          // Leave the node to fail (or succeed) at run time with its usual message.
        }
      }
      kept.push_back(std::move(node));
    }
    g.nodes = std::move(kept);
    return changed;
  }

 private:
  OptimizerContext ctx_;
};

}  // namespace

std::unique_ptr<Pass> MakeConstantFolding(const OptimizerContext& ctx) { return std::make_unique<ConstantFolding>(ctx); }

}  // namespace onyx
