#include "graph/graph.h"

#include <algorithm>
#include <queue>
#include <set>
#include <unordered_set>

#include "onyx/error.h"

namespace onyx {

const char* AttributeTypeName(Attribute::Type t) {
  switch (t) {
    case Attribute::Type::Float: return "float";
    case Attribute::Type::Int: return "int";
    case Attribute::Type::String: return "string";
    case Attribute::Type::Tensor: return "tensor";
    case Attribute::Type::Graph: return "graph";
    case Attribute::Type::Floats: return "floats";
    case Attribute::Type::Ints: return "ints";
    case Attribute::Type::Strings: return "strings";
    case Attribute::Type::Tensors: return "tensors";
    case Attribute::Type::Graphs: return "graphs";
    case Attribute::Type::TypeProto: return "type_proto";
    default: return "undefined";
  }
}

std::string Node::Describe() const {
  std::string d = op_type + " node";
  if (!name.empty()) d += " '" + name + "'";
  else if (!outputs.empty()) d += " (output '" + outputs[0] + "')";
  return d;
}

void Graph::SortAndValidate(const std::vector<std::string>& outer_scope) {
  std::unordered_map<std::string, int> producer;  // value -> node index, -1 for graph-level
  for (const auto& in : inputs) producer[in.name] = -1;
  for (const auto& [n, t] : initializers) producer.emplace(n, -1);
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const auto& o : nodes[i].outputs) {
      if (o.empty()) continue;
      auto [it, fresh] = producer.emplace(o, static_cast<int>(i));
      if (!fresh) {
        throw Error(ErrorCode::InvalidGraph, "value '" + o + "' is produced twice: by " + nodes[i].Describe() +
                                                 (it->second >= 0 ? " and by " + nodes[it->second].Describe() : " and as a graph input or initializer"));
      }
    }
  }
  std::unordered_set<std::string> outer(outer_scope.begin(), outer_scope.end());
  // Kahn's algorithm, stable with respect to the original order.
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<int>> consumers(nodes.size());
  auto depend = [&](size_t i, const std::string& v) {
    if (v.empty()) return;
    auto it = producer.find(v);
    if (it == producer.end()) {
      if (outer.count(v)) return;
      throw Error(ErrorCode::InvalidGraph, nodes[i].Describe() + " reads '" + v +
                                               "', which is not a graph input, an initializer or the output of any node");
    }
    if (it->second >= 0) {
      ++pending[i];
      consumers[it->second].push_back(static_cast<int>(i));
    }
  };
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const auto& v : nodes[i].inputs) depend(i, v);
    // Subgraphs read outer values implicitly: those produced here are dependencies too.
    for (const auto& [an, a] : nodes[i].attributes) {
      std::vector<std::shared_ptr<Graph>> subs = a.graphs;
      if (a.g) subs.push_back(a.g);
      for (const auto& g : subs) {
        std::vector<std::string> visible(outer_scope);
        for (const auto& [v, p] : producer) visible.push_back(v);
        g->SortAndValidate(visible);
        for (const auto& v : g->OuterScopeReads())
          if (producer.count(v)) depend(i, v);
      }
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (pending[i] == 0) ready.push(static_cast<int>(i));
  std::vector<Node> sorted;
  sorted.reserve(nodes.size());
  std::vector<bool> placed(nodes.size(), false);
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    placed[i] = true;
    sorted.push_back(nodes[i]);
    for (int c : consumers[i])
      if (--pending[c] == 0) ready.push(c);
  }
  if (sorted.size() != nodes.size()) {
    for (size_t i = 0; i < nodes.size(); ++i)
      if (!placed[i]) throw Error(ErrorCode::InvalidGraph, "the graph has a cycle through " + nodes[i].Describe());
  }
  nodes = std::move(sorted);
  for (const auto& o : outputs) {
    if (!producer.count(o.name) && !outer.count(o.name))
      throw Error(ErrorCode::InvalidGraph, "graph output '" + o.name + "' is not produced by any node");
  }
}

std::vector<std::string> Graph::OuterScopeReads() const {
  std::set<std::string> defined;
  for (const auto& in : inputs) defined.insert(in.name);
  for (const auto& [n, t] : initializers) defined.insert(n);
  for (const auto& node : nodes)
    for (const auto& o : node.outputs) defined.insert(o);
  std::set<std::string> reads;
  for (const auto& node : nodes) {
    for (const auto& v : node.inputs)
      if (!v.empty() && !defined.count(v)) reads.insert(v);
    for (const auto& [an, a] : node.attributes) {
      std::vector<std::shared_ptr<Graph>> subs = a.graphs;
      if (a.g) subs.push_back(a.g);
      for (const auto& g : subs)
        for (const auto& v : g->OuterScopeReads())
          if (!defined.count(v)) reads.insert(v);
    }
  }
  for (const auto& o : outputs)
    if (!defined.count(o.name)) reads.insert(o.name);
  return {reads.begin(), reads.end()};
}

}  // namespace onyx
