// Folds a constant scale after a MatMul (the attention scores' Div by sqrt(head size)),
//   y = Div(MatMul(a, b), s)  or  Mul(MatMul(a, b), s)  (either Mul order)
// into onnxruntime's com.microsoft FusedMatMul(a, b, alpha = 1/s or s), which onnxruntime also
// runs, so a saved optimized model still loads there. The GEMM applies alpha as it writes C: one
// pass over the scores instead of two. s is a fixed one-element float initializer that does not
// raise the rank; the MatMul output is float and read by the scale alone (neither a graph output
// nor read by a subgraph). The result differs from the two nodes by rounding (alpha * sum instead
// of sum / s), as onnxruntime's fusion does. Level 2 (Extended); skipped where a session
// provider that would run the MatMul has no FusedMatMul kernel.
#include <cmath>

#include "optimizer/activation_fusion.h"

namespace onyx {

namespace {

class MatMulScaleFusion : public Pass {
 public:
  explicit MatMulScaleFusion(const OptimizerContext& ctx) : ctx_(ctx) {}
  const char* name() const override { return "MatMulScaleFusion"; }

  // Each match removes a MatMul that only its scale reads, so the matches are disjoint.
  bool Run(Graph& g) const override {
    const GraphIndex ix = GraphIndex::Of(g);
    std::vector<bool> removed(g.nodes.size(), false);
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& scale = g.nodes[i];
      const bool div = scale.op_type == "Div", mul = scale.op_type == "Mul";
      if ((!div && !mul) || !scale.domain.empty() || scale.inputs.size() != 2 || scale.outputs.size() != 1) continue;
      for (int k = 0; k < (mul ? 2 : 1); ++k) {
        const std::string& product = scale.inputs[k];
        const std::string& factor = scale.inputs[1 - k];
        auto mp = ix.producer.find(product);
        if (mp == ix.producer.end() || removed[mp->second]) continue;
        const Node& matmul = g.nodes[mp->second];
        if (matmul.op_type != "MatMul" || !matmul.domain.empty() || matmul.inputs.size() != 2 || matmul.outputs.size() != 1)
          continue;
        if (!ix.SingleReader(product) || !ix.Internal(product) || !ix.IsFloat(product) || !ix.IsFloat(scale.outputs[0]))
          continue;
        const Tensor* c = ConstantTensor(g, factor);
        if (!c || c->dtype() != DataType::Float || c->size() != 1) continue;
        auto r = ix.rank.find(product);
        if (r == ix.rank.end() || c->rank() > r->second) continue;
        const float s = c->data<float>()[0];
        if (div && (s == 0.f || !std::isfinite(s))) continue;
        if (!ProvidersRunFused(ctx_, matmul, "FusedMatMul")) break;
        Node fused;
        fused.name = (matmul.name.empty() ? product : matmul.name) + "/FusedMatMul";
        fused.op_type = "FusedMatMul";
        fused.domain = "com.microsoft";
        fused.opset = ImportMicrosoftDomain(g);
        fused.inputs = matmul.inputs;
        fused.outputs = scale.outputs;
        fused.attributes["alpha"] = FloatAttribute(div ? 1.f / s : s);
        removed[mp->second] = true;
        // In the scale's place: the MatMul's inputs exist there, and its output is read later.
        g.nodes[i] = std::move(fused);
        changed = true;
        break;
      }
    }
    if (!changed) return false;
    EraseNodes(g, removed);
    return true;
  }

 private:
  OptimizerContext ctx_;
};

}  // namespace

std::unique_ptr<Pass> MakeMatMulScaleFusion(const OptimizerContext& ctx) { return std::make_unique<MatMulScaleFusion>(ctx); }

}  // namespace onyx
