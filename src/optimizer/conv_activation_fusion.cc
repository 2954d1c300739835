// Fuses a float Conv and the activation that alone reads its output,
//   y = act(Conv(X, W[, B]))     act: Relu, Sigmoid, Tanh, LeakyRelu, HardSigmoid, Clip,
// into onnxruntime's com.microsoft FusedConv (the Conv attributes plus `activation` and
// `activation_params`), which onnxruntime's CPU provider also runs, so a saved optimized model
// still loads there. Clip's bounds must be fixed (attributes, or constant inputs); the Conv output
// must be read by the activation alone and be neither a graph output nor read by a subgraph.
// Also a residual addition after the Conv (ResNet's and MobileNetV2's blocks), as onnxruntime's
// Conv + Add + activation fusion, into FusedConv's addend input Z:
//   y = [act](Add(Conv(X, W[, B]), z))  ->  FusedConv(X, W, B or "", z)
// when z has exactly the Conv output's shape (no broadcasting); the activation joins when it alone
// reads the sum, otherwise the FusedConv has none (onnxruntime's kernel takes that too).
// Only float: onnxruntime implements FusedConv for float alone. Level 2 (Extended), as
// onnxruntime's ConvActivationFusion; skipped where a session provider that would run the Conv
// has no FusedConv kernel (CUDA).
#include <set>

#include "optimizer/activation_fusion.h"

namespace onyx {

namespace {

bool SameDims(const std::vector<Dim>& a, const std::vector<Dim>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_fixed() || b[i].is_fixed()) {
      if (!(a[i].is_fixed() && b[i].is_fixed() && a[i].value == b[i].value)) return false;
    } else if (!(a[i].is_symbolic() && b[i].is_symbolic() && a[i].symbol == b[i].symbol)) {
      return false;
    }
  }
  return true;
}

class ConvActivationFusion : public Pass {
 public:
  explicit ConvActivationFusion(const OptimizerContext& ctx) : ctx_(ctx) {}
  const char* name() const override { return "ConvActivationFusion"; }

  bool Run(Graph& g) const override {
    const bool residual = FuseResidual(g);
    if (residual) g.SortAndValidate();  // the next sweep indexes nodes in order
    const bool direct = FuseWithActivation(g, [&](const Node& conv, const Node& act, const GraphIndex& ix) -> std::optional<Node> {
      if (!Fusable(conv, ix)) return std::nullopt;
      std::optional<MatchedActivation> m = MatchActivation(g, act, conv.outputs[0], /*allow_clip=*/true);
      if (!m) return std::nullopt;
      return Fused(g, conv, m, act.outputs[0]);
    });
    return residual || direct;
  }

 private:
  // A float Conv whose attributes FusedConv has, on providers that run FusedConv.
  bool Fusable(const Node& conv, const GraphIndex& ix) const {
    if (conv.op_type != "Conv" || !conv.domain.empty() || conv.inputs.size() < 2 || conv.inputs.size() > 3 ||
        conv.outputs.size() != 1)
      return false;
    auto t = ix.types.find(conv.outputs[0]);
    if (t == ix.types.end() || t->second != DataType::Float) return false;
    // Conv's attributes are FusedConv's; anything else would not load in onnxruntime.
    static const std::set<std::string> kConvAttributes = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"};
    for (const auto& [name, a] : conv.attributes)
      if (!kConvAttributes.count(name)) return false;
    return ProvidersRunFused(ctx_, conv, "FusedConv");
  }

  static Node Fused(Graph& g, const Node& conv, const std::optional<MatchedActivation>& m, const std::string& y) {
    Node fused;
    fused.name = (conv.name.empty() ? y : conv.name) + "/FusedConv";
    fused.op_type = "FusedConv";
    fused.domain = "com.microsoft";
    fused.opset = ImportMicrosoftDomain(g);
    fused.inputs = conv.inputs;
    fused.attributes = conv.attributes;
    if (!m) return fused;
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
  }

  // Conv -> Add(z) [-> activation], in one sweep; the fused node takes the Add's place (z and the
  // Conv's inputs exist there).
  bool FuseResidual(Graph& g) const {
    const GraphIndex ix = GraphIndex::Of(g);
    std::unordered_map<std::string, size_t> reader;
    for (size_t i = 0; i < g.nodes.size(); ++i)
      for (const auto& in : g.nodes[i].inputs)
        if (!in.empty()) reader[in] = i;
    auto only_reader = [&](const std::string& v) -> int64_t {
      if (!ix.SingleReader(v) || !ix.Internal(v)) return -1;
      auto r = reader.find(v);
      return r == reader.end() ? -1 : static_cast<int64_t>(r->second);
    };
    std::vector<bool> removed(g.nodes.size(), false);
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      if (removed[i] || !Fusable(g.nodes[i], ix)) continue;
      const Node& conv = g.nodes[i];
      const std::string& c = conv.outputs[0];
      const int64_t ai = only_reader(c);
      if (ai < 0 || removed[ai]) continue;
      const Node& add = g.nodes[ai];
      if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2 || add.outputs.size() != 1 ||
          add.inputs[0] == add.inputs[1])
        continue;
      const std::string& z = add.inputs[0] == c ? add.inputs[1] : add.inputs[0];
      auto cs = ix.shapes.find(c), zs = ix.shapes.find(z);
      auto zt = ix.types.find(z);
      if (cs == ix.shapes.end() || zs == ix.shapes.end() || zt == ix.types.end() || zt->second != DataType::Float ||
          !SameDims(cs->second, zs->second))
        continue;
      const int64_t xi = only_reader(add.outputs[0]);
      std::optional<MatchedActivation> m;
      if (xi >= 0 && !removed[xi]) m = MatchActivation(g, g.nodes[xi], add.outputs[0], /*allow_clip=*/true);
      const std::vector<std::string> outputs = m ? g.nodes[xi].outputs : add.outputs;
      Node fused = Fused(g, conv, m, outputs[0]);
      fused.inputs.resize(3);  // an absent bias stays absent
      fused.inputs.push_back(z);
      fused.outputs = outputs;
      g.nodes[ai] = std::move(fused);
      removed[i] = true;
      if (m) removed[xi] = true;
      changed = true;
    }
    if (!changed) return false;
    EraseNodes(g, removed);
    return true;
  }

  OptimizerContext ctx_;
};

}  // namespace

std::unique_ptr<Pass> MakeConvActivationFusion(const OptimizerContext& ctx) { return std::make_unique<ConvActivationFusion>(ctx); }

}  // namespace onyx
