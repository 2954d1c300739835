// Fuses the SiLU/Swish that exporters decompose (EfficientNet, YOLO, most of torch's nn.SiLU),
//   y = Mul(x, Sigmoid(x))                    (either Mul input order)
//   y = Mul(x, Sigmoid(Mul(x, alpha)))        (alpha a constant float scalar, either order)
// into onnxruntime's com.microsoft QuickGelu(x, alpha) = x * sigmoid(alpha * x), which
// onnxruntime also runs, so a saved optimized model still loads there. One pass over memory
// instead of two or three. Only float, where the Sigmoid (and inner Mul) output is read by the
// next node alone and is neither a graph output nor read by a subgraph. Level 2 (Extended), as
// onnxruntime's QuickGeluFusion; skipped where a session provider that would run the Mul has no
// QuickGelu kernel (CUDA).
#include "optimizer/activation_fusion.h"

namespace onyx {

namespace {

class QuickGeluFusion : public Pass {
 public:
  explicit QuickGeluFusion(const OptimizerContext& ctx) : ctx_(ctx) {}
  const char* name() const override { return "QuickGeluFusion"; }

  // The matches are disjoint (each Sigmoid and inner Mul has one reader, a constant is no Sigmoid
  // output), so one sweep finds them all.
  bool Run(Graph& g) const override {
    const GraphIndex ix = GraphIndex::Of(g);
    std::vector<bool> removed(g.nodes.size(), false);
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& mul = g.nodes[i];
      if (removed[i] || !IsBinary(mul, "Mul") || mul.inputs[0] == mul.inputs[1] || mul.outputs.size() != 1) continue;
      for (int s = 0; s < 2; ++s) {
        std::optional<Match> m = MatchAt(g, ix, mul, mul.inputs[s], mul.inputs[1 - s]);
        if (!m || removed[m->sigmoid] || (m->inner >= 0 && removed[m->inner])) continue;
        if (!ProvidersRunFused(ctx_, mul, "QuickGelu")) break;
        Node fused;
        fused.name = (g.nodes[m->sigmoid].name.empty() ? mul.outputs[0] : g.nodes[m->sigmoid].name) + "/QuickGelu";
        fused.op_type = "QuickGelu";
        fused.domain = "com.microsoft";
        fused.opset = ImportMicrosoftDomain(g);
        fused.inputs = {m->x};
        fused.outputs = mul.outputs;
        fused.attributes["alpha"] = FloatAttribute(m->alpha);
        removed[m->sigmoid] = true;
        if (m->inner >= 0) removed[m->inner] = true;
        // In the Mul's place: x exists there, and its output is read only later.
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
  struct Match {
    std::string x;
    float alpha = 1.f;
    size_t sigmoid = 0;
    int64_t inner = -1;  // the Mul(x, alpha) node, when there is one
  };

  static bool IsBinary(const Node& n, const char* op) {
    return n.op_type == op && n.domain.empty() && n.inputs.size() == 2 && !n.inputs[0].empty() && !n.inputs[1].empty();
  }

  // A value that only the matched chain reads, so removing its producer loses nothing.
  static bool Private(const GraphIndex& ix, const std::string& v) { return ix.SingleReader(v) && ix.Internal(v); }

  // mul = Mul(x, s) with s = Sigmoid(x) or Sigmoid(Mul(x, alpha)).
  static std::optional<Match> MatchAt(const Graph& g, const GraphIndex& ix, const Node& mul, const std::string& s,
                                      const std::string& x) {
    auto sp = ix.producer.find(s);
    if (sp == ix.producer.end() || !Private(ix, s)) return std::nullopt;
    const Node& sigmoid = g.nodes[sp->second];
    if (sigmoid.op_type != "Sigmoid" || !sigmoid.domain.empty() || sigmoid.inputs.size() != 1 || sigmoid.outputs.size() != 1)
      return std::nullopt;
    if (!ix.IsFloat(x) || !ix.IsFloat(s) || !ix.IsFloat(mul.outputs[0])) return std::nullopt;
    Match m;
    m.x = x;
    m.sigmoid = sp->second;
    const std::string& t = sigmoid.inputs[0];
    if (t == x) return m;
    // t = Mul(x, alpha): alpha a fixed float scalar that does not broadcast x to a higher rank.
    auto tp = ix.producer.find(t);
    if (tp == ix.producer.end() || !Private(ix, t)) return std::nullopt;
    const Node& inner = g.nodes[tp->second];
    if (!IsBinary(inner, "Mul") || inner.outputs.size() != 1) return std::nullopt;
    const int k = inner.inputs[0] == x ? 1 : inner.inputs[1] == x ? 0 : -1;
    if (k < 0) return std::nullopt;
    const Tensor* c = ConstantTensor(g, inner.inputs[k]);
    if (!c || c->dtype() != DataType::Float || c->size() != 1) return std::nullopt;
    if (!c->shape().empty()) {
      auto r = ix.rank.find(x);
      if (r == ix.rank.end() || r->second < c->shape().size()) return std::nullopt;
    }
    m.alpha = c->data<float>()[0];
    m.inner = static_cast<int64_t>(tp->second);
    return m;
  }

  OptimizerContext ctx_;
};

}  // namespace

std::unique_ptr<Pass> MakeQuickGeluFusion(const OptimizerContext& ctx) { return std::make_unique<QuickGeluFusion>(ctx); }

}  // namespace onyx
