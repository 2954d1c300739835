// Fuses the decomposed layer normalization that exporters emit,
//   m = ReduceMean(x, axes) ; d = x - m ; v = ReduceMean(d ^ 2, axes) ;
//   y = d / Sqrt(v + eps) [* scale] [+ bias]
// into one LayerNormalization node, also when x is first cast to a wider type and the result
// cast back (PyTorch's float16 export computes in double that way). The fused node computes in
// float (stash_type 1), as LayerNormalization does for float16 inputs.
// The fused node is ai.onnx LayerNormalization at the graph's opset, also below opset 17, where
// onnxruntime registers the same op in ai.onnx (its own fusion writes it so); a saved model then
// loads in onnxruntime.
#include <algorithm>
#include <cmath>

#include "optimizer/optimizer.h"
#include "optimizer/pattern.h"

namespace onyx {

namespace {

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
    const GraphIndex ix = GraphIndex::Of(g);
    for (size_t di = 0; di < g.nodes.size(); ++di) {
      const Node& div = g.nodes[di];
      if (div.op_type != "Div" || !div.domain.empty() || div.inputs.size() != 2) continue;
      // The centred value d = x - mean, possibly widened by a Cast before the variance.
      const std::string centred = div.inputs[0];
      const Node* widen_d = ix.Producer(g, centred, "Cast");
      const Node* sub = widen_d ? ix.Producer(g, widen_d->inputs[0], "Sub") : ix.Producer(g, centred, "Sub");
      const Node* sqrt = ix.Producer(g, div.inputs[1], "Sqrt");
      if (!sub || !sqrt || sub->inputs.size() != 2 || !ix.SingleReader(div.inputs[1])) continue;
      if (widen_d && !ix.SingleReader(sub->outputs[0])) continue;
      const Node* mean = ix.Producer(g, sub->inputs[1], "ReduceMean");
      const Node* add_eps = ix.Producer(g, sqrt->inputs[0], "Add");
      if (!mean || !add_eps || mean->inputs[0] != sub->inputs[0] || !ix.SingleReader(sqrt->inputs[0]) ||
          !ix.SingleReader(sub->inputs[1]))
        continue;
      // The centred value is read by the variance branch and by Div only.
      auto rd = ix.readers.find(centred);
      if (rd == ix.readers.end() || rd->second != 2) continue;
      double eps = 0;
      std::string var_name;
      if (ScalarConstant(g, add_eps->inputs[1], &eps)) var_name = add_eps->inputs[0];
      else if (ScalarConstant(g, add_eps->inputs[0], &eps)) var_name = add_eps->inputs[1];
      else continue;
      const Node* var = ix.Producer(g, var_name, "ReduceMean");
      if (!var || !ix.SingleReader(var_name)) continue;
      const Node* pow = ix.Producer(g, var->inputs[0], "Pow");
      double two = 0;
      if (!pow || pow->inputs[0] != centred || !ScalarConstant(g, pow->inputs[1], &two) || two != 2.0 ||
          !ix.SingleReader(var->inputs[0]))
        continue;
      const std::string xw = sub->inputs[0];  // the normalized input, possibly a widening cast
      std::string x = xw;
      const Node* cast_in = ix.Producer(g, xw, "Cast");
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
        const Node* cast_out = ix.OnlyReader(g, y, "Cast");
        const Attribute* to = cast_out ? cast_out->FindAttribute("to") : nullptr;
        if (!to || to->i != static_cast<int64_t>(xt->second)) continue;
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
        const Node* n = ix.OnlyReader(g, v, op);
        return n && n->inputs.size() == 2 ? n : nullptr;
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
      SetFusedOpOnnxDomain(g, fused);
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
      // The node producing `out` becomes the fused node; the rest of the match goes.
      ReplaceMatchedNodes(g, ix.producer.at(out), std::move(fused), dead);
      return true;
    }
    return false;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeLayerNormFusion() { return std::make_unique<LayerNormFusion>(); }

}  // namespace onyx
