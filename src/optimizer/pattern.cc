#include "optimizer/pattern.h"

#include <algorithm>

#include "core/float16.h"

namespace onyx {

GraphIndex GraphIndex::Of(const Graph& g) {
  GraphIndex ix;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const auto& o : g.nodes[i].outputs) ix.producer[o] = i;
    for (const auto& in : g.nodes[i].inputs) ++ix.readers[in];
    for (const auto& [an, a] : g.nodes[i].attributes) {
      std::vector<std::shared_ptr<Graph>> subs = a.graphs;
      if (a.g) subs.push_back(a.g);
      for (const auto& sg : subs)
        for (const auto& v : sg->OuterScopeReads()) ix.readers[v] += 2;
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

const Node* GraphIndex::Producer(const Graph& g, const std::string& v, const char* op) const {
  auto it = producer.find(v);
  if (it == producer.end()) return nullptr;
  const Node& n = g.nodes[it->second];
  return n.op_type == op && n.domain.empty() ? &n : nullptr;
}

bool GraphIndex::SingleReader(const std::string& v) const {
  auto it = readers.find(v);
  return it != readers.end() && it->second == 1;
}

const Node* GraphIndex::OnlyReader(const Graph& g, const std::string& v, const char* op) const {
  if (!SingleReader(v)) return nullptr;
  for (const auto& n : g.nodes)
    if (std::find(n.inputs.begin(), n.inputs.end(), v) != n.inputs.end())
      return n.op_type == op && n.domain.empty() ? &n : nullptr;
  return nullptr;
}

bool ScalarConstant(const Graph& g, const std::string& name, double* out) {
  auto it = g.initializers.find(name);
  if (it == g.initializers.end() || it->second.size() != 1) return false;
  const Tensor& t = it->second;
  switch (t.dtype()) {
    case DataType::Float: *out = t.data<float>()[0]; return true;
    case DataType::Double: *out = t.data<double>()[0]; return true;
    case DataType::Float16: *out = HalfToFloat(t.data<uint16_t>()[0]); return true;
    default: return false;
  }
}

void SetFusedOpDomain(Graph& g, Node& fused, int64_t onnx_since) {
  constexpr const char* kMsDomain = "com.microsoft";
  const int64_t onnx_opset = g.opsets.count("") ? g.opsets.at("") : 0;
  if (onnx_opset >= onnx_since) {
    fused.domain.clear();
    fused.opset = onnx_opset;
  } else {
    fused.domain = kMsDomain;
    fused.opset = 1;
    if (!g.opsets.count(kMsDomain)) g.opsets[kMsDomain] = 1;
  }
}

void ReplaceMatchedNodes(Graph& g, size_t at, Node fused, const std::vector<std::string>& matched) {
  g.nodes[at] = std::move(fused);
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const auto& o = g.nodes[i].outputs;
    const bool drop = i != at && !o.empty() && std::find(matched.begin(), matched.end(), o[0]) != matched.end();
    if (!drop) kept.push_back(std::move(g.nodes[i]));
  }
  g.nodes = std::move(kept);
}

}  // namespace onyx
