// Fuses a float Conv and the activation that alone reads its output,
//   y = act(Conv(X, W[, B]))     act: Relu, Sigmoid, Tanh, LeakyRelu, HardSigmoid, Clip,
// into onnxruntime's com.microsoft FusedConv (the Conv attributes plus `activation` and
// `activation_params`), which onnxruntime's CPU provider also runs, so a saved optimized model
// still loads there. Clip's bounds must be fixed (attributes, or constant inputs); the Conv output
// must be read by the activation alone and be neither a graph output nor read by a subgraph.
// Only float: onnxruntime implements FusedConv for float alone. Level 2 (Extended), as
// onnxruntime's ConvActivationFusion; skipped where a session provider that would run the Conv
// has no FusedConv kernel (CUDA).
#include <set>

#include "optimizer/activation_fusion.h"

namespace onyx {

namespace {

class ConvActivationFusion : public Pass {
 public:
  explicit ConvActivationFusion(const OptimizerContext& ctx) : ctx_(ctx) {}
  const char* name() const override { return "ConvActivationFusion"; }

  bool Run(Graph& g) const override {
    return FuseWithActivation(g, [&](const Node& conv, const Node& act, const GraphIndex& ix) -> std::optional<Node> {
      if (conv.op_type != "Conv" || !conv.domain.empty() || conv.inputs.size() < 2 || conv.inputs.size() > 3) return std::nullopt;
      auto t = ix.types.find(conv.outputs[0]);
      if (t == ix.types.end() || t->second != DataType::Float) return std::nullopt;
      // Conv's attributes are FusedConv's; anything else would not load in onnxruntime.
      static const std::set<std::string> kConvAttributes = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"};
      for (const auto& [name, a] : conv.attributes)
        if (!kConvAttributes.count(name)) return std::nullopt;
      std::optional<MatchedActivation> m = MatchActivation(g, act, conv.outputs[0], /*allow_clip=*/true);
      if (!m || !ProvidersRunFused(ctx_, conv, "FusedConv")) return std::nullopt;
      Node fused;
      fused.name = (conv.name.empty() ? act.outputs[0] : conv.name) + "/FusedConv";
      fused.op_type = "FusedConv";
      fused.domain = "com.microsoft";
      fused.opset = ImportMicrosoftDomain(g);
      fused.inputs = conv.inputs;
      fused.attributes = conv.attributes;
      Attribute activation;
      activation.type = Attribute::Type::String;
      activation.s = m->op;
      fused.attributes["activation"] = activation;
      if (!m->params.empty()) {
        Attribute params;
        params.type = Attribute::Type::Floats;
        params.floats = m->params;
        fused.attributes["activation_params"] = params;
      }
      return fused;
    });
  }

 private:
  OptimizerContext ctx_;
};

}  // namespace

std::unique_ptr<Pass> MakeConvActivationFusion(const OptimizerContext& ctx) { return std::make_unique<ConvActivationFusion>(ctx); }

}  // namespace onyx
