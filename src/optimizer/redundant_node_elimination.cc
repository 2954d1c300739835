// Removes nodes whose output provably equals their input: Identity, Dropout at inference, Cast to
// the type the value already has, reshapes to the shape it already has, Expand/Tile/Slice/Pad that
// change nothing, and x + 0, x - 0, x * 1, x / 1 with a constant that does not broadcast x to a
// bigger shape (as onnxruntime, x + 0 is taken as x although it turns -0.0 into +0.0). Also
// collapses chains of Reshape/Flatten/Squeeze/Unsqueeze into one Reshape, since each of them only
// relabels the same row-major data.
//
// Everything is decided from constants (fixed initializers) and inferred shapes; a node whose
// effect depends on a run-time value stays. Nodes whose output is a graph output or is read by a
// subgraph are removed only when the upstream value can take over the output's name.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "core/float16.h"
#include "optimizer/optimizer.h"
#include "optimizer/pattern.h"

namespace onyx {

namespace {

bool IsReshapeLike(const Node& n) {
  return n.domain.empty() && (n.op_type == "Reshape" || n.op_type == "Flatten" || n.op_type == "Squeeze" || n.op_type == "Unsqueeze");
}

int64_t IntAttribute(const Node& n, const char* name, int64_t fallback) {
  const Attribute* a = n.FindAttribute(name);
  return a ? a->i : fallback;
}

const std::vector<Dim>* ShapeOf(const GraphIndex& ix, const std::string& v) {
  auto it = ix.shapes.find(v);
  return it == ix.shapes.end() ? nullptr : &it->second;
}

// A one-element constant bool (or integer) as true/false.
bool ConstantBool(const Graph& g, const std::string& name, bool* out) {
  const Tensor* t = ConstantTensor(g, name);
  if (!t || t->size() != 1) return false;
  if (t->dtype() == DataType::Bool || t->dtype() == DataType::UInt8 || t->dtype() == DataType::Int8) {
    *out = t->data<uint8_t>()[0] != 0;
    return true;
  }
  std::vector<int64_t> v;
  if (!ConstantInts(g, name, &v)) return false;
  *out = v[0] != 0;
  return true;
}

bool DropoutIsNoOp(const Graph& g, const Node& n) {
  if (n.opset < 7) return IntAttribute(n, "is_test", 0) != 0;  // before opset 7 only is_test=1 skips the noise
  if (n.opset < 12) return true;                                   // opsets 7-11 define Dropout for inference only
  bool training = false;
  if (n.inputs.size() > 2 && !n.inputs[2].empty() && !ConstantBool(g, n.inputs[2], &training)) return false;
  if (!training) return true;
  // Training mode with ratio 0 keeps every element and scales by 1 / (1 - 0).
  double ratio = 0.5;
  if (n.inputs.size() > 1 && !n.inputs[1].empty() && (!ConstantTensor(g, n.inputs[1]) || !ScalarConstant(g, n.inputs[1], &ratio)))
    return false;
  return ratio == 0.0;
}

bool CastIsNoOp(const GraphIndex& ix, const Node& n) {
  auto xt = ix.types.find(n.inputs[0]);
  if (xt == ix.types.end() || xt->second == DataType::Undefined) return false;
  if (n.op_type == "Cast") {
    const Attribute* to = n.FindAttribute("to");
    return to && to->i == static_cast<int64_t>(xt->second);
  }
  auto lt = n.inputs.size() > 1 ? ix.types.find(n.inputs[1]) : ix.types.end();  // CastLike
  return lt != ix.types.end() && lt->second == xt->second;
}

bool SameStaticShape(const GraphIndex& ix, const Node& n) {
  std::vector<int64_t> in, out;
  return ix.StaticShape(n.inputs[0], &in) && ix.StaticShape(n.outputs[0], &out) && in == out;
}

// Reshape(x, s) where every entry of s keeps x's dim: 0 (copy) without allowzero, x's fixed dim,
// or one -1 standing for the only dim not otherwise accounted for.
bool ReshapeKeepsShape(const Graph& g, const GraphIndex& ix, const Node& n) {
  std::vector<int64_t> s;
  const std::vector<Dim>* x = ShapeOf(ix, n.inputs[0]);
  if (n.inputs.size() < 2 || !x || !ConstantInts(g, n.inputs[1], &s) || s.size() != x->size()) return false;
  const bool allowzero = IntAttribute(n, "allowzero", 0) != 0;
  int free = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const Dim& d = (*x)[i];
    if (s[i] == 0 && !allowzero) continue;
    if (s[i] == -1) ++free;
    else if (!d.is_fixed() || d.value != s[i]) return false;
  }
  return free <= 1;
}

// Expand(x, s) where s only repeats x's own dims or 1s and does not add axes.
bool ExpandIsNoOp(const Graph& g, const GraphIndex& ix, const Node& n) {
  std::vector<int64_t> s;
  const std::vector<Dim>* x = ShapeOf(ix, n.inputs[0]);
  if (n.inputs.size() < 2 || !x || !ConstantInts(g, n.inputs[1], &s) || s.size() > x->size()) return false;
  const size_t offset = x->size() - s.size();
  for (size_t i = 0; i < s.size(); ++i) {
    const Dim& d = (*x)[offset + i];
    if (s[i] != 1 && !(d.is_fixed() && d.value == s[i])) return false;
  }
  return true;
}

bool TileIsNoOp(const Graph& g, const GraphIndex& ix, const Node& n) {
  std::vector<int64_t> r;
  auto rank = ix.rank.find(n.inputs[0]);
  if (n.inputs.size() < 2 || rank == ix.rank.end() || !ConstantInts(g, n.inputs[1], &r) || r.size() != rank->second) return false;
  return std::all_of(r.begin(), r.end(), [](int64_t v) { return v == 1; });
}

bool PadIsNoOp(const Graph& g, const Node& n) {
  std::vector<int64_t> pads;
  if (n.opset < 11) {
    const Attribute* a = n.FindAttribute("pads");
    if (!a) return false;
    pads = a->ints;
  } else if (n.inputs.size() < 2 || !ConstantInts(g, n.inputs[1], &pads)) {
    return false;
  }
  return std::all_of(pads.begin(), pads.end(), [](int64_t v) { return v == 0; });
}

// Slice that starts at 0 (or clamps to it) and ends at or past the end of every sliced axis, with
// step 1.
bool SliceIsNoOp(const Graph& g, const GraphIndex& ix, const Node& n) {
  const std::vector<Dim>* x = ShapeOf(ix, n.inputs[0]);
  if (!x) return false;
  const int64_t rank = static_cast<int64_t>(x->size());
  std::vector<int64_t> starts, ends, axes, steps;
  int64_t open_end = std::numeric_limits<int64_t>::max();  // "to the end" as exporters write it
  if (n.opset < 10) {
    const Attribute* s = n.FindAttribute("starts");
    const Attribute* e = n.FindAttribute("ends");
    if (!s || !e) return false;
    starts = s->ints, ends = e->ints;
    if (const Attribute* a = n.FindAttribute("axes")) axes = a->ints;
  } else {
    if (n.inputs.size() < 3 || !ConstantInts(g, n.inputs[1], &starts) || !ConstantInts(g, n.inputs[2], &ends)) return false;
    if (n.inputs.size() > 3 && !n.inputs[3].empty() && !ConstantInts(g, n.inputs[3], &axes)) return false;
    if (n.inputs.size() > 4 && !n.inputs[4].empty() && !ConstantInts(g, n.inputs[4], &steps)) return false;
    if (ConstantTensor(g, n.inputs[2])->dtype() == DataType::Int32) open_end = std::numeric_limits<int32_t>::max();
  }
  if (starts.size() != ends.size() || (!axes.empty() && axes.size() != starts.size()) ||
      (!steps.empty() && steps.size() != starts.size()))
    return false;
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (size_t k = 0; k < starts.size(); ++k) {
    int64_t axis = axes.empty() ? static_cast<int64_t>(k) : axes[k];
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || seen[static_cast<size_t>(axis)]) return false;  // the kernel reports these
    seen[static_cast<size_t>(axis)] = true;
    if (!steps.empty() && steps[k] != 1) return false;
    const Dim& d = (*x)[static_cast<size_t>(axis)];
    const bool start_ok = starts[k] == 0 || (d.is_fixed() && starts[k] <= -d.value);
    const bool end_ok = ends[k] >= open_end || (d.is_fixed() && ends[k] >= d.value);
    if (!start_ok || !end_ok) return false;
  }
  return true;
}

// Every element of the fixed initializer `name` equals v (float, double, float16 or integer).
bool AllElementsAre(const Graph& g, const std::string& name, double v) {
  const Tensor* t = ConstantTensor(g, name);
  if (!t || t->size() == 0 || !t->on_cpu()) return false;
  for (int64_t i = 0; i < t->size(); ++i) {
    double e = 0;
    switch (t->dtype()) {
      case DataType::Float: e = t->data<float>()[i]; break;
      case DataType::Double: e = t->data<double>()[i]; break;
      case DataType::Float16: e = HalfToFloat(t->data<uint16_t>()[i]); break;
      case DataType::Int64: e = static_cast<double>(t->data<int64_t>()[i]); break;
      case DataType::Int32: e = t->data<int32_t>()[i]; break;
      default: return false;
    }
    if (e != v) return false;
  }
  return true;
}

// For Add/Sub/Mul/Div with a neutral constant (0 to add or subtract, 1 to multiply or divide by)
// that broadcasts to no more than the other operand's shape: the index of that operand, else -1.
int NeutralArithmetic(const Graph& g, const GraphIndex& ix, const Node& n) {
  const std::string& op = n.op_type;
  if (n.inputs.size() != 2 || !(op == "Add" || op == "Sub" || op == "Mul" || op == "Div")) return -1;
  const double neutral = op == "Add" || op == "Sub" ? 0.0 : 1.0;
  const bool commutes = op == "Add" || op == "Mul";
  for (int k = 1; k >= (commutes ? 0 : 1); --k) {
    const std::string& c = n.inputs[static_cast<size_t>(k)];
    const std::string& x = n.inputs[static_cast<size_t>(1 - k)];
    const std::vector<Dim>* xs = ShapeOf(ix, x);
    const Tensor* t = ConstantTensor(g, c);
    auto xt = ix.types.find(x);
    if (!xs || !t || xt == ix.types.end() || xt->second != t->dtype() || t->rank() > xs->size() || !AllElementsAre(g, c, neutral))
      continue;
    const size_t offset = xs->size() - t->rank();
    bool widens = false;
    for (size_t i = 0; i < t->rank(); ++i) {
      const Dim& d = (*xs)[offset + i];
      widens = widens || !(t->dim(i) == 1 || (d.is_fixed() && d.value == t->dim(i)));
    }
    if (!widens) return 1 - k;
  }
  return -1;
}

bool IsNoOp(const Graph& g, const GraphIndex& ix, const Node& n) {
  if (!n.domain.empty() || n.inputs.empty() || n.outputs.empty() || n.inputs[0].empty()) return false;
  const std::string& op = n.op_type;
  if (op == "Identity") return true;
  if (op == "Dropout") return DropoutIsNoOp(g, n);
  if (op == "Cast" || op == "CastLike") return CastIsNoOp(ix, n);
  if (IsReshapeLike(n)) return SameStaticShape(ix, n) || (op == "Reshape" && ReshapeKeepsShape(g, ix, n));
  if (op == "Expand") return ExpandIsNoOp(g, ix, n);
  if (op == "Tile") return TileIsNoOp(g, ix, n);
  if (op == "Pad") return PadIsNoOp(g, n);
  if (op == "Slice") return SliceIsNoOp(g, ix, n);
  return false;
}

// A reshape-like node reading another one reads the first one's input instead, as a Reshape: to
// its static output shape, or with its own constant shape when that has no 0 (copy-from-input)
// entries, which would refer to the intermediate's dims.
bool CollapseReshapeChain(Graph& g, const GraphIndex& ix, const BypassSweep& sweep, size_t at) {
  const Node& n = g.nodes[at];
  if (!IsReshapeLike(n) || n.inputs.empty() || n.outputs.size() != 1) return false;
  const int64_t opset = g.opsets.count("") ? g.opsets.at("") : 0;
  if (opset < 5) return false;  // Reshape takes its shape as an input from opset 5
  const int64_t p = sweep.Producer(n.inputs[0]);
  if (p < 0 || !IsReshapeLike(g.nodes[static_cast<size_t>(p)]) || g.nodes[static_cast<size_t>(p)].inputs.empty()) return false;
  const std::string source = g.nodes[static_cast<size_t>(p)].inputs[0];
  std::vector<int64_t> out;
  if (ix.StaticShape(n.outputs[0], &out) && std::none_of(out.begin(), out.end(), [](int64_t d) { return d == 0; })) {
    Tensor shape(DataType::Int64, {static_cast<int64_t>(out.size())});
    std::copy(out.begin(), out.end(), shape.data<int64_t>());
    const std::string shape_name = FreshName(g, ix, n.outputs[0] + "/shape");
    g.initializers[shape_name] = std::move(shape);
    Node r;
    r.name = n.name.empty() ? n.outputs[0] + "/Reshape" : n.name;
    r.op_type = "Reshape";
    r.opset = opset;
    r.inputs = {source, shape_name};
    r.outputs = n.outputs;
    g.nodes[at] = std::move(r);
    return true;
  }
  std::vector<int64_t> s;
  if (n.op_type != "Reshape" || n.inputs.size() < 2 || !ConstantInts(g, n.inputs[1], &s)) return false;
  if (IntAttribute(n, "allowzero", 0) == 0 && std::any_of(s.begin(), s.end(), [](int64_t d) { return d == 0; })) return false;
  g.nodes[at].inputs[0] = source;
  return true;
}

class RedundantNodeElimination : public Pass {
 public:
  const char* name() const override { return "RedundantNodeElimination"; }

  bool Run(Graph& g) const override {
    const GraphIndex ix = GraphIndex::Of(g);
    BypassSweep sweep(g, ix);
    bool collapsed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      sweep.ResolveInputs(i);
      // A collapsed chain may leave a Reshape to the shape its new input already has.
      for (int step = 0; step < 2; ++step) {
        const Node& n = g.nodes[i];
        const int operand = n.domain.empty() ? NeutralArithmetic(g, ix, n) : -1;
        if (operand >= 0 && sweep.Bypass(i, static_cast<size_t>(operand))) break;
        if (IsNoOp(g, ix, n) && sweep.Bypass(i)) break;
        if (!CollapseReshapeChain(g, ix, sweep, i)) break;
        collapsed = true;
      }
    }
    return sweep.Finish() || collapsed;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeRedundantNodeElimination() { return std::make_unique<RedundantNodeElimination>(); }

}  // namespace onyx
