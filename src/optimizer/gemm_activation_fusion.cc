// Fuses a float Gemm, or a MatMul of two 2-D matrices, and the activation that alone reads its
// output,
//   y = act(Gemm(A, B[, C]))  or  act(MatMul(A, B))    act: Relu, Sigmoid, Tanh, LeakyRelu, HardSigmoid,
// into onnxruntime's com.microsoft FusedGemm (the Gemm attributes plus `activation` and
// `activation_alpha` / `activation_beta`), which onnxruntime's CPU provider also runs. Its
// FusedGemm has no Clip. The product must be read by the activation alone and be neither a graph
// output nor read by a subgraph. Only float (onnxruntime's FusedGemm is float only) and Gemm from
// opset 7 (earlier Gemm has a `broadcast` attribute FusedGemm lacks). Level 2 (Extended), as
// onnxruntime's GemmActivationFusion; skipped where a session provider that would run the
// product has no FusedGemm kernel (CUDA).
#include <set>

#include "optimizer/activation_fusion.h"

namespace onyx {

namespace {

class GemmActivationFusion : public Pass {
 public:
  explicit GemmActivationFusion(const OptimizerContext& ctx) : ctx_(ctx) {}
  const char* name() const override { return "GemmActivationFusion"; }

  bool Run(Graph& g) const override {
    return FuseWithActivation(g, [&](const Node& product, const Node& act, const GraphIndex& ix) -> std::optional<Node> {
      if (!product.domain.empty()) return std::nullopt;
      if (product.op_type == "Gemm") {
        if (product.opset < 7 || product.inputs.size() < 2 || product.inputs.size() > 3) return std::nullopt;
        static const std::set<std::string> kGemmAttributes = {"alpha", "beta", "transA", "transB"};
        for (const auto& [name, a] : product.attributes)
          if (!kGemmAttributes.count(name)) return std::nullopt;
      } else if (product.op_type == "MatMul") {
        // Gemm has no batch dimension and no 1-D promotion.
        if (product.inputs.size() != 2 || !product.attributes.empty()) return std::nullopt;
        auto ra = ix.rank.find(product.inputs[0]), rb = ix.rank.find(product.inputs[1]);
        if (ra == ix.rank.end() || rb == ix.rank.end() || ra->second != 2 || rb->second != 2) return std::nullopt;
      } else {
        return std::nullopt;
      }
      auto t = ix.types.find(product.outputs[0]);
      if (t == ix.types.end() || t->second != DataType::Float) return std::nullopt;
      std::optional<MatchedActivation> m = MatchActivation(g, act, product.outputs[0], /*allow_clip=*/false);
      if (!m || !ProvidersRunFused(ctx_, product, "FusedGemm")) return std::nullopt;
      Node fused;
      fused.name = (product.name.empty() ? act.outputs[0] : product.name) + "/FusedGemm";
      fused.op_type = "FusedGemm";
      fused.domain = "com.microsoft";
      fused.opset = ImportMicrosoftDomain(g);
      fused.inputs = product.inputs;
      fused.attributes = product.attributes;
      Attribute activation;
      activation.type = Attribute::Type::String;
      activation.s = m->op;
      fused.attributes["activation"] = activation;
      if (m->params.size() >= 1) fused.attributes["activation_alpha"] = FloatAttribute(m->params[0]);
      if (m->params.size() >= 2) fused.attributes["activation_beta"] = FloatAttribute(m->params[1]);
      return fused;
    });
  }

 private:
  OptimizerContext ctx_;
};

}  // namespace

std::unique_ptr<Pass> MakeGemmActivationFusion(const OptimizerContext& ctx) { return std::make_unique<GemmActivationFusion>(ctx); }

}  // namespace onyx
