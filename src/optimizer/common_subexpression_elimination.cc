// Merges nodes that compute the same thing: same op, domain and opset, equal attributes and the
// same inputs. The later node goes and its readers read the earlier node's outputs. Inputs are
// compared after earlier merges, so whole duplicated chains collapse in one scan. Small fixed
// initializers with equal contents count as the same input (exporters emit one Constant per use,
// e.g. every Gather(Shape(x), 0) gets its own 0), and nodes are made to read one of them.
//
// Not merged: nondeterministic ops (two RandomNormal are two draws), nodes with subgraphs (their
// bodies would have to be compared, including outer-scope reads), nodes without outputs, nodes of
// domains other than ai.onnx, ai.onnx.ml and com.microsoft (custom ops may have side effects), and
// nodes whose outputs are graph outputs or are read by subgraphs (their names must stay).
#include <cstring>
#include <map>
#include <unordered_map>

#include "optimizer/optimizer.h"
#include "optimizer/pattern.h"

namespace onyx {

namespace {

bool Mergeable(const Node& n) {
  if (n.outputs.empty()) return false;
  if (!n.domain.empty() && n.domain != "ai.onnx" && n.domain != "ai.onnx.ml" && n.domain != "com.microsoft") return false;
  // Random*, and Dropout in all its variants (random in training mode).
  const std::string& op = n.op_type;
  if (op.find("Random") != std::string::npos || op.find("Dropout") != std::string::npos || op == "Multinomial" || op == "Bernoulli")
    return false;
  for (const auto& [k, a] : n.attributes)
    if (a.g || !a.graphs.empty() || a.type == Attribute::Type::Graph || a.type == Attribute::Type::Graphs) return false;
  return true;
}

bool SameBits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool SameTensor(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape() || !a.on_cpu() || !b.on_cpu()) return false;
  if (a.dtype() == DataType::String) {
    for (int64_t i = 0; i < a.size(); ++i)
      if (a.data<std::string>()[i] != b.data<std::string>()[i]) return false;
    return true;
  }
  return a.nbytes() == b.nbytes() && (a.nbytes() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0);
}

bool SameAttribute(const Attribute& a, const Attribute& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Attribute::Type::Float: return SameBits(a.f, b.f);
    case Attribute::Type::Int: return a.i == b.i;
    case Attribute::Type::String: return a.s == b.s;
    case Attribute::Type::Tensor: return SameTensor(a.t, b.t);
    case Attribute::Type::Floats:
      if (a.floats.size() != b.floats.size()) return false;
      for (size_t i = 0; i < a.floats.size(); ++i)
        if (!SameBits(a.floats[i], b.floats[i])) return false;
      return true;
    case Attribute::Type::Ints: return a.ints == b.ints;
    case Attribute::Type::Strings: return a.strings == b.strings;
    case Attribute::Type::Tensors:
      if (a.tensors.size() != b.tensors.size()) return false;
      for (size_t i = 0; i < a.tensors.size(); ++i)
        if (!SameTensor(a.tensors[i], b.tensors[i])) return false;
      return true;
    case Attribute::Type::TypeProto:
      return a.type_proto.kind == b.type_proto.kind && a.type_proto.dtype == b.type_proto.dtype &&
             a.type_proto.type_string == b.type_proto.type_string;
    default: return false;  // graphs (never reached: such nodes are not merged) and undefined
  }
}

bool SameComputation(const Node& a, const Node& b) {
  if (a.op_type != b.op_type || a.domain != b.domain || a.opset != b.opset || a.inputs != b.inputs) return false;
  if (a.outputs.size() != b.outputs.size() || a.attributes.size() != b.attributes.size()) return false;
  // An omitted optional output may change what an op computes (e.g. training statistics).
  for (size_t i = 0; i < a.outputs.size(); ++i)
    if (a.outputs[i].empty() != b.outputs[i].empty()) return false;
  for (auto ia = a.attributes.begin(), ib = b.attributes.begin(); ia != a.attributes.end(); ++ia, ++ib)
    if (ia->first != ib->first || !SameAttribute(ia->second, ib->second)) return false;
  return true;
}

// Each small fixed initializer that duplicates another one (same type, shape and bytes) -> the
// first of them by name. Large ones are left alone: hashing weights costs more than it finds.
std::unordered_map<std::string, std::string> SharedConstants(const Graph& g) {
  constexpr size_t kMaxBytes = 4096;
  std::map<std::string, const Tensor*> small;  // by name, so the choice does not depend on hashing
  for (const auto& [name, t] : g.initializers)
    if (t.dtype() != DataType::String && t.on_cpu() && t.nbytes() <= kMaxBytes && ConstantTensor(g, name)) small[name] = &t;
  std::unordered_map<std::string, std::string> first;  // contents -> name
  std::unordered_map<std::string, std::string> shared;
  for (const auto& [name, t] : small) {
    std::string key = std::to_string(static_cast<int>(t->dtype())) + ':';
    for (int64_t d : t->shape()) key += std::to_string(d) + ',';
    if (t->nbytes() > 0) key.append(1, ':').append(static_cast<const char*>(t->raw_data()), t->nbytes());
    auto [it, fresh] = first.emplace(std::move(key), name);
    if (!fresh) shared[name] = it->second;
  }
  return shared;
}

std::string Signature(const Node& n) {
  std::string s = n.domain + '\x1f' + n.op_type;
  for (const auto& in : n.inputs) s += '\x1f' + in;
  return s;
}

class CommonSubexpressionElimination : public Pass {
 public:
  const char* name() const override { return "CommonSubexpressionElimination"; }

  bool Run(Graph& g) const override {
    const GraphIndex ix = GraphIndex::Of(g);
    // A dropped node's output or a duplicate constant -> the value that replaces it.
    std::unordered_map<std::string, std::string> replaced = SharedConstants(g);
    std::unordered_map<std::string, std::vector<size_t>> seen;  // signature -> kept nodes
    std::vector<bool> drop(g.nodes.size(), false);
    bool changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      Node& n = g.nodes[i];
      for (auto& in : n.inputs) {
        auto r = replaced.find(in);
        if (r != replaced.end()) in = r->second, changed = true;
      }
      if (!Mergeable(n)) continue;
      auto& candidates = seen[Signature(n)];
      const Node* same = nullptr;
      for (size_t c : candidates)
        if (SameComputation(g.nodes[c], n)) same = &g.nodes[c];
      bool pinned = false;
      for (const auto& o : n.outputs) pinned = pinned || (!o.empty() && !ix.Internal(o));
      if (!same || pinned) {
        candidates.push_back(i);
        continue;
      }
      for (size_t k = 0; k < n.outputs.size(); ++k)
        if (!n.outputs[k].empty()) replaced[n.outputs[k]] = same->outputs[k];
      drop[i] = true;
      changed = true;
    }
    if (!changed) return false;
    EraseNodes(g, drop);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeCommonSubexpressionElimination() { return std::make_unique<CommonSubexpressionElimination>(); }

}  // namespace onyx
