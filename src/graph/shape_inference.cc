#include "graph/shape_inference.h"

#include <functional>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "onyx/error.h"

namespace onyx {

namespace {

Dim Fixed(int64_t v) { return Dim{v, ""}; }
Dim Unknown() { return Dim{}; }
bool Same(const Dim& a, const Dim& b) {
  return (a.is_fixed() && b.is_fixed() && a.value == b.value) || (a.is_symbolic() && b.is_symbolic() && a.symbol == b.symbol);
}

ValueInfo TensorInfo(DataType dt, std::optional<std::vector<Dim>> shape) {
  ValueInfo v;
  v.kind = ValueInfo::Kind::Tensor;
  v.dtype = dt;
  v.type_string = std::string("tensor(") + DataTypeName(dt) + ")";
  if (shape) {
    v.has_shape = true;
    v.shape = std::move(*shape);
  }
  return v;
}

// One element of a small integer tensor whose values inference tracks: a known integer (any
// sign), a symbolic dim (from Shape of a symbolic input) or unknown.
struct Elem {
  enum Kind { Int, Symbol, Unknown } kind = Unknown;
  int64_t value = 0;
  std::string symbol;
  static Elem Of(int64_t v) { return Elem{Int, v, ""}; }
  static Elem FromDim(const Dim& d) {
    if (d.is_fixed()) return Of(d.value);
    if (d.is_symbolic()) return Elem{Symbol, 0, d.symbol};
    return Elem{};
  }
  // As a dimension (Reshape/Expand targets): negative or unknown values become unknown dims.
  Dim ToDim() const {
    if (kind == Int && value >= 0) return Fixed(value);
    if (kind == Symbol) return Dim{-1, symbol};
    return Dim{};
  }
};

// What inference knows of one value: its info, and for small 1-D/0-D integer tensors the
// element values, which feed Reshape/Expand/... rules.
struct Known {
  ValueInfo info;
  std::optional<std::vector<Elem>> values;
};

class Inferencer {
  inline static const std::string kConv = "Conv", kGemm = "Gemm", kMatMul = "MatMul";

 public:
  explicit Inferencer(Graph& g) : g_(g) {}

  void Run() {
    for (const auto& in : g_.inputs) known_[in.name].info = in;
    for (const auto& [name, t] : g_.initializers) {
      Known k;
      std::vector<Dim> dims;
      for (int64_t d : t.shape()) dims.push_back(Fixed(d));
      k.info = TensorInfo(t.dtype(), dims);
      if ((t.dtype() == DataType::Int64 || t.dtype() == DataType::Int32) && t.rank() <= 1 && t.size() <= 64) {
        std::vector<Elem> vals;
        for (int64_t i = 0; i < t.size(); ++i)
          vals.push_back(Elem::Of(t.dtype() == DataType::Int64 ? t.data<int64_t>()[i] : t.data<int32_t>()[i]));
        k.values = vals;
      }
      if (!known_.count(name)) known_[name] = k;
      else known_[name].values = k.values;  // an input with a default: shape from the declaration
    }
    for (const auto& vi : g_.value_info) declared_[vi.name] = vi;
    for (const auto& node : g_.nodes) {
      std::vector<Known> outs(node.outputs.size());
      try {
        Infer(node, outs);
      } catch (const Error& e) {
        if (e.code() == ErrorCode::InvalidGraph) throw;  // inference proved the model invalid
        outs.assign(node.outputs.size(), Known{});       // inference is best effort; kernels check at run time
      } catch (const std::exception&) {
        outs.assign(node.outputs.size(), Known{});
      }
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        if (node.outputs[i].empty()) continue;
        Known k = outs[i];
        k.info.name = node.outputs[i];
        if (auto d = declared_.find(node.outputs[i]); d != declared_.end()) k.info = MergeValueInfo(d->second, k.info);
        known_[node.outputs[i]] = k;
      }
    }
    for (auto& o : g_.outputs) {
      auto it = known_.find(o.name);
      if (it != known_.end()) o = MergeValueInfo(o, it->second.info);
    }
    g_.value_info.clear();
    std::unordered_set<std::string> skip;
    for (const auto& in : g_.inputs) skip.insert(in.name);
    for (const auto& o : g_.outputs) skip.insert(o.name);
    for (const auto& node : g_.nodes)
      for (const auto& o : node.outputs)
        if (!o.empty() && !skip.count(o) && known_[o].info.kind != ValueInfo::Kind::Unknown) {
          ValueInfo vi = known_[o].info;
          vi.name = o;
          g_.value_info.push_back(vi);
        }
  }

 private:
  const Known* In(const Node& n, size_t i) const {
    if (i >= n.inputs.size() || n.inputs[i].empty()) return nullptr;
    auto it = known_.find(n.inputs[i]);
    return it == known_.end() ? nullptr : &it->second;
  }
  const ValueInfo* Info(const Node& n, size_t i) const {
    const Known* k = In(n, i);
    return k && k->info.kind == ValueInfo::Kind::Tensor && k->info.dtype != DataType::Undefined ? &k->info : nullptr;
  }
  const std::vector<Dim>* Shape(const Node& n, size_t i) const {
    const ValueInfo* v = Info(n, i);
    return v && v->has_shape ? &v->shape : nullptr;
  }
  std::optional<std::vector<Elem>> ConstDims(const Node& n, size_t i) const {
    const Known* k = In(n, i);
    if (!k || !k->values) return std::nullopt;
    return k->values;
  }
  // The values of input i if all are known integers.
  std::optional<std::vector<int64_t>> RawInts(const Node& n, size_t i) const {
    const Known* k = In(n, i);
    if (!k || !k->values) return std::nullopt;
    std::vector<int64_t> v;
    for (const auto& e : *k->values) {
      if (e.kind != Elem::Int) return std::nullopt;
      v.push_back(e.value);
    }
    return v;
  }
  std::optional<std::vector<int64_t>> IntsAttrOrInput(const Node& n, const std::string& attr, size_t input) const {
    if (const Attribute* a = n.FindAttribute(attr)) return a->ints;
    if (input < n.inputs.size() && !n.inputs[input].empty()) return RawInts(n, input);
    return std::nullopt;
  }
  int64_t IntAttr(const Node& n, const std::string& name, int64_t dflt) const {
    const Attribute* a = n.FindAttribute(name);
    return a && a->type == Attribute::Type::Int ? a->i : dflt;
  }
  std::vector<int64_t> IntsAttr(const Node& n, const std::string& name) const {
    const Attribute* a = n.FindAttribute(name);
    return a && a->type == Attribute::Type::Ints ? a->ints : std::vector<int64_t>{};
  }
  // An axis in [-rank, rank) (to rank inclusive for Flatten) made non-negative. An axis out of
  // range throws std::out_of_range: inference leaves the output unknown and the kernel reports it.
  static int64_t Axis(int64_t a, size_t rank, bool rank_allowed = false) {
    const auto r = static_cast<int64_t>(rank);
    if (a < -r || a > r || (a == r && !rank_allowed)) throw std::out_of_range("axis out of range");
    return a < 0 ? a + r : a;
  }

  static std::optional<std::vector<Dim>> Broadcast(const std::vector<const std::vector<Dim>*>& shapes) {
    size_t r = 0;
    for (auto* s : shapes) {
      if (!s) return std::nullopt;
      r = std::max(r, s->size());
    }
    std::vector<Dim> out(r, Fixed(1));
    for (size_t i = 0; i < r; ++i) {
      std::optional<Dim> d;
      bool unknown = false;
      for (auto* s : shapes) {
        if (i < r - s->size()) continue;
        const Dim& x = (*s)[i - (r - s->size())];
        if (x.is_fixed() && x.value == 1) continue;
        if (!d) d = x;
        else if (!Same(*d, x)) {
          if (x.is_fixed() && !d->is_fixed()) d = x;
          else if (!(d->is_fixed() && !x.is_fixed())) unknown = true;
        }
        if (!x.is_fixed() && !x.is_symbolic()) unknown = true;
      }
      out[i] = unknown ? Unknown() : (d ? *d : Fixed(1));
    }
    return out;
  }

  static Dim MulDims(const Dim& a, const Dim& b) {
    if (a.is_fixed() && b.is_fixed()) return Fixed(a.value * b.value);
    if (a.is_fixed() && a.value == 1) return b;
    if (b.is_fixed() && b.value == 1) return a;
    return Unknown();
  }

  void Infer(const Node& n, std::vector<Known>& outs) {
    // com.microsoft's fused ops (the optimizer's Conv/Gemm + activation fusions) shape as the
    // op they extend.
    const bool ms = n.domain == "com.microsoft";
    // FusedMatMul without transposes (what the optimizer writes) shapes as MatMul.
    const bool plain_fused_matmul = ms && n.op_type == "FusedMatMul" && IntAttr(n, "transA", 0) == 0 &&
                                    IntAttr(n, "transB", 0) == 0 && IntAttr(n, "transBatchA", 0) == 0 &&
                                    IntAttr(n, "transBatchB", 0) == 0;
    const std::string& op = ms && n.op_type == "FusedConv"   ? kConv
                            : ms && n.op_type == "FusedGemm" ? kGemm
                            : plain_fused_matmul             ? kMatMul
                                                             : n.op_type;
    static const std::unordered_set<std::string> same = {
        "Identity", "Abs", "Neg", "Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Erf", "Reciprocal", "Floor",
        "Ceil", "Round", "Sign", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh",
        "Atanh", "LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Gelu",
        "QuickGelu", "Mish", "Clip", "Softmax", "LogSoftmax", "Hardmax", "Dropout", "LRN", "BatchNormalization",
        "InstanceNormalization", "LayerNormalization", "GroupNormalization", "BiasGelu", "SkipLayerNormalization", "CumSum", "Trilu", "Shrink",
        "ThresholdedRelu", "MeanVarianceNormalization", "BitwiseNot", "Not", "PRelu", "Binarizer"};
    static const std::unordered_set<std::string> binary = {
        "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean", "And", "Or", "Xor", "BitShift",
        "BitwiseAnd", "BitwiseOr", "BitwiseXor"};
    static const std::unordered_set<std::string> compare = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"};
    const ValueInfo* x = Info(n, 0);
    auto set = [&](size_t i, DataType dt, std::optional<std::vector<Dim>> shape) {
      if (i < outs.size()) outs[i].info = TensorInfo(dt, std::move(shape));
    };
    auto xshape = [&]() -> std::optional<std::vector<Dim>> {
      if (x && x->has_shape) return x->shape;
      return std::nullopt;
    };
    if (same.count(op)) {
      if (!x) return;
      set(0, x->dtype, xshape());
      if (op == "Dropout") set(1, DataType::Bool, xshape());
      if (op == "SkipLayerNormalization") set(3, x->dtype, xshape());  // input_skip_bias_sum
      if ((op == "LayerNormalization" || op == "SkipLayerNormalization") && x->has_shape) {
        std::vector<Dim> stat = x->shape;
        int64_t axis = Axis(IntAttr(n, "axis", -1), stat.size());
        for (size_t i = static_cast<size_t>(std::max<int64_t>(axis, 0)); i < stat.size(); ++i) stat[i] = Fixed(1);
        set(1, DataType::Float, stat);
        set(2, DataType::Float, stat);
      }
      if (op == "Not" || op == "IsNaN") set(0, DataType::Bool, xshape());
      if (op == "PRelu") set(0, x->dtype, Broadcast({Shape(n, 0), Shape(n, 1)}));
      return;
    }
    if (ms && op == "MultiHeadAttention") {
      // query [B, S, D] with key and value [B, T, Dv]: output [B, S, Dv].
      const ValueInfo* v = Info(n, 2);
      if (!x) return;
      std::optional<std::vector<Dim>> out;
      if (x->has_shape && x->shape.size() == 3 && v && v->has_shape && v->shape.size() == 3)
        out = std::vector<Dim>{x->shape[0], x->shape[1], v->shape[2]};
      set(0, x->dtype, out);
      return;
    }
    if (op == "IsNaN" || op == "IsInf") {
      if (x) set(0, DataType::Bool, xshape());
      return;
    }
    if (binary.count(op) || compare.count(op) || op == "Where") {
      std::vector<const std::vector<Dim>*> shapes;
      for (size_t i = 0; i < n.inputs.size(); ++i) shapes.push_back(Shape(n, i));
      const ValueInfo* t = Info(n, op == "Where" ? 1 : 0);
      if (!t) return;
      set(0, compare.count(op) ? DataType::Bool : t->dtype, Broadcast(shapes));
      // Arithmetic on known integer values (shape computations such as seq_len * heads).
      if (binary.count(op) && n.inputs.size() == 2) {
        auto a = ConstDims(n, 0), b = ConstDims(n, 1);
        if (a && b && (a->size() == b->size() || a->size() == 1 || b->size() == 1)) {
          size_t len = std::max(a->size(), b->size());
          std::vector<Elem> v;
          for (size_t i = 0; i < len; ++i) {
            const Elem& p = (*a)[a->size() == 1 ? 0 : i];
            const Elem& q = (*b)[b->size() == 1 ? 0 : i];
            if (p.kind == Elem::Int && q.kind == Elem::Int) {
              if (op == "Add") v.push_back(Elem::Of(p.value + q.value));
              else if (op == "Sub") v.push_back(Elem::Of(p.value - q.value));
              else if (op == "Mul") v.push_back(Elem::Of(p.value * q.value));
              else if (op == "Div" && q.value != 0) v.push_back(Elem::Of(p.value / q.value));
              else v.push_back(Elem{});
            } else if (op == "Mul" && p.kind == Elem::Int && p.value == 1) {
              v.push_back(q);
            } else if ((op == "Mul" || op == "Div") && q.kind == Elem::Int && q.value == 1) {
              v.push_back(p);
            } else {
              v.push_back(Elem{});
            }
          }
          outs[0].values = v;
        }
      }
      return;
    }
    if (op == "Cast" || op == "CastLike") {
      if (!x) return;
      DataType to = op == "Cast" ? static_cast<DataType>(IntAttr(n, "to", 1)) : (Info(n, 1) ? Info(n, 1)->dtype : DataType::Undefined);
      if (to == DataType::Undefined) return;
      set(0, to, xshape());
      if (auto v = ConstDims(n, 0); v && (to == DataType::Int64 || to == DataType::Int32)) outs[0].values = v;
      return;
    }
    if (op == "Constant") {
      const Attribute* a = n.FindAttribute("value");
      if (a && a->type == Attribute::Type::Tensor) {
        std::vector<Dim> dims;
        for (int64_t d : a->t.shape()) dims.push_back(Fixed(d));
        set(0, a->t.dtype(), dims);
        if ((a->t.dtype() == DataType::Int64) && a->t.rank() <= 1 && a->t.size() <= 64) {
          std::vector<Elem> vals;
          for (int64_t i = 0; i < a->t.size(); ++i) vals.push_back(Elem::Of(a->t.data<int64_t>()[i]));
          outs[0].values = vals;
        }
      } else if (n.FindAttribute("value_int")) {
        set(0, DataType::Int64, std::vector<Dim>{});
        outs[0].values = std::vector<Elem>{Elem::Of(IntAttr(n, "value_int", 0))};
      } else if (const Attribute* vi = n.FindAttribute("value_ints")) {
        set(0, DataType::Int64, std::vector<Dim>{Fixed(static_cast<int64_t>(vi->ints.size()))});
        std::vector<Elem> vals;
        for (int64_t v : vi->ints) vals.push_back(Elem::Of(v));
        outs[0].values = vals;
      } else if (n.FindAttribute("value_float")) {
        set(0, DataType::Float, std::vector<Dim>{});
      } else if (const Attribute* vf = n.FindAttribute("value_floats")) {
        set(0, DataType::Float, std::vector<Dim>{Fixed(static_cast<int64_t>(vf->floats.size()))});
      }
      return;
    }
    if (op == "Shape") {
      if (!x || !x->has_shape) {
        set(0, DataType::Int64, std::nullopt);
        return;
      }
      int64_t r = static_cast<int64_t>(x->shape.size());
      int64_t start = IntAttr(n, "start", 0), end = IntAttr(n, "end", r);
      if (start < 0) start += r;
      if (end < 0) end += r;
      start = std::clamp<int64_t>(start, 0, r);
      end = std::clamp<int64_t>(end, start, r);
      set(0, DataType::Int64, std::vector<Dim>{Fixed(end - start)});
      std::vector<Elem> vals;
      for (int64_t i = start; i < end; ++i) vals.push_back(Elem::FromDim(x->shape[i]));
      outs[0].values = vals;
      return;
    }
    if (op == "Size") {
      set(0, DataType::Int64, std::vector<Dim>{});
      return;
    }
    if (op == "MatMul") {
      auto* a = Shape(n, 0);
      auto* b = Shape(n, 1);
      if (!x) return;
      if (!a || !b || a->empty() || b->empty()) {
        set(0, x->dtype, std::nullopt);
        return;
      }
      std::vector<Dim> A = *a, B = *b;
      bool pa = A.size() == 1, pb = B.size() == 1;
      if (pa) A.insert(A.begin(), Fixed(1));
      if (pb) B.push_back(Fixed(1));
      std::vector<Dim> ba(A.begin(), A.end() - 2), bb(B.begin(), B.end() - 2);
      auto batch = Broadcast({&ba, &bb});
      if (!batch) return;
      std::vector<Dim> out = *batch;
      if (!pa) out.push_back(A[A.size() - 2]);
      if (!pb) out.push_back(B.back());
      set(0, x->dtype, out);
      return;
    }
    if (op == "Gemm") {
      auto* a = Shape(n, 0);
      auto* b = Shape(n, 1);
      if (!x) return;
      if (!a || !b || a->size() != 2 || b->size() != 2) {
        set(0, x->dtype, std::nullopt);
        return;
      }
      Dim m = IntAttr(n, "transA", 0) ? (*a)[1] : (*a)[0];
      Dim nn = IntAttr(n, "transB", 0) ? (*b)[0] : (*b)[1];
      set(0, x->dtype, std::vector<Dim>{m, nn});
      return;
    }
    if (op == "Conv" || op == "MaxPool" || op == "AveragePool" || op == "LpPool" || op == "ConvTranspose") {
      if (!x) return;
      set(0, x->dtype, std::nullopt);
      auto* s = Shape(n, 0);
      if (!s || s->size() < 3) return;
      size_t sp = s->size() - 2;
      std::vector<int64_t> kernel = IntsAttr(n, "kernel_shape");
      Dim channels = (*s)[1];
      if (op == "Conv" || op == "ConvTranspose") {
        auto* w = Shape(n, 1);
        if (!w || w->size() != s->size()) return;
        if (kernel.empty())
          for (size_t i = 0; i < sp; ++i) {
            if (!(*w)[2 + i].is_fixed()) return;
            kernel.push_back((*w)[2 + i].value);
          }
        channels = op == "Conv" ? (*w)[0] : MulDims((*w)[1], Fixed(IntAttr(n, "group", 1)));
      }
      if (kernel.size() != sp) return;
      std::vector<int64_t> strides = IntsAttr(n, "strides"), dil = IntsAttr(n, "dilations"), pads = IntsAttr(n, "pads");
      if (strides.empty()) strides.assign(sp, 1);
      if (dil.empty()) dil.assign(sp, 1);
      if (pads.empty()) pads.assign(2 * sp, 0);
      // Attributes of the wrong length or beyond sane sizes leave the shape unknown (the kernel
      // reports them); this keeps the arithmetic below in range.
      auto sane = [](const std::vector<int64_t>& v, size_t len, int64_t lo) {
        if (v.size() != len) return false;
        for (int64_t e : v)
          if (e < lo || e > (int64_t{1} << 31)) return false;
        return true;
      };
      if (!sane(kernel, sp, 1) || !sane(strides, sp, 1) || !sane(dil, sp, 1) || !sane(pads, 2 * sp, 0)) return;
      for (size_t i = 0; i < sp; ++i)
        if ((*s)[2 + i].is_fixed() && (*s)[2 + i].value > (int64_t{1} << 40)) return;
      const Attribute* ap = n.FindAttribute("auto_pad");
      std::string auto_pad = ap ? ap->s : "NOTSET";
      bool ceil_mode = IntAttr(n, "ceil_mode", 0) != 0;
      std::vector<Dim> out = {(*s)[0], channels};
      if (op == "ConvTranspose") {
        std::vector<int64_t> output_shape = IntsAttr(n, "output_shape"), opad = IntsAttr(n, "output_padding");
        if (opad.empty()) opad.assign(sp, 0);
        if (!sane(opad, sp, 0) || (!output_shape.empty() && output_shape.size() < sp)) return;
        for (size_t i = 0; i < sp; ++i) {
          const Dim& in = (*s)[2 + i];
          if (!output_shape.empty()) out.push_back(Fixed(output_shape[output_shape.size() - sp + i]));
          else if (!in.is_fixed()) out.push_back(Unknown());
          else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") out.push_back(Fixed(in.value * strides[i]));
          else out.push_back(Fixed(strides[i] * (in.value - 1) + opad[i] + ((kernel[i] - 1) * dil[i] + 1) - pads[i] - pads[i + sp]));
        }
      } else {
        for (size_t i = 0; i < sp; ++i) {
          const Dim& in = (*s)[2 + i];
          if (!in.is_fixed()) {
            out.push_back(Unknown());
            continue;
          }
          int64_t ek = (kernel[i] - 1) * dil[i] + 1;
          if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") out.push_back(Fixed((in.value + strides[i] - 1) / strides[i]));
          else if (auto_pad == "VALID") out.push_back(Fixed((in.value - ek) / strides[i] + 1));
          else {
            int64_t span = in.value + pads[i] + pads[i + sp] - ek;
            int64_t o = ceil_mode ? (span + strides[i] - 1) / strides[i] + 1 : span / strides[i] + 1;
            if (ceil_mode && (o - 1) * strides[i] >= in.value + pads[i]) --o;
            out.push_back(Fixed(o));
          }
        }
      }
      set(0, x->dtype, out);
      if (op == "MaxPool") set(1, DataType::Int64, out);
      return;
    }
    if (op == "GlobalAveragePool" || op == "GlobalMaxPool" || op == "GlobalLpPool") {
      if (!x) return;
      auto s = xshape();
      if (s)
        for (size_t i = 2; i < s->size(); ++i) (*s)[i] = Fixed(1);
      set(0, x->dtype, s);
      return;
    }
    if (op == "Flatten") {
      if (!x) return;
      auto s = xshape();
      if (!s) {
        set(0, x->dtype, std::vector<Dim>{Unknown(), Unknown()});
        return;
      }
      int64_t axis = Axis(IntAttr(n, "axis", 1), s->size(), /*rank_allowed=*/true);
      Dim a = Fixed(1), b = Fixed(1);
      for (int64_t i = 0; i < static_cast<int64_t>(s->size()); ++i) (i < axis ? a : b) = MulDims(i < axis ? a : b, (*s)[i]);
      set(0, x->dtype, std::vector<Dim>{a, b});
      return;
    }
    if (op == "Reshape") {
      if (!x) return;
      std::optional<std::vector<Elem>> target;
      if (n.opset < 5) {
        target.emplace();
        for (int64_t v : IntsAttr(n, "shape")) target->push_back(Elem::Of(v));
      } else {
        target = ConstDims(n, 1);
      }
      if (!target) {
        auto* ts = Shape(n, 1);
        if (ts && ts->size() == 1 && (*ts)[0].is_fixed()) set(0, x->dtype, std::vector<Dim>((*ts)[0].value, Unknown()));
        else set(0, x->dtype, std::nullopt);
        return;
      }
      bool allowzero = IntAttr(n, "allowzero", 0) != 0;
      std::vector<Dim> out;
      int infer_at = -1;
      for (size_t i = 0; i < target->size(); ++i) {
        const Elem& e = (*target)[i];
        if (e.kind == Elem::Int && e.value == 0 && !allowzero) out.push_back(x->has_shape && i < x->shape.size() ? x->shape[i] : Unknown());
        else if (e.kind == Elem::Int && e.value == -1) {
          infer_at = static_cast<int>(i);
          out.push_back(Unknown());
        } else out.push_back(e.ToDim());
      }
      if (infer_at >= 0 && x->has_shape) {
        // Total / known product, when both are fixed numbers, or a symbol that cancels out.
        std::vector<Dim> num = x->shape, den;
        for (size_t i = 0; i < out.size(); ++i)
          if (static_cast<int>(i) != infer_at) den.push_back(out[i]);
        for (auto it = den.begin(); it != den.end();) {
          auto m = std::find_if(num.begin(), num.end(), [&](const Dim& d) { return Same(d, *it); });
          if (m != num.end()) {
            num.erase(m);
            it = den.erase(it);
          } else {
            ++it;
          }
        }
        int64_t pn = 1, pd = 1;
        bool ok = true;
        std::optional<Dim> sym;
        for (const auto& d : num) {
          if (d.is_fixed()) pn *= d.value;
          else if (!sym && d.is_symbolic()) sym = d;
          else ok = false;
        }
        for (const auto& d : den) {
          if (d.is_fixed()) pd *= d.value;
          else ok = false;
        }
        if (ok && pd != 0 && pn % pd == 0) {
          if (!sym) out[infer_at] = Fixed(pn / pd);
          else if (pn == pd) out[infer_at] = *sym;
        }
      }
      set(0, x->dtype, out);
      return;
    }
    if (op == "Transpose") {
      if (!x) return;
      auto s = xshape();
      if (!s) {
        set(0, x->dtype, std::nullopt);
        return;
      }
      std::vector<int64_t> perm = IntsAttr(n, "perm");
      if (perm.empty())
        for (int64_t i = static_cast<int64_t>(s->size()) - 1; i >= 0; --i) perm.push_back(i);
      const auto rank = static_cast<int64_t>(s->size());
      if (static_cast<int64_t>(perm.size()) != rank)
        throw Error(ErrorCode::InvalidGraph, n.Describe() + ": perm has " + std::to_string(perm.size()) +
                                                 " entries for an input of rank " + std::to_string(rank));
      std::vector<bool> seen(perm.size(), false);
      for (int64_t p : perm) {
        if (p < 0 || p >= rank || seen[p])
          throw Error(ErrorCode::InvalidGraph, n.Describe() + ": perm entry " + std::to_string(p) +
                                                   (p < 0 || p >= rank ? " is out of range for an input of rank " + std::to_string(rank)
                                                                       : " appears twice"));
        seen[p] = true;
      }
      std::vector<Dim> out;
      for (int64_t p : perm) out.push_back((*s)[static_cast<size_t>(p)]);
      set(0, x->dtype, out);
      return;
    }
    if (op == "Concat") {
      if (!x) return;
      auto s = xshape();
      int64_t axis = IntAttr(n, "axis", 0);
      std::vector<Elem> values;
      bool have_values = true;
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        auto v = ConstDims(n, i);
        if (v) values.insert(values.end(), v->begin(), v->end());
        else have_values = false;
      }
      if (!s) {
        set(0, x->dtype, std::nullopt);
        return;
      }
      size_t a = static_cast<size_t>(Axis(axis, s->size()));
      Dim total = Fixed(0);
      for (size_t i = 0; i < n.inputs.size(); ++i) {
        auto* si = Shape(n, i);
        if (!si || a >= si->size() || !(*si)[a].is_fixed() || !total.is_fixed()) total = Unknown();
        else total = Fixed(total.value + (*si)[a].value);
      }
      (*s)[a] = total;
      set(0, x->dtype, s);
      if (have_values && s->size() == 1) outs[0].values = values;
      return;
    }
    if (op == "Gather") {
      if (!x) return;
      auto* s = Shape(n, 0);
      auto* idx = Shape(n, 1);
      if (!s || !idx) {
        set(0, x->dtype, std::nullopt);
        return;
      }
      size_t a = static_cast<size_t>(Axis(IntAttr(n, "axis", 0), s->size()));
      std::vector<Dim> out(s->begin(), s->begin() + a);
      out.insert(out.end(), idx->begin(), idx->end());
      out.insert(out.end(), s->begin() + a + 1, s->end());
      set(0, x->dtype, out);
      auto data = ConstDims(n, 0);
      auto ids = RawInts(n, 1);
      if (data && ids && s->size() == 1) {
        std::vector<Elem> v;
        for (int64_t i : *ids) {
          int64_t j = i < 0 ? i + static_cast<int64_t>(data->size()) : i;
          if (j < 0 || j >= static_cast<int64_t>(data->size())) return;
          v.push_back((*data)[j]);
        }
        outs[0].values = v;
      }
      return;
    }
    if (op == "Unsqueeze" || op == "Squeeze") {
      if (!x) return;
      auto s = xshape();
      auto axes = IntsAttrOrInput(n, "axes", 1);
      if (!s || (!axes && op == "Unsqueeze")) {
        set(0, x->dtype, std::nullopt);
        return;
      }
      std::vector<Dim> out;
      if (op == "Unsqueeze") {
        size_t r = s->size() + axes->size();
        std::vector<bool> ins(r, false);
        for (int64_t a : *axes) ins.at(static_cast<size_t>(Axis(a, r))) = true;
        size_t k = 0;
        for (size_t i = 0; i < r; ++i) out.push_back(ins[i] ? Fixed(1) : (*s).at(k++));
      } else {
        std::vector<bool> drop(s->size(), false);
        if (axes) {
          for (int64_t a : *axes) drop.at(static_cast<size_t>(Axis(a, s->size()))) = true;
        } else {
          for (size_t i = 0; i < s->size(); ++i) {
            if (!(*s)[i].is_fixed()) {
              set(0, x->dtype, std::nullopt);
              return;
            }
            drop[i] = (*s)[i].value == 1;
          }
        }
        for (size_t i = 0; i < s->size(); ++i)
          if (!drop[i]) out.push_back((*s)[i]);
      }
      set(0, x->dtype, out);
      if (auto v = ConstDims(n, 0)) outs[0].values = v;
      return;
    }
    if (op == "ReduceMean" || op == "ReduceSum" || op == "ReduceMax" || op == "ReduceMin" || op == "ReduceProd" ||
        op == "ReduceL1" || op == "ReduceL2" || op == "ReduceLogSum" || op == "ReduceLogSumExp" ||
        op == "ReduceSumSquare" || op == "ArgMax" || op == "ArgMin") {
      if (!x) return;
      DataType dt = (op == "ArgMax" || op == "ArgMin") ? DataType::Int64 : x->dtype;
      auto s = xshape();
      bool keep = IntAttr(n, "keepdims", 1) != 0;
      std::optional<std::vector<int64_t>> axes;
      if (op == "ArgMax" || op == "ArgMin") axes = std::vector<int64_t>{IntAttr(n, "axis", 0)};
      else axes = IntsAttrOrInput(n, "axes", 1);
      if (!s || (!axes && n.inputs.size() > 1 && !n.inputs[1].empty())) {
        set(0, dt, std::nullopt);
        return;
      }
      std::vector<bool> red(s->size(), !axes || axes->empty());
      if (axes && axes->empty() && IntAttr(n, "noop_with_empty_axes", 0)) red.assign(s->size(), false);
      if (axes)
        for (int64_t a : *axes) red.at(static_cast<size_t>(Axis(a, s->size()))) = true;
      std::vector<Dim> out;
      for (size_t i = 0; i < s->size(); ++i) {
        if (!red[i]) out.push_back((*s)[i]);
        else if (keep) out.push_back(Fixed(1));
      }
      set(0, dt, out);
      return;
    }
    if (op == "Expand") {
      if (!x) return;
      auto target = ConstDims(n, 1);
      if (!target || !x->has_shape) {
        set(0, x->dtype, std::nullopt);
        return;
      }
      std::vector<Dim> t;
      for (const auto& e : *target) t.push_back(e.ToDim());
      set(0, x->dtype, Broadcast({&x->shape, &t}));
      return;
    }
    if (op == "ConstantOfShape") {
      DataType dt = DataType::Float;
      if (const Attribute* a = n.FindAttribute("value"); a && a->type == Attribute::Type::Tensor) dt = a->t.dtype();
      auto target = ConstDims(n, 0);
      if (!target) {
        set(0, dt, std::nullopt);
        return;
      }
      std::vector<Dim> t;
      for (const auto& e : *target) t.push_back(e.ToDim());
      set(0, dt, t);
      return;
    }
    if (op == "Slice") {
      if (!x) return;
      auto s = xshape();
      if (!s) {
        set(0, x->dtype, std::nullopt);
        return;
      }
      std::optional<std::vector<int64_t>> starts, ends, axes, steps;
      if (n.opset < 10) {
        starts = IntsAttr(n, "starts");
        ends = IntsAttr(n, "ends");
        if (n.FindAttribute("axes")) axes = IntsAttr(n, "axes");
      } else {
        starts = RawInts(n, 1);
        ends = RawInts(n, 2);
        if (n.inputs.size() > 3 && !n.inputs[3].empty()) axes = RawInts(n, 3);
        if (n.inputs.size() > 4 && !n.inputs[4].empty()) steps = RawInts(n, 4);
        if ((n.inputs.size() > 3 && !n.inputs[3].empty() && !axes) || (n.inputs.size() > 4 && !n.inputs[4].empty() && !steps)) starts.reset();
      }
      if (!starts || !ends || starts->size() != ends->size()) {
        for (auto& d : *s) d = Unknown();
        set(0, x->dtype, s);
        return;
      }
      std::vector<int64_t> ax = axes ? *axes : std::vector<int64_t>();
      if (!axes)
        for (size_t i = 0; i < starts->size(); ++i) ax.push_back(static_cast<int64_t>(i));
      auto data = ConstDims(n, 0);
      for (size_t i = 0; i < starts->size(); ++i) {
        size_t a = static_cast<size_t>(Axis(ax.at(i), s->size()));
        int64_t step = steps ? steps->at(i) : 1;
        Dim& d = (*s).at(a);
        if (!d.is_fixed() || step == 0) {
          d = Unknown();
          data.reset();
          continue;
        }
        int64_t dim = d.value, st = (*starts)[i], en = (*ends)[i];
        if (st < 0) st += dim;
        if (en < 0) en += dim;
        if (step > 0) {
          st = std::clamp<int64_t>(st, 0, dim);
          en = std::clamp<int64_t>(en, 0, dim);
          d = Fixed(en > st ? (en - st + step - 1) / step : 0);
        } else {
          st = std::clamp<int64_t>(st, 0, dim - 1);
          en = std::clamp<int64_t>(en, -1, dim - 1);
          d = Fixed(st > en ? (st - en - step - 1) / -step : 0);
        }
        if (data && s->size() == 1 && step == 1 && st <= en) {
          outs[0].values = std::vector<Elem>(data->begin() + st, data->begin() + std::max(st, en));
        }
      }
      set(0, x->dtype, s);
      if (!(data && s->size() == 1)) outs[0].values.reset();
      return;
    }
    if (op == "Split") {
      if (!x) return;
      auto s = xshape();
      if (!s) {
        for (size_t i = 0; i < outs.size(); ++i) set(i, x->dtype, std::nullopt);
        return;
      }
      size_t a = static_cast<size_t>(Axis(IntAttr(n, "axis", 0), s->size()));
      std::optional<std::vector<int64_t>> split = n.FindAttribute("split") ? std::optional(IntsAttr(n, "split")) : RawInts(n, 1);
      for (size_t i = 0; i < outs.size(); ++i) {
        std::vector<Dim> o = *s;
        if (split && i < split->size()) o[a] = Fixed((*split)[i]);
        else if ((*s)[a].is_fixed() && (*s)[a].value % static_cast<int64_t>(outs.size()) == 0) o[a] = Fixed((*s)[a].value / static_cast<int64_t>(outs.size()));
        else o[a] = Unknown();
        set(i, x->dtype, o);
      }
      return;
    }
    if (op == "Tile") {
      if (!x) return;
      auto s = xshape();
      auto reps = RawInts(n, 1);
      if (s && reps && reps->size() == s->size())
        for (size_t i = 0; i < s->size(); ++i) (*s)[i] = MulDims((*s)[i], Fixed((*reps)[i]));
      else if (s)
        for (auto& d : *s) d = Unknown();
      set(0, x->dtype, s);
      return;
    }
    if (op == "Pad") {
      if (!x) return;
      auto s = xshape();
      auto pads = n.opset < 11 ? std::optional(IntsAttr(n, "pads")) : RawInts(n, 1);
      if (s && pads && pads->size() == 2 * s->size() && n.inputs.size() < 4)
        for (size_t i = 0; i < s->size(); ++i)
          (*s)[i] = (*s)[i].is_fixed() ? Fixed((*s)[i].value + (*pads)[i] + (*pads)[i + s->size()]) : Unknown();
      else if (s)
        for (auto& d : *s) d = Unknown();
      set(0, x->dtype, s);
      return;
    }
    if (op == "Range") {
      if (x) set(0, x->dtype, std::vector<Dim>{Unknown()});
      return;
    }
    if (op == "NonZero") {
      auto s = xshape();
      set(0, DataType::Int64, std::vector<Dim>{s ? Fixed(static_cast<int64_t>(s->size())) : Unknown(), Unknown()});
      return;
    }
    if (op == "TopK") {
      if (!x) return;
      auto s = xshape();
      if (s) {
        size_t a = static_cast<size_t>(Axis(IntAttr(n, "axis", -1), s->size()));
        auto k = n.opset < 10 ? std::optional(std::vector<int64_t>{IntAttr(n, "k", 0)}) : RawInts(n, 1);
        (*s)[a] = k && k->size() == 1 ? Fixed((*k)[0]) : Unknown();
      }
      set(0, x->dtype, s);
      set(1, DataType::Int64, s);
      return;
    }
    if (op == "OneHot" || op == "Resize" || op == "Upsample" || op == "Einsum") {
      if (x) {
        auto s = xshape();
        if (s && op != "Einsum")
          for (size_t i = 0; i < s->size(); ++i) (*s)[i] = op == "OneHot" ? Unknown() : (*s)[i];
        if (op == "Resize" || op == "Upsample") {
          if (s)
            for (auto& d : *s) d = Unknown();
        }
        const ValueInfo* vals = op == "OneHot" ? Info(n, 2) : x;
        if (vals) set(0, vals->dtype, op == "Einsum" || op == "OneHot" ? std::nullopt : s);
      }
      return;
    }
  }

  Graph& g_;
  std::unordered_map<std::string, Known> known_;
  std::unordered_map<std::string, ValueInfo> declared_;
};

}  // namespace

ValueInfo MergeValueInfo(const ValueInfo& declared, const ValueInfo& inferred) {
  if (declared.kind == ValueInfo::Kind::Unknown || (declared.dtype == DataType::Undefined && declared.kind == ValueInfo::Kind::Tensor && declared.type_string.empty())) {
    ValueInfo v = inferred;
    v.name = declared.name;
    return v;
  }
  ValueInfo v = declared;
  if (inferred.kind != declared.kind || inferred.dtype != declared.dtype || !inferred.has_shape) return v;
  if (!declared.has_shape) {
    v.has_shape = true;
    v.shape = inferred.shape;
    return v;
  }
  if (declared.shape.size() != inferred.shape.size()) return v;
  for (size_t i = 0; i < v.shape.size(); ++i) {
    const Dim& d = declared.shape[i];
    const Dim& n = inferred.shape[i];
    if (d.is_fixed()) continue;
    if (n.is_fixed()) v.shape[i] = n;
    else if (!d.is_symbolic() && n.is_symbolic()) v.shape[i] = n;
  }
  return v;
}

void InferShapes(Graph& graph) { Inferencer(graph).Run(); }

}  // namespace onyx
