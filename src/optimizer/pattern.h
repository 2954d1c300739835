#pragma once
// Helpers shared by the rewrite passes: who produces and who reads each value, constants, the
// domain of a fused op, replacing a matched chain of nodes by the fused node, and removing a node
// whose output equals its input.
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "graph/graph.h"

namespace onyx {

struct GraphIndex {
  std::unordered_map<std::string, size_t> producer;  // value -> index of the node writing it
  // value -> number of readers; graph outputs and values read by subgraphs count extra, so that
  // no fusion removes them.
  std::unordered_map<std::string, int> readers;
  std::unordered_map<std::string, DataType> types;
  std::unordered_map<std::string, size_t> rank;  // where the shape is known
  std::unordered_map<std::string, std::vector<Dim>> shapes;  // where the shape is known
  std::unordered_set<std::string> graph_outputs;
  std::unordered_set<std::string> outer_reads;  // values that subgraphs of nodes read by name

  static GraphIndex Of(const Graph& g);
  // The ai.onnx node of type `op` that writes v, or nullptr.
  const Node* Producer(const Graph& g, const std::string& v, const char* op) const;
  bool SingleReader(const std::string& v) const;
  // The ai.onnx node of type `op` that is the only reader of v, or nullptr.
  const Node* OnlyReader(const Graph& g, const std::string& v, const char* op) const;
  // v's shape when every dim is a fixed number.
  bool StaticShape(const std::string& v, std::vector<int64_t>* out) const;
  // Whether v may be renamed or replaced: neither a graph output nor read by a subgraph.
  bool Internal(const std::string& v) const { return !graph_outputs.count(v) && !outer_reads.count(v); }
};

// A one-element float, double or float16 initializer, as double.
bool ScalarConstant(const Graph& g, const std::string& name, double* out);

// The initializer `name` when its value is fixed, i.e. no graph input of that name can override
// it at run time; nullptr otherwise.
const Tensor* ConstantTensor(const Graph& g, const std::string& name);
// The elements of a fixed int64 or int32 initializer.
bool ConstantInts(const Graph& g, const std::string& name, std::vector<int64_t>* out);

// A name no value, initializer or graph input of g uses yet, made from `base`.
std::string FreshName(const Graph& g, const GraphIndex& ix, const std::string& base);

// Makes the nodes of g read `to` wherever they read `from` (top level only: callers make sure
// no subgraph reads `from`).
void ReplaceReaders(Graph& g, const std::string& from, const std::string& to);

// Removes node `at`, whose first output carries the same value (type, shape and data) as its
// input number `input`, and makes the readers of that output read the input instead. When the output is
// a graph output or read by a subgraph, the input is renamed to the output instead, if its
// producer is a node of g and nothing else pins the input's name. The node's other outputs must
// be unread. Returns false, changing nothing, when neither rewiring is possible.
bool BypassNode(Graph& g, const GraphIndex& ix, size_t at, size_t input = 0);

// Gives a fused node ai.onnx's op when the graph imports opset >= onnx_since, else
// com.microsoft's op of the same name (importing that domain).
void SetFusedOpDomain(Graph& g, Node& fused, int64_t onnx_since);

// Puts `fused` in place of node `at` and removes the nodes whose first output is in `matched`.
void ReplaceMatchedNodes(Graph& g, size_t at, Node fused, const std::vector<std::string>& matched);

}  // namespace onyx
