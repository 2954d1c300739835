#include "optimizer/pattern.h"

#include <algorithm>

#include "core/float16.h"
#include "onyx/error.h"

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
        for (const auto& v : sg->OuterScopeReads()) ix.readers[v] += 2, ix.outer_reads.insert(v);
    }
  }
  for (const auto& o : g.outputs) ix.readers[o.name] += 2, ix.graph_outputs.insert(o.name);
  auto note = [&](const ValueInfo& vi) {
    if (vi.kind != ValueInfo::Kind::Tensor) return;
    ix.types[vi.name] = vi.dtype;
    if (vi.has_shape) ix.rank[vi.name] = vi.shape.size(), ix.shapes[vi.name] = vi.shape;
  };
  for (const auto& vi : g.inputs) note(vi);
  for (const auto& vi : g.value_info) note(vi);
  for (const auto& vi : g.outputs) note(vi);
  // A feed may replace an initializer that is also a graph input, so shapes inferred from its
  // value (a Reshape's target, say) hold only for the default: forget the shapes of everything
  // computed from such initializers. Nodes are in topological order.
  std::unordered_set<std::string> tainted;
  for (const auto& in : g.inputs)
    if (g.initializers.count(in.name)) tainted.insert(in.name);
  for (const auto& [n, t] : g.initializers) {
    ix.types[n] = t.dtype();
    if (tainted.count(n)) continue;  // its shape is the input's declared one
    ix.rank[n] = t.rank();
    std::vector<Dim> dims(t.rank());
    for (size_t i = 0; i < t.rank(); ++i) dims[i].value = t.dim(i);
    ix.shapes[n] = std::move(dims);
  }
  if (!tainted.empty()) {
    for (const auto& n : g.nodes) {
      bool from_tainted = false;
      for (const auto& in : n.inputs) from_tainted = from_tainted || tainted.count(in);
      for (const auto& [an, a] : n.attributes) {
        std::vector<std::shared_ptr<Graph>> subs = a.graphs;
        if (a.g) subs.push_back(a.g);
        for (const auto& sg : subs)
          for (const auto& v : sg->OuterScopeReads()) from_tainted = from_tainted || tainted.count(v);
      }
      if (!from_tainted) continue;
      for (const auto& o : n.outputs) {
        tainted.insert(o);
        ix.shapes.erase(o);
        ix.rank.erase(o);
      }
    }
  }
  return ix;
}

bool GraphIndex::StaticShape(const std::string& v, std::vector<int64_t>* out) const {
  auto it = shapes.find(v);
  if (it == shapes.end()) return false;
  out->clear();
  for (const Dim& d : it->second) {
    if (!d.is_fixed()) return false;
    out->push_back(d.value);
  }
  return true;
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

const Tensor* ConstantTensor(const Graph& g, const std::string& name) {
  auto it = g.initializers.find(name);
  if (it == g.initializers.end()) return nullptr;
  for (const auto& in : g.inputs)
    if (in.name == name) return nullptr;
  return &it->second;
}

bool ConstantInts(const Graph& g, const std::string& name, std::vector<int64_t>* out) {
  const Tensor* t = ConstantTensor(g, name);
  if (!t) return false;
  if (t->dtype() == DataType::Int64) out->assign(t->data<int64_t>(), t->data<int64_t>() + t->size());
  else if (t->dtype() == DataType::Int32) out->assign(t->data<int32_t>(), t->data<int32_t>() + t->size());
  else return false;
  return true;
}

std::string FreshName(const Graph& g, const GraphIndex& ix, const std::string& base) {
  auto used = [&](const std::string& n) {
    if (g.initializers.count(n) || ix.producer.count(n) || ix.readers.count(n) || ix.types.count(n)) return true;
    for (const auto& in : g.inputs)
      if (in.name == n) return true;
    return false;
  };
  std::string name = base;
  for (int k = 1; used(name); ++k) name = base + "_" + std::to_string(k);
  return name;
}

BypassSweep::BypassSweep(Graph& g, const GraphIndex& ix) : g_(g), ix_(ix), producer_(ix.producer), removed_(g.nodes.size(), false) {}

std::string BypassSweep::Resolve(std::string v) const {
  // Every alias points to a name that was live when it was made, and vanished names never come
  // back, so the chain ends; the bound only guards against a broken invariant.
  for (size_t hops = 0; hops <= alias_.size(); ++hops) {
    auto it = alias_.find(v);
    if (it == alias_.end()) return v;
    v = it->second;
  }
  throw Error(ErrorCode::RuntimeException, "optimizer: value renames form a cycle through '" + v + "'");
}

void BypassSweep::ResolveInputs(size_t at) {
  if (alias_.empty()) return;
  for (auto& in : g_.nodes[at].inputs)
    if (!in.empty()) in = Resolve(in);
}

int64_t BypassSweep::Producer(const std::string& v) const {
  auto it = producer_.find(v);
  return it == producer_.end() ? -1 : static_cast<int64_t>(it->second);
}

bool BypassSweep::Bypass(size_t at, size_t input) {
  const Node& n = g_.nodes[at];
  if (removed_[at] || n.inputs.size() <= input || n.outputs.empty() || n.inputs[input].empty() || n.outputs[0].empty()) return false;
  const std::string x = Resolve(n.inputs[input]), y = n.outputs[0];
  for (size_t k = 1; k < n.outputs.size(); ++k) {
    const std::string& o = n.outputs[k];
    if (!o.empty() && (ix_.readers.count(o) || !ix_.Internal(o))) return false;
  }
  if (ix_.Internal(y)) {
    alias_[y] = x;
    producer_.erase(y);
  } else {
    // The output's name must survive: the producer of x writes it under that name instead.
    const int64_t p = Producer(x);
    if (p < 0 || static_cast<size_t>(p) == at || !ix_.Internal(x) || g_.initializers.count(x)) return false;
    for (const auto& in : g_.inputs)
      if (in.name == x) return false;
    for (auto& o : g_.nodes[static_cast<size_t>(p)].outputs)
      if (o == x) o = y;
    producer_.erase(x);
    producer_[y] = static_cast<size_t>(p);
    alias_[x] = y;
  }
  removed_[at] = true;
  return true;
}

bool BypassSweep::Finish() {
  bool any = false;
  for (bool r : removed_) any = any || r;
  if (!any) return false;
  std::vector<Node> kept;
  kept.reserve(g_.nodes.size());
  for (size_t i = 0; i < g_.nodes.size(); ++i) {
    if (removed_[i]) continue;
    for (auto& in : g_.nodes[i].inputs)
      if (!in.empty()) in = Resolve(in);  // readers before a renamed producer's bypass, too
    kept.push_back(std::move(g_.nodes[i]));
  }
  g_.nodes = std::move(kept);
  return true;
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

void SetFusedOpOnnxDomain(Graph& g, Node& fused) {
  fused.domain.clear();
  fused.opset = g.opsets.count("") ? g.opsets.at("") : 1;
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

void EraseNodes(Graph& g, const std::vector<bool>& removed) {
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!removed[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
}

}  // namespace onyx
