// Fuses the decomposed layer normalization that exporters emit,
//   m = ReduceMean(x, axes) ; d = x - m ; v = ReduceMean(d ^ 2, axes) ;
//   y = d / Sqrt(v + eps) [* scale] [+ bias]
// into one LayerNormalization node, also when x is first cast to a wider type and the result
// cast back (PyTorch's float16 export computes in double that way). The fused node computes in
// float (stash_type 1), as LayerNormalization does for float16 inputs.
// Opset 17+ graphs get ai.onnx LayerNormalization; older ones com.microsoft's, which has the
// same inputs and attributes and which onnxruntime also runs.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "optimizer/optimizer.h"

namespace onyx {

namespace {

constexpr const char* kMsDomain = "com.microsoft";

struct Index {
  std::unordered_map<std::string, size_t> producer;
  std::unordered_map<std::string, int> readers;
  std::unordered_map<std::string, DataType> types;
  std::unordered_map<std::string, size_t> rank;
};

Index BuildIndex(const Graph& g) {
  Index ix;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const auto& o : g.nodes[i].outputs) ix.producer[o] = i;
    for (const auto& in : g.nodes[i].inputs) ++ix.readers[in];
    for (const auto& [an, a] : g.nodes[i].attributes) {
      std::vector<std::shared_ptr<Graph>> subs = a.graphs;
      if (a.g) subs.push_back(a.g);
      for (const auto& sg : subs)
        for (const auto& v : sg->OuterScopeReads()) ix.readers[v] += 2;  // never fuse these away
    }
  }
  for (const auto& o : g.outputs) ix.readers[o.name] += 2;
  auto note = [&](const ValueInfo& vi) {
    ix.types[vi.name] = vi.dtype;
    if (vi.has_shape) ix.rank[vi.name] = vi.shape.size();
  };
  for (const auto& vi : g.inputs) note(vi);
  for (const auto& vi : g.value_info) note(vi);
  for (const auto& vi : g.outputs) note(vi);
  for (const auto& [n, t] : g.initializers) ix.types[n] = t.dtype(), ix.rank[n] = t.rank();
  return ix;
}

const Node* Producer(const Graph& g, const Index& ix, const std::string& v, const char* op) {
  auto it = ix.producer.find(v);
  if (it == ix.producer.end()) return nullptr;
  const Node& n = g.nodes[it->second];
  return n.op_type == op && n.domain.empty() ? &n : nullptr;
}

bool SingleReader(const Index& ix, const std::string& v) {
  auto it = ix.readers.find(v);
  return it != ix.readers.end() && it->second == 1;
}

// A scalar (or one-element) initializer as double.
bool ScalarConstant(const Graph& g, const std::string& name, double* out) {
  auto it = g.initializers.find(name);
  if (it == g.initializers.end() || it->second.size() != 1) return false;
  const Tensor& t = it->second;
  switch (t.dtype()) {
    case DataType::Float: *out = t.data<float>()[0]; return true;
    case DataType::Double: *out = t.data<double>()[0]; return true;
    default: return false;
  }
}

// The first reduced axis if a ReduceMean reduces the trailing axes of a rank-`rank` input
// (rank 0: unknown, then only [-1] is accepted) with keepdims=1; nullopt otherwise.
bool TrailingAxis(const Graph& g, const Node& n, size_t rank, int64_t* axis) {
  const Attribute* kd = n.FindAttribute("keepdims");
  if (kd && kd->i != 1) return false;
  std::vector<int64_t> axes;
  if (const Attribute* a = n.FindAttribute("axes")) {
    axes = a->ints;
  } else if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
    auto it = g.initializers.find(n.inputs[1]);
    if (it == g.initializers.end() || it->second.dtype() != DataType::Int64) return false;
    axes.assign(it->second.data<int64_t>(), it->second.data<int64_t>() + it->second.size());
  }
  if (axes.empty()) return false;
  std::vector<int64_t> norm;
  for (int64_t a : axes) {
    if (a < 0) {
      if (rank == 0) {
        norm.push_back(a);
        continue;
      }
      a += static_cast<int64_t>(rank);
    }
    norm.push_back(rank == 0 ? a - 1000 : a - static_cast<int64_t>(rank));  // as negative axes
  }
  std::sort(norm.begin(), norm.end());
  for (size_t i = 0; i < norm.size(); ++i)
    if (norm[i] != -static_cast<int64_t>(norm.size()) + static_cast<int64_t>(i)) return false;
  *axis = norm.front();
  return true;
}

class LayerNormFusion : public Pass {
 public:
  const char* name() const override { return "LayerNormFusion"; }

  bool Run(Graph& g) const override {
    bool changed = false;
    // One fusion per scan; the optimizer driver re-runs passes until nothing changes.
    for (int guard = 0; guard < 1024 && FuseOne(g); ++guard) changed = true;
    return changed;
  }

 private:
  bool FuseOne(Graph& g) const {
    const Index ix = BuildIndex(g);
    for (size_t di = 0; di < g.nodes.size(); ++di) {
      const Node& div = g.nodes[di];
      if (div.op_type != "Div" || !div.domain.empty() || div.inputs.size() != 2) continue;
      // The centred value d = x - mean, possibly widened by a Cast before the variance.
      const std::string centred = div.inputs[0];
      const Node* widen_d = Producer(g, ix, centred, "Cast");
      const Node* sub = widen_d ? Producer(g, ix, widen_d->inputs[0], "Sub") : Producer(g, ix, centred, "Sub");
      const Node* sqrt = Producer(g, ix, div.inputs[1], "Sqrt");
      if (!sub || !sqrt || sub->inputs.size() != 2 || !SingleReader(ix, div.inputs[1])) continue;
      if (widen_d && !SingleReader(ix, sub->outputs[0])) continue;
      const Node* mean = Producer(g, ix, sub->inputs[1], "ReduceMean");
      const Node* add_eps = Producer(g, ix, sqrt->inputs[0], "Add");
      if (!mean || !add_eps || mean->inputs[0] != sub->inputs[0] || !SingleReader(ix, sqrt->inputs[0]) ||
          !SingleReader(ix, sub->inputs[1]))
        continue;
      // The centred value is read by the variance branch and by Div only.
      auto rd = ix.readers.find(centred);
      if (rd == ix.readers.end() || rd->second != 2) continue;
      double eps = 0;
      std::string var_name;
      if (ScalarConstant(g, add_eps->inputs[1], &eps)) var_name = add_eps->inputs[0];
      else if (ScalarConstant(g, add_eps->inputs[0], &eps)) var_name = add_eps->inputs[1];
      else continue;
      const Node* var = Producer(g, ix, var_name, "ReduceMean");
      if (!var || !SingleReader(ix, var_name)) continue;
      const Node* pow = Producer(g, ix, var->inputs[0], "Pow");
      double two = 0;
      if (!pow || pow->inputs[0] != centred || !ScalarConstant(g, pow->inputs[1], &two) || two != 2.0 ||
          !SingleReader(ix, var->inputs[0]))
        continue;
      const std::string xw = sub->inputs[0];  // the normalized input, possibly a widening cast
      std::string x = xw;
      const Node* cast_in = Producer(g, ix, xw, "Cast");
      auto xr = ix.readers.find(xw);
      if (xr == ix.readers.end() || xr->second != 2) continue;  // read by ReduceMean and Sub only
      std::string y = div.outputs[0];
      std::vector<std::string> dead = {div.outputs[0], sub->outputs[0], sqrt->outputs[0], mean->outputs[0],
                                       add_eps->outputs[0], var->outputs[0], pow->outputs[0]};
      if (widen_d) {
        if (cast_in) continue;  // widened twice: not a pattern exporters emit
        dead.push_back(centred);
      }
      if (cast_in || widen_d) {
        if (cast_in) x = cast_in->inputs[0];
        // The result must be cast back to x's type by the only reader of Div's output.
        const auto xt = ix.types.find(x);
        if (xt == ix.types.end() || (xt->second != DataType::Float16 && xt->second != DataType::Float)) continue;
        const Node* cast_out = nullptr;
        for (const auto& n : g.nodes)
          if (n.op_type == "Cast" && n.domain.empty() && n.inputs.size() == 1 && n.inputs[0] == y) cast_out = &n;
        const Attribute* to = cast_out ? cast_out->FindAttribute("to") : nullptr;
        if (!cast_out || !SingleReader(ix, y) || !to || to->i != static_cast<int64_t>(xt->second)) continue;
        if (cast_in) dead.push_back(xw);
        y = cast_out->outputs[0];
      }
      const auto xt = ix.types.find(x);
      if (xt == ix.types.end() || (xt->second != DataType::Float16 && xt->second != DataType::Float)) continue;
      const auto rk = ix.rank.find(x);
      const size_t rank = rk == ix.rank.end() ? 0 : rk->second;
      int64_t axis = 0, var_axis = 0;
      if (!TrailingAxis(g, *mean, rank, &axis) || !TrailingAxis(g, *var, rank, &var_axis) || axis != var_axis) continue;
      // Optional affine part: y * scale + bias, each a constant of the normalized width.
      std::string scale, bias, out = y;
      auto single_consumer = [&](const std::string& v, const char* op) -> const Node* {
        if (!SingleReader(ix, v)) return nullptr;
        for (const auto& n : g.nodes)
          if (n.op_type == op && n.domain.empty() && n.inputs.size() == 2 && (n.inputs[0] == v || n.inputs[1] == v)) return &n;
        return nullptr;
      };
      auto affine_constant = [&](const Node& n, const std::string& v) -> std::string {
        const std::string& other = n.inputs[0] == v ? n.inputs[1] : n.inputs[0];
        auto it = g.initializers.find(other);
        if (it == g.initializers.end() || it->second.dtype() != xt->second || it->second.rank() == 0) return "";
        if (it->second.rank() > static_cast<size_t>(-axis)) return "";
        return other;
      };
      if (const Node* mul = single_consumer(out, "Mul")) {
        scale = affine_constant(*mul, out);
        if (!scale.empty()) {
          dead.push_back(out);
          out = mul->outputs[0];
          if (const Node* add = single_consumer(out, "Add")) {
            bias = affine_constant(*add, out);
            if (!bias.empty()) {
              dead.push_back(out);
              out = add->outputs[0];
            }
          }
        }
      }
      if (scale.empty()) {  // LayerNormalization requires a scale: ones of the last dim's width
        if (axis != -1) continue;
        int64_t width = -1;
        for (const auto& vi : g.value_info)
          if (vi.name == x && vi.has_shape && !vi.shape.empty() && vi.shape.back().is_fixed()) width = vi.shape.back().value;
        for (const auto& vi : g.inputs)
          if (vi.name == x && vi.has_shape && !vi.shape.empty() && vi.shape.back().is_fixed()) width = vi.shape.back().value;
        if (width < 0) continue;
        Tensor ones = Tensor(xt->second, {width});
        for (int64_t i = 0; i < width; ++i) {
          if (xt->second == DataType::Float) ones.data<float>()[i] = 1.f;
          else ones.data<uint16_t>()[i] = 0x3C00;  // 1.0 in float16
        }
        scale = out + "/layer_norm_scale";
        g.initializers[scale] = ones;
      }

      Node fused;
      fused.name = (div.name.empty() ? out : div.name) + "/LayerNormalization";
      fused.op_type = "LayerNormalization";
      const auto onnx_opset = g.opsets.count("") ? g.opsets.at("") : 0;
      if (onnx_opset >= 17) {
        fused.opset = onnx_opset;
      } else {
        fused.domain = kMsDomain;
        fused.opset = 1;
        if (!g.opsets.count(kMsDomain)) g.opsets[kMsDomain] = 1;
      }
      fused.inputs = {x, scale};
      if (!bias.empty()) fused.inputs.push_back(bias);
      fused.outputs = {out};
      Attribute a_axis, a_eps;
      a_axis.type = Attribute::Type::Int;
      a_axis.i = axis;
      a_eps.type = Attribute::Type::Float;
      a_eps.f = static_cast<float>(eps);
      fused.attributes["axis"] = a_axis;
      fused.attributes["epsilon"] = a_eps;
      // The matched nodes' outputs are no longer read; the node producing `out` is replaced by
      // the fused node in place, the rest is left to dead-node elimination.
      const size_t out_producer = ix.producer.at(out);
      g.nodes[out_producer] = std::move(fused);
      std::vector<Node> kept;
      kept.reserve(g.nodes.size());
      for (size_t i = 0; i < g.nodes.size(); ++i) {
        const auto& o = g.nodes[i].outputs;
        const bool matched = i != out_producer && !o.empty() && std::find(dead.begin(), dead.end(), o[0]) != dead.end();
        if (!matched) kept.push_back(std::move(g.nodes[i]));
      }
      g.nodes = std::move(kept);
      return true;
    }
    return false;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeLayerNormFusion() { return std::make_unique<LayerNormFusion>(); }

}  // namespace onyx
