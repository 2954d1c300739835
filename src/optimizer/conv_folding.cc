// Folds a per-output-channel affine op that follows a Conv into the Conv's weights and bias:
//   BatchNormalization (inference):  W' = W * f,  B' = (B - mean) * f + beta,  f = gamma / sqrt(var + eps)
//   Mul by a constant s:             W' = W * s,  B' = B * s
//   Add of a constant a:             B' = B + a
// Only when the weights, the bias and the affine op's parameters are fixed initializers of the
// same float or double type, the constant is one value per output channel (or one value), and the
// Conv's output is read by that op alone and is not a graph output. Folding is done in double and
// writes new initializers, so weights shared with other nodes stay as they are.
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "optimizer/optimizer.h"
#include "optimizer/pattern.h"

namespace onyx {

namespace {

struct FoldableConv {
  size_t index = 0;
  const Tensor* weight = nullptr;
  const Tensor* bias = nullptr;  // nullptr: the Conv has none
  int64_t channels = 0;          // output channels M, W's first dim
};

// producer: value -> node, kept current while folds move Convs to their affine op's place.
bool MatchConv(const Graph& g, const GraphIndex& ix, const std::unordered_map<std::string, size_t>& producer, const std::string& y,
               FoldableConv* conv) {
  auto p = producer.find(y);
  if (p == producer.end() || !ix.SingleReader(y) || !ix.Internal(y)) return false;
  const Node& n = g.nodes[p->second];
  if (n.op_type != "Conv" || !n.domain.empty() || n.inputs.size() < 2 || n.outputs.size() != 1) return false;
  const Tensor* w = ConstantTensor(g, n.inputs[1]);
  if (!w || (w->dtype() != DataType::Float && w->dtype() != DataType::Double) || w->rank() < 3 || w->dim(0) <= 0) return false;
  const Tensor* b = nullptr;
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    b = ConstantTensor(g, n.inputs[2]);
    if (!b || b->dtype() != w->dtype() || b->rank() != 1 || b->dim(0) != w->dim(0)) return false;
  }
  *conv = FoldableConv{p->second, w, b, w->dim(0)};
  return true;
}

double At(const Tensor& t, int64_t i) { return t.dtype() == DataType::Float ? t.data<float>()[i] : t.data<double>()[i]; }
void Set(Tensor& t, int64_t i, double v) {
  if (t.dtype() == DataType::Float) t.data<float>()[i] = static_cast<float>(v);
  else t.data<double>()[i] = v;
}

// A fixed initializer of the Conv's type holding one value per output channel of a rank-`rank`
// Conv output ([M,1,1], [1,M,1,1], ...) or a single value; per_channel tells which.
const Tensor* ChannelConstant(const Graph& g, const std::string& name, const FoldableConv& conv, bool* per_channel) {
  const Tensor* t = ConstantTensor(g, name);
  const size_t rank = conv.weight->rank();
  if (!t || t->dtype() != conv.weight->dtype() || t->rank() > rank) return nullptr;
  const size_t offset = rank - t->rank();  // t's dims right-aligned against [N, M, spatial...]
  *per_channel = false;
  for (size_t i = 0; i < t->rank(); ++i) {
    const int64_t d = t->dim(i);
    if (d == 1) continue;
    if (offset + i != 1 || d != conv.channels) return nullptr;
    *per_channel = true;
  }
  return t;
}

// BatchNormalization's gamma, beta, mean and var: fixed, of the Conv's type, shape [M].
bool BatchNormParameters(const Graph& g, const Node& bn, const FoldableConv& conv, const Tensor* p[4]) {
  if (bn.inputs.size() != 5) return false;
  for (int k = 0; k < 4; ++k) {
    p[k] = ConstantTensor(g, bn.inputs[k + 1]);
    if (!p[k] || p[k]->dtype() != conv.weight->dtype() || p[k]->rank() != 1 || p[k]->dim(0) != conv.channels) return false;
  }
  return true;
}

bool BatchNormIsInference(const Node& bn) {
  for (size_t k = 1; k < bn.outputs.size(); ++k)
    if (!bn.outputs[k].empty()) return false;  // running statistics are training outputs
  if (const Attribute* t = bn.FindAttribute("training_mode"); t && t->i != 0) return false;
  if (const Attribute* s = bn.FindAttribute("spatial"); s && s->i != 1) return false;  // per-element statistics
  if (bn.opset < 7) {
    const Attribute* test = bn.FindAttribute("is_test");
    return test && test->i != 0;
  }
  return true;
}

class ConvFolding : public Pass {
 public:
  const char* name() const override { return "ConvFolding"; }

  // One sweep in topological order: a folded Conv takes its affine op's place (and output), so a
  // following Mul or Add can fold into it in the same sweep; the Convs folded away are dropped at
  // the end.
  bool Run(Graph& g) const override {
    const GraphIndex ix = GraphIndex::Of(g);
    std::unordered_map<std::string, size_t> producer = ix.producer;
    std::vector<bool> removed(g.nodes.size(), false);
    std::unordered_set<std::string> created;  // folded weights of this sweep, each read by one Conv
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& op = g.nodes[i];
      if (!op.domain.empty() || op.outputs.empty() || op.outputs[0].empty()) continue;
      FoldableConv conv;
      const Tensor* scale = nullptr;  // multiplies W and B, per channel or as one value
      const Tensor* shift = nullptr;  // then added to B
      bool scale_per_channel = false, shift_per_channel = false;
      std::vector<double> bn_factor, bn_shift;
      if (op.op_type == "BatchNormalization") {
        const Tensor* p[4];
        if (op.inputs.empty() || !MatchConv(g, ix, producer, op.inputs[0], &conv) || !BatchNormIsInference(op) ||
            !BatchNormParameters(g, op, conv, p))
          continue;
        const Attribute* e = op.FindAttribute("epsilon");
        const double eps = e ? e->f : 1e-5;
        bn_factor.resize(static_cast<size_t>(conv.channels));
        bn_shift.resize(static_cast<size_t>(conv.channels));
        for (int64_t m = 0; m < conv.channels; ++m) {
          const double f = At(*p[0], m) / std::sqrt(At(*p[3], m) + eps);
          bn_factor[m] = f;
          bn_shift[m] = At(*p[1], m) - At(*p[2], m) * f;
        }
      } else if ((op.op_type == "Mul" || op.op_type == "Add") && op.inputs.size() == 2) {
        const int side = MatchConv(g, ix, producer, op.inputs[0], &conv) ? 0 : MatchConv(g, ix, producer, op.inputs[1], &conv) ? 1 : -1;
        if (side < 0) continue;
        bool per_channel = false;
        const Tensor* c = ChannelConstant(g, op.inputs[1 - side], conv, &per_channel);
        if (!c) continue;
        (op.op_type == "Mul" ? scale : shift) = c;
        (op.op_type == "Mul" ? scale_per_channel : shift_per_channel) = per_channel;
      } else {
        continue;
      }
      const Node& cn = g.nodes[conv.index];
      const DataType dt = conv.weight->dtype();
      const int64_t per_m = conv.weight->size() / conv.channels;
      auto factor = [&](int64_t m) -> double {
        if (!bn_factor.empty()) return bn_factor[m];
        return scale ? At(*scale, scale_per_channel ? m : 0) : 1.0;
      };
      auto added = [&](int64_t m) -> double {
        if (!bn_shift.empty()) return bn_shift[m];
        return shift ? At(*shift, shift_per_channel ? m : 0) : 0.0;
      };
      Tensor bias(dt, {conv.channels});
      for (int64_t m = 0; m < conv.channels; ++m) Set(bias, m, (conv.bias ? At(*conv.bias, m) : 0.0) * factor(m) + added(m));
      Node folded = cn;
      if (scale || !bn_factor.empty()) {
        Tensor weight(dt, conv.weight->shape());
        for (int64_t m = 0; m < conv.channels; ++m)
          for (int64_t k = 0; k < per_m; ++k) Set(weight, m * per_m + k, At(*conv.weight, m * per_m + k) * factor(m));
        const std::string wname = FreshName(g, ix, cn.inputs[1] + "/folded");
        g.initializers[wname] = std::move(weight);
        created.insert(wname);
        folded.inputs[1] = wname;
      }
      const std::string bname = FreshName(g, ix, (conv.bias ? cn.inputs[2] : cn.inputs[1]) + "/folded_bias");
      g.initializers[bname] = std::move(bias);
      created.insert(bname);
      folded.inputs.resize(3);
      folded.inputs[2] = bname;
      folded.outputs = {op.outputs[0]};
      // Weights read by this Conv alone go now rather than at dead-node elimination, so that the
      // originals and the folded copies of a whole network are not held at the same time.
      for (size_t k = 1; k < cn.inputs.size(); ++k) {
        const std::string& old = cn.inputs[k];
        if (old.empty() || old == folded.inputs[k]) continue;
        if (created.count(old) || (ix.SingleReader(old) && ix.Internal(old))) g.initializers.erase(old), created.erase(old);
      }
      removed[conv.index] = true;
      producer.erase(cn.outputs[0]);
      producer[folded.outputs[0]] = i;
      g.nodes[i] = std::move(folded);
    }
    const size_t before = g.nodes.size();
    EraseNodes(g, removed);
    return g.nodes.size() != before;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeConvFolding() { return std::make_unique<ConvFolding>(); }

}  // namespace onyx
