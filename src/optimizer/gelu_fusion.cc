// Fuses the exact (erf) GELU that exporters decompose,
//   y = x * 0.5 * (1 + Erf(x / sqrt(2)))      (any grouping of the two Muls; / sqrt(2) or * 1/sqrt(2))
// into one Gelu node. Opset 20+ graphs get ai.onnx Gelu; older ones com.microsoft's Gelu (same
// math, no attributes), which onnxruntime also runs.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "core/float16.h"
#include "optimizer/optimizer.h"

namespace onyx {

namespace {

struct Uses {
  std::unordered_map<std::string, size_t> producer;
  std::unordered_map<std::string, int> readers;
  std::unordered_map<std::string, DataType> types;
};

Uses Index(const Graph& g) {
  Uses u;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const auto& o : g.nodes[i].outputs) u.producer[o] = i;
    for (const auto& in : g.nodes[i].inputs) ++u.readers[in];
    for (const auto& [an, a] : g.nodes[i].attributes) {
      std::vector<std::shared_ptr<Graph>> subs = a.graphs;
      if (a.g) subs.push_back(a.g);
      for (const auto& sg : subs)
        for (const auto& v : sg->OuterScopeReads()) u.readers[v] += 2;
    }
  }
  for (const auto& o : g.outputs) u.readers[o.name] += 2;  // graph outputs are never fused away
  for (const auto& vi : g.inputs) u.types[vi.name] = vi.dtype;
  for (const auto& vi : g.value_info) u.types[vi.name] = vi.dtype;
  for (const auto& vi : g.outputs) u.types[vi.name] = vi.dtype;
  return u;
}

bool Constant(const Graph& g, const std::string& name, double* v) {
  auto it = g.initializers.find(name);
  if (it == g.initializers.end() || it->second.size() != 1) return false;
  const Tensor& t = it->second;
  switch (t.dtype()) {
    case DataType::Float: *v = t.data<float>()[0]; return true;
    case DataType::Double: *v = t.data<double>()[0]; return true;
    case DataType::Float16: *v = HalfToFloat(t.data<uint16_t>()[0]); return true;
    default: return false;
  }
}

bool Near(double a, double b) { return std::fabs(a - b) <= 1e-3 * std::fabs(b); }

// The node of type `op` that is the only reader of `v`, or nullptr.
const Node* OnlyReader(const Graph& g, const Uses& u, const std::string& v, const char* op) {
  auto r = u.readers.find(v);
  if (r == u.readers.end() || r->second != 1) return nullptr;
  for (const auto& n : g.nodes)
    if (n.domain.empty() && std::find(n.inputs.begin(), n.inputs.end(), v) != n.inputs.end())
      return n.op_type == op ? &n : nullptr;
  return nullptr;
}

// For a binary node reading `v`, its other input.
const std::string& Other(const Node& n, const std::string& v) { return n.inputs[0] == v ? n.inputs[1] : n.inputs[0]; }

class GeluFusion : public Pass {
 public:
  const char* name() const override { return "GeluFusion"; }
  bool Run(Graph& g) const override {
    bool changed = false;
    for (int guard = 0; guard < 4096 && FuseOne(g); ++guard) changed = true;
    return changed;
  }

 private:
  bool FuseOne(Graph& g) const {
    const Uses u = Index(g);
    for (const Node& erf : g.nodes) {
      if (erf.op_type != "Erf" || !erf.domain.empty() || erf.inputs.size() != 1) continue;
      auto pi = u.producer.find(erf.inputs[0]);
      if (pi == u.producer.end()) continue;
      const Node& scale = g.nodes[pi->second];
      if (!scale.domain.empty() || scale.inputs.size() != 2 || u.readers.at(erf.inputs[0]) != 1) continue;
      double c = 0;
      std::string x;
      if (scale.op_type == "Div" && Constant(g, scale.inputs[1], &c) && Near(c, std::sqrt(2.0))) x = scale.inputs[0];
      else if (scale.op_type == "Mul" && Constant(g, scale.inputs[1], &c) && Near(c, std::sqrt(0.5))) x = scale.inputs[0];
      else if (scale.op_type == "Mul" && Constant(g, scale.inputs[0], &c) && Near(c, std::sqrt(0.5))) x = scale.inputs[1];
      else continue;
      auto xt = u.types.find(x);
      if (xt == u.types.end() || (xt->second != DataType::Float && xt->second != DataType::Float16)) continue;
      const Node* add = OnlyReader(g, u, erf.outputs[0], "Add");
      if (!add || add->inputs.size() != 2 || !Constant(g, Other(*add, erf.outputs[0]), &c) || c != 1.0) continue;
      const Node* mul1 = OnlyReader(g, u, add->outputs[0], "Mul");
      if (!mul1 || mul1->inputs.size() != 2) continue;
      const std::string& m1_other = Other(*mul1, add->outputs[0]);
      std::vector<std::string> dead = {erf.inputs[0], erf.outputs[0], add->outputs[0]};
      std::string y;
      if (m1_other == x) {  // (x * (1 + erf)) * 0.5
        const Node* mul2 = OnlyReader(g, u, mul1->outputs[0], "Mul");
        if (!mul2 || mul2->inputs.size() != 2 || !Constant(g, Other(*mul2, mul1->outputs[0]), &c) || c != 0.5) continue;
        dead.push_back(mul1->outputs[0]);
        y = mul2->outputs[0];
      } else {  // (x * 0.5) * (1 + erf)
        auto hp = u.producer.find(m1_other);
        if (hp == u.producer.end() || u.readers.at(m1_other) != 1) continue;
        const Node& half = g.nodes[hp->second];
        if (half.op_type != "Mul" || !half.domain.empty() || half.inputs.size() != 2) continue;
        if (!((half.inputs[0] == x && Constant(g, half.inputs[1], &c)) || (half.inputs[1] == x && Constant(g, half.inputs[0], &c))) ||
            c != 0.5)
          continue;
        dead.push_back(m1_other);
        y = mul1->outputs[0];
      }
      Node gelu;
      gelu.name = (erf.name.empty() ? y : erf.name) + "/Gelu";
      gelu.op_type = "Gelu";
      const int64_t onnx_opset = g.opsets.count("") ? g.opsets.at("") : 0;
      if (onnx_opset >= 20) {
        gelu.opset = onnx_opset;
      } else {
        gelu.domain = "com.microsoft";
        gelu.opset = 1;
        if (!g.opsets.count("com.microsoft")) g.opsets["com.microsoft"] = 1;
      }
      gelu.inputs = {x};
      gelu.outputs = {y};
      const size_t at = u.producer.at(y);
      g.nodes[at] = std::move(gelu);
      std::vector<Node> kept;
      kept.reserve(g.nodes.size());
      for (size_t i = 0; i < g.nodes.size(); ++i) {
        const auto& o = g.nodes[i].outputs;
        if (i == at || o.empty() || std::find(dead.begin(), dead.end(), o[0]) == dead.end()) kept.push_back(std::move(g.nodes[i]));
      }
      g.nodes = std::move(kept);
      return true;
    }
    return false;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeGeluFusion() { return std::make_unique<GeluFusion>(); }

}  // namespace onyx
