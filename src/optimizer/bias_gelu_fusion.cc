// Fuses the bias Add before a GELU (the feed-forward block of BERT-like encoders),
//   y = Gelu(Add(x, bias))          (either Add input order; com.microsoft Gelu, or ai.onnx Gelu
//                                    in its erf form)
// into onnxruntime's com.microsoft BiasGelu(x, bias), which onnxruntime also runs, so a saved
// optimized model still loads there. bias is a fixed 1-D float initializer as long as x's last
// dim. One pass over memory instead of two: the sum of each row stays in cache for the GELU.
// Only where the Add output is read by the Gelu alone and is neither a graph output nor read by
// a subgraph. Level 2 (Extended), after GeluFusion (which writes the com.microsoft Gelu); skipped
// where a session provider that would run the Gelu has no BiasGelu kernel.
#include "optimizer/activation_fusion.h"

namespace onyx {

namespace {

class BiasGeluFusion : public Pass {
 public:
  explicit BiasGeluFusion(const OptimizerContext& ctx) : ctx_(ctx) {}
  const char* name() const override { return "BiasGeluFusion"; }

  // Each match removes an Add that only its Gelu reads, so the matches are disjoint.
  bool Run(Graph& g) const override {
    const GraphIndex ix = GraphIndex::Of(g);
    std::vector<bool> removed(g.nodes.size(), false);
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& gelu = g.nodes[i];
      if (!IsErfGelu(gelu)) continue;
      auto ap = ix.producer.find(gelu.inputs[0]);
      if (ap == ix.producer.end() || removed[ap->second]) continue;
      const Node& add = g.nodes[ap->second];
      if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
      if (!ix.SingleReader(add.outputs[0]) || !ix.Internal(add.outputs[0])) continue;
      int bias_at = -1;
      for (int k = 0; k < 2 && bias_at < 0; ++k)
        if (IsBiasOf(g, ix, add.inputs[k], add.inputs[1 - k])) bias_at = k;
      if (bias_at < 0) continue;
      if (!ProvidersRunFused(ctx_, gelu, "BiasGelu")) continue;
      Node fused;
      fused.name = (gelu.name.empty() ? gelu.outputs[0] : gelu.name) + "/BiasGelu";
      fused.op_type = "BiasGelu";
      fused.domain = "com.microsoft";
      fused.opset = ImportMicrosoftDomain(g);
      fused.inputs = {add.inputs[1 - bias_at], add.inputs[bias_at]};
      fused.outputs = gelu.outputs;
      removed[ap->second] = true;
      // In the Gelu's place: x and the bias exist there, and its output is read only later.
      g.nodes[i] = std::move(fused);
      changed = true;
    }
    if (!changed) return false;
    EraseNodes(g, removed);
    return true;
  }

 private:
  static bool IsErfGelu(const Node& n) {
    if (n.op_type != "Gelu" || n.inputs.size() != 1 || n.inputs[0].empty() || n.outputs.size() != 1) return false;
    if (n.domain == "com.microsoft") return true;
    if (!n.domain.empty()) return false;
    auto a = n.attributes.find("approximate");
    return a == n.attributes.end() || (a->second.type == Attribute::Type::String && a->second.s == "none");
  }

  // b is a fixed 1-D float initializer and x a float whose last dim is b's length.
  static bool IsBiasOf(const Graph& g, const GraphIndex& ix, const std::string& b, const std::string& x) {
    const Tensor* c = ConstantTensor(g, b);
    if (!c || c->dtype() != DataType::Float || c->rank() != 1 || c->size() == 0) return false;
    if (ConstantTensor(g, x)) return false;  // constant folding's business
    auto t = ix.types.find(x);
    if (t == ix.types.end() || t->second != DataType::Float) return false;
    auto s = ix.shapes.find(x);
    if (s == ix.shapes.end() || s->second.empty()) return false;
    const Dim& last = s->second.back();
    return last.is_fixed() && last.value == c->size();
  }

  OptimizerContext ctx_;
};

}  // namespace

std::unique_ptr<Pass> MakeBiasGeluFusion(const OptimizerContext& ctx) { return std::make_unique<BiasGeluFusion>(ctx); }

}  // namespace onyx
