// Load-time expansion of ai.onnx.preview.training Gradient into ai.onnx nodes (see gradient.h).
#include "graph/gradient.h"

#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "core/float16.h"
#include "onyx/error.h"

namespace onyx {

namespace {

constexpr const char* kTrainingDomain = "ai.onnx.preview.training";

bool SameDim(const Dim& a, const Dim& b) {
  return (a.is_fixed() && a.value == b.value) || (a.is_symbolic() && a.symbol == b.symbol);
}

// Emits the backward nodes of one Gradient node into `out`, reading the forward values of g.
class GradientBuilder {
 public:
  GradientBuilder(Graph& g, const Node& grad_node, std::set<std::string>& names)
      : g_(g), node_(grad_node), names_(names), opset_(g.opsets.count("") ? g.opsets.at("") : 0) {
    for (const auto& v : g.inputs) info_[v.name] = v;
    for (const auto& v : g.value_info) info_[v.name] = v;
    for (const auto& v : g.outputs) info_[v.name] = v;
    for (const auto& [n, t] : g.initializers) {
      ValueInfo vi;
      vi.name = n;
      vi.dtype = t.dtype();
      vi.has_shape = true;
      for (int64_t d : t.shape()) vi.shape.push_back(Dim{d, {}});
      info_[n] = vi;
    }
  }

  std::vector<Node> Build() {
    const Attribute* xs_attr = node_.FindAttribute("xs");
    const Attribute* y_attr = node_.FindAttribute("y");
    if (!xs_attr || xs_attr->type != Attribute::Type::Strings || !y_attr || y_attr->type != Attribute::Type::String)
      throw Fail(ErrorCode::InvalidGraph, "needs the attributes xs (strings) and y (string)");
    const std::vector<std::string>& xs = xs_attr->strings;
    const std::string& y = y_attr->s;
    if (node_.outputs.size() != xs.size())
      throw Fail(ErrorCode::InvalidGraph, "has " + std::to_string(node_.outputs.size()) + " outputs for " +
                                              std::to_string(xs.size()) + " xs");
    if (y.empty()) throw Fail(ErrorCode::InvalidGraph, "has an empty y");
    for (const auto& x : xs)
      if (x.empty()) throw Fail(ErrorCode::InvalidGraph, "has an empty name in xs");
    if (opset_ < 9) throw Fail(ErrorCode::NotImplemented, "needs ai.onnx opset 9 or newer");

    // Values that depend on some x (g is topologically sorted).
    std::set<std::string> from_x(xs.begin(), xs.end());
    for (const Node& n : g_.nodes) {
      if (&n == &node_) continue;
      for (const auto& in : n.inputs)
        if (from_x.count(in)) {
          for (const auto& o : n.outputs)
            if (!o.empty()) from_x.insert(o);
          break;
        }
    }
    if (from_x.count(y)) {
      grads_[y] = Emit("ConstantOfShape", {Emit("Shape", {y})}, Scalar(Info(y).dtype, 1.0, "value"));
      for (auto it = g_.nodes.rbegin(); it != g_.nodes.rend(); ++it) {
        const Node& n = *it;
        if (&n == &node_ || n.outputs.empty() || !grads_.count(n.outputs[0])) continue;
        bool needed = false;
        for (const auto& in : n.inputs) needed |= !in.empty() && from_x.count(in) > 0;
        if (needed) Backward(n, from_x);
      }
    }
    for (size_t i = 0; i < xs.size(); ++i) {
      if (node_.outputs[i].empty()) continue;
      auto it = grads_.find(xs[i]);
      if (it != grads_.end()) {
        Emit("Identity", {it->second}, {}, node_.outputs[i]);
      } else {  // y does not depend on this x
        Emit("ConstantOfShape", {Emit("Shape", {xs[i]})}, Scalar(Info(xs[i]).dtype, 0.0, "value"), node_.outputs[i]);
      }
    }
    return std::move(out_);
  }

 private:
  Error Fail(ErrorCode code, const std::string& what) const { return Error(code, node_.Describe() + " " + what); }

  const ValueInfo& Info(const std::string& v) const {
    auto it = info_.find(v);
    static const ValueInfo unknown;
    return it == info_.end() ? unknown : it->second;
  }

  std::string Fresh(const std::string& hint) {
    for (;;) {
      std::string n = node_.name + "/grad/" + hint + "_" + std::to_string(counter_++);
      if (names_.insert(n).second) return n;
    }
  }

  std::map<std::string, Attribute> Scalar(DataType dt, double v, const std::string& attr) {
    Attribute a;
    a.type = Attribute::Type::Tensor;
    a.t = ScalarTensor(dt, v, {1});
    return {{attr, a}};
  }

  Tensor ScalarTensor(DataType dt, double v, std::vector<int64_t> shape) const {
    Tensor t(dt, std::move(shape));
    if (dt == DataType::Float) {
      const float f = static_cast<float>(v);
      std::memcpy(t.raw_data(), &f, sizeof f);
    } else if (dt == DataType::Double) {
      std::memcpy(t.raw_data(), &v, sizeof v);
    } else if (dt == DataType::Float16) {
      const uint16_t h = FloatToHalf(static_cast<float>(v));
      std::memcpy(t.raw_data(), &h, sizeof h);
    } else {
      throw Fail(ErrorCode::NotImplemented, "differentiates float, double and float16 values, not " + std::string(DataTypeName(dt)));
    }
    return t;
  }

  // A scalar constant of v's element type, as an initializer.
  std::string Const(const std::string& like, double v) {
    const std::string n = Fresh("const");
    g_.initializers[n] = ScalarTensor(Info(like).dtype, v, {});
    return n;
  }

  std::string Int64s(const std::vector<int64_t>& v) {
    const std::string n = Fresh("ints");
    g_.initializers[n] = Tensor::Copy(DataType::Int64, {static_cast<int64_t>(v.size())}, v.data());
    return n;
  }

  std::string Emit(const std::string& op, std::vector<std::string> inputs, std::map<std::string, Attribute> attrs = {},
                   std::string output = {}) {
    Node n;
    n.op_type = op;
    n.opset = opset_;
    n.inputs = std::move(inputs);
    n.attributes = std::move(attrs);
    n.name = Fresh(op);
    if (output.empty()) output = Fresh(op + "_out");
    n.outputs = {output};
    out_.push_back(std::move(n));
    return output;
  }

  void Accumulate(const std::string& v, const std::string& grad) {
    auto it = grads_.find(v);
    if (it == grads_.end()) grads_[v] = grad;
    else it->second = Emit("Add", {it->second, grad});
  }

  // Sums grad (of shape `from`) down to the shape of x, undoing numpy broadcasting.
  std::string Unbroadcast(const std::string& grad, const std::vector<Dim>& from, bool from_known, const std::string& x) {
    const ValueInfo& xi = Info(x);
    if (from_known && xi.has_shape && from.size() == xi.shape.size()) {
      bool same = true;
      for (size_t i = 0; i < from.size(); ++i) same &= SameDim(from[i], xi.shape[i]);
      if (same) return grad;
    }
    auto fixed = [](const std::vector<Dim>& s) {
      for (const Dim& d : s)
        if (!d.is_fixed()) return false;
      return true;
    };
    if (!from_known || !xi.has_shape || !fixed(from) || !fixed(xi.shape) || xi.shape.size() > from.size())
      throw Fail(ErrorCode::NotImplemented, "cannot undo the broadcasting of '" + x + "' without static shapes");
    const size_t lead = from.size() - xi.shape.size();
    std::vector<int64_t> axes, target;
    for (size_t i = 0; i < from.size(); ++i)
      if (i < lead || (xi.shape[i - lead].value == 1 && from[i].value != 1)) axes.push_back(static_cast<int64_t>(i));
    for (const Dim& d : xi.shape) target.push_back(d.value);
    std::string r = grad;
    if (!axes.empty()) {
      Attribute keep;
      keep.type = Attribute::Type::Int;
      keep.i = 1;
      if (opset_ >= 13) {
        r = Emit("ReduceSum", {grad, Int64s(axes)}, {{"keepdims", keep}});
      } else {
        Attribute ax;
        ax.type = Attribute::Type::Ints;
        ax.ints = axes;
        r = Emit("ReduceSum", {grad}, {{"keepdims", keep}, {"axes", ax}});
      }
    }
    return Emit("Reshape", {r, Int64s(target)});
  }

  std::string Unbroadcast(const std::string& grad, const std::string& out, const std::string& x) {
    const ValueInfo& oi = Info(out);
    return Unbroadcast(grad, oi.shape, oi.has_shape, x);
  }

  // Transposes the last two axes of v (its rank is known and >= 2).
  std::string SwapLast(const std::string& v) {
    const ValueInfo& vi = Info(v);
    Attribute perm;
    perm.type = Attribute::Type::Ints;
    for (size_t i = 0; i < vi.shape.size(); ++i) perm.ints.push_back(static_cast<int64_t>(i));
    std::swap(perm.ints[perm.ints.size() - 1], perm.ints[perm.ints.size() - 2]);
    return Emit("Transpose", {v}, {{"perm", perm}});
  }

  void Backward(const Node& n, const std::set<std::string>& from_x) {
    const std::string& op = n.op_type;
    const std::string& go = grads_.at(n.outputs[0]);
    const std::string& out = n.outputs[0];
    auto wants = [&](size_t i) { return i < n.inputs.size() && !n.inputs[i].empty() && from_x.count(n.inputs[i]) > 0; };
    if (!n.domain.empty() || n.outputs.size() != 1) Unsupported(n);
    const std::string a = n.inputs.size() > 0 ? n.inputs[0] : "", b = n.inputs.size() > 1 ? n.inputs[1] : "";
    if (op == "Add" || op == "Sub") {
      if (wants(0)) Accumulate(a, Unbroadcast(go, out, a));
      if (wants(1)) Accumulate(b, Unbroadcast(op == "Add" ? go : Emit("Neg", {go}), out, b));
    } else if (op == "Mul") {
      if (wants(0)) Accumulate(a, Unbroadcast(Emit("Mul", {go, b}), out, a));
      if (wants(1)) Accumulate(b, Unbroadcast(Emit("Mul", {go, a}), out, b));
    } else if (op == "Div") {  // d(a/b)/da = 1/b, d(a/b)/db = -(a/b)/b
      if (wants(0)) Accumulate(a, Unbroadcast(Emit("Div", {go, b}), out, a));
      if (wants(1)) Accumulate(b, Unbroadcast(Emit("Neg", {Emit("Div", {Emit("Mul", {go, out}), b})}), out, b));
    } else if (op == "Neg") {
      Accumulate(a, Emit("Neg", {go}));
    } else if (op == "Identity") {
      Accumulate(a, go);
    } else if (op == "Relu") {
      const std::string zero = Const(a, 0.0);
      Accumulate(a, Emit("Where", {Emit("Greater", {a, zero}), go, zero}));
    } else if (op == "Sigmoid") {  // y (1 - y)
      Accumulate(a, Emit("Mul", {go, Emit("Mul", {out, Emit("Sub", {Const(a, 1.0), out})})}));
    } else if (op == "Tanh") {  // 1 - y^2
      Accumulate(a, Emit("Mul", {go, Emit("Sub", {Const(a, 1.0), Emit("Mul", {out, out})})}));
    } else if (op == "Exp") {
      Accumulate(a, Emit("Mul", {go, out}));
    } else if (op == "Log") {
      Accumulate(a, Emit("Div", {go, a}));
    } else if (op == "Sqrt") {  // 1 / (2 y)
      Accumulate(a, Emit("Div", {Emit("Mul", {go, Const(a, 0.5)}), out}));
    } else if (op == "MatMul") {  // dA = dC B^T, dB = A^T dC, then batch dims undone
      const ValueInfo& oi = Info(out);
      auto grad_shape = [&](const std::string& like) {
        std::vector<Dim> s(oi.shape.begin(), oi.shape.end() - 2);
        const ValueInfo& li = Info(like);
        s.insert(s.end(), li.shape.end() - 2, li.shape.end());
        return s;
      };
      for (const std::string& v : {out, a, b})
        if (!Info(v).has_shape || Info(v).shape.size() < 2)
          throw Fail(ErrorCode::NotImplemented, "differentiates MatMul only for values of known rank >= 2 ('" + v + "')");
      if (wants(0)) Accumulate(a, Unbroadcast(Emit("MatMul", {go, SwapLast(b)}), grad_shape(a), true, a));
      if (wants(1)) Accumulate(b, Unbroadcast(Emit("MatMul", {SwapLast(a), go}), grad_shape(b), true, b));
    } else {
      Unsupported(n);
    }
  }

  [[noreturn]] void Unsupported(const Node& n) const {
    throw Fail(ErrorCode::NotImplemented,
               "needs the derivative of " + n.Describe() +
                   "; onyx differentiates Add, Sub, Mul, Div, Neg, Identity, Relu, Sigmoid, Tanh, Exp, Log, Sqrt and MatMul");
  }

  Graph& g_;
  const Node& node_;
  std::set<std::string>& names_;
  int64_t opset_;
  int counter_ = 0;
  std::unordered_map<std::string, ValueInfo> info_;
  std::map<std::string, std::string> grads_;
  std::vector<Node> out_;
};

}  // namespace

bool ExpandGradients(Graph& g) {
  bool any = false;
  for (const Node& n : g.nodes) any |= n.op_type == "Gradient" && n.domain == kTrainingDomain;
  if (!any) return false;
  std::set<std::string> names;
  for (const auto& v : g.inputs) names.insert(v.name);
  for (const auto& [n, t] : g.initializers) names.insert(n);
  for (const Node& n : g.nodes) {
    names.insert(n.name);
    for (const auto& o : n.outputs) names.insert(o);
  }
  std::vector<Node> nodes;
  for (const Node& n : g.nodes) {
    if (n.op_type != "Gradient" || n.domain != kTrainingDomain) continue;
    std::vector<Node> expanded = GradientBuilder(g, n, names).Build();
    nodes.insert(nodes.end(), std::make_move_iterator(expanded.begin()), std::make_move_iterator(expanded.end()));
  }
  std::vector<Node> kept;
  for (Node& n : g.nodes)
    if (n.op_type != "Gradient" || n.domain != kTrainingDomain) kept.push_back(std::move(n));
  kept.insert(kept.end(), std::make_move_iterator(nodes.begin()), std::make_move_iterator(nodes.end()));
  g.nodes = std::move(kept);
  return true;
}

}  // namespace onyx
