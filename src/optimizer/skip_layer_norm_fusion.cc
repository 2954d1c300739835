// Fuses the residual Add before a LayerNormalization (every sublayer of BERT-like encoders),
//   y = LayerNormalization(Add(a, b), gamma, beta)      (last axis, float)
// into onnxruntime's com.microsoft SkipLayerNormalization(a, b, gamma, beta), which onnxruntime
// also runs, so a saved optimized model still loads there. When the sum is read elsewhere too
// (the next residual connection) the fused node writes it as its 4th output,
// input_skip_bias_sum, under the Add output's name. One pass over memory instead of two.
// Matched where a and b are non-constant floats of one shape of rank 2 or 3 (the op's
// input forms; see SameShapeHidden), gamma and beta are fixed 1-D initializers of the hidden size, the
// LayerNormalization's Mean/InvStdDev outputs are absent and its stash_type is float. Level 2
// (Extended), after LayerNormFusion; skipped where a session provider that would run the
// LayerNormalization has no SkipLayerNormalization kernel.
#include "optimizer/activation_fusion.h"

namespace onyx {

namespace {

class SkipLayerNormFusion : public Pass {
 public:
  explicit SkipLayerNormFusion(const OptimizerContext& ctx) : ctx_(ctx) {}
  const char* name() const override { return "SkipLayerNormFusion"; }

  // Each match removes one LayerNormalization and one Add (whose output has it as a reader), so
  // no two matches share a node.
  bool Run(Graph& g) const override {
    const GraphIndex ix = GraphIndex::Of(g);
    std::vector<bool> removed(g.nodes.size(), false);
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& ln = g.nodes[i];
      if (removed[i] || !IsLastAxisLayerNorm(g, ix, ln)) continue;
      auto ap = ix.producer.find(ln.inputs[0]);
      if (ap == ix.producer.end() || removed[ap->second]) continue;
      const size_t add_at = ap->second;
      const Node& add = g.nodes[add_at];
      if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
      if (add.inputs[0].empty() || add.inputs[1].empty() || !ix.IsFloat(add.inputs[0]) || !ix.IsFloat(add.inputs[1]) ||
          ConstantTensor(g, add.inputs[0]) || ConstantTensor(g, add.inputs[1]))
        continue;
      const int64_t hidden = SameShapeHidden(ix, add.inputs[0], add.inputs[1]);
      if (hidden <= 0 || !VectorOf(g, ln.inputs[1], hidden) ||
          (ln.inputs.size() > 2 && !ln.inputs[2].empty() && !VectorOf(g, ln.inputs[2], hidden)))
        continue;
      if (!ProvidersRunFused(ctx_, ln, "SkipLayerNormalization")) continue;
      const bool sum_read_elsewhere = !ix.SingleReader(add.outputs[0]) || !ix.Internal(add.outputs[0]);
      Node fused;
      fused.name = (ln.name.empty() ? ln.outputs[0] : ln.name) + "/SkipLayerNormalization";
      fused.op_type = "SkipLayerNormalization";
      fused.domain = "com.microsoft";
      fused.opset = ImportMicrosoftDomain(g);
      fused.inputs = {add.inputs[0], add.inputs[1], ln.inputs[1]};
      if (ln.inputs.size() > 2 && !ln.inputs[2].empty()) fused.inputs.push_back(ln.inputs[2]);
      fused.outputs = {ln.outputs[0]};
      if (sum_read_elsewhere) fused.outputs.insert(fused.outputs.end(), {"", "", add.outputs[0]});
      auto e = ln.attributes.find("epsilon");
      // LayerNormalization's default, not the fused op's 1e-12.
      fused.attributes["epsilon"] = FloatAttribute(e != ln.attributes.end() ? e->second.f : 1e-5f);
      removed[i] = true;
      // In the Add's place: its inputs and the constants exist there, and the sum it writes is
      // read only later, by the nodes that read the Add.
      g.nodes[add_at] = std::move(fused);
      changed = true;
    }
    if (!changed) return false;
    EraseNodes(g, removed);
    return true;
  }

 private:
  // The fixed last dim of a and b when they have one rank, 2 or 3, the same fixed last dim, and
  // no other dim known to differ (dims that inference left unknown pass: the kernel adds a skip
  // that repeats over the leading dims, and refuses other broadcasts); else -1.
  static int64_t SameShapeHidden(const GraphIndex& ix, const std::string& a, const std::string& b) {
    auto sa = ix.shapes.find(a), sb = ix.shapes.find(b);
    if (sa == ix.shapes.end() || sb == ix.shapes.end()) return -1;
    const std::vector<Dim>& da = sa->second;
    const std::vector<Dim>& db = sb->second;
    if (da.size() != db.size() || (da.size() != 2 && da.size() != 3)) return -1;
    for (size_t k = 0; k < da.size(); ++k) {
      const bool differ = (da[k].is_fixed() && db[k].is_fixed() && da[k].value != db[k].value) ||
                          (da[k].is_symbolic() && db[k].is_symbolic() && da[k].symbol != db[k].symbol);
      if (differ) return -1;
    }
    if (!da.back().is_fixed() || !db.back().is_fixed() || da.back().value != db.back().value) return -1;
    return da.back().value > 0 ? da.back().value : -1;
  }

  static bool VectorOf(const Graph& g, const std::string& v, int64_t n) {
    const Tensor* c = ConstantTensor(g, v);
    return c && c->dtype() == DataType::Float && c->rank() == 1 && c->size() == n;
  }

  static bool IsLastAxisLayerNorm(const Graph& g, const GraphIndex& ix, const Node& n) {
    if (n.op_type != "LayerNormalization" || !n.domain.empty() || n.inputs.size() < 2 || n.inputs[0].empty() ||
        n.outputs.empty() || n.outputs[0].empty())
      return false;
    for (size_t k = 1; k < n.outputs.size(); ++k)
      if (!n.outputs[k].empty()) return false;  // Mean / InvStdDev: SkipLayerNormalization's differ in shape rules
    auto r = ix.rank.find(n.inputs[0]);
    if (r == ix.rank.end()) return false;
    auto a = n.attributes.find("axis");
    const int64_t axis = a == n.attributes.end() ? -1 : a->second.i;
    if (axis != -1 && axis != static_cast<int64_t>(r->second) - 1) return false;
    auto st = n.attributes.find("stash_type");
    if (st != n.attributes.end() && st->second.i != 1) return false;
    auto e = n.attributes.find("epsilon");
    if (e != n.attributes.end() && e->second.type != Attribute::Type::Float) return false;
    return ix.IsFloat(n.outputs[0]);
  }

  OptimizerContext ctx_;
};

}  // namespace

std::unique_ptr<Pass> MakeSkipLayerNormFusion(const OptimizerContext& ctx) { return std::make_unique<SkipLayerNormFusion>(ctx); }

}  // namespace onyx
