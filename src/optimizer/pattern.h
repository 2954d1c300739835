#pragma once
// Helpers shared by the rewrite passes: who produces and who reads each value, constants, the
// domain of a fused op, replacing a matched chain of nodes by the fused node, and removing a node
// whose output equals its input.
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
  // Whether inference typed v as float32.
  bool IsFloat(const std::string& v) const {
    auto t = types.find(v);
    return t != types.end() && t->second == DataType::Float;
  }
};

// A float attribute of value v (a fused node's alpha, epsilon, scale...).
inline Attribute FloatAttribute(float v) {
  Attribute a;
  a.type = Attribute::Type::Float;
  a.f = v;
  return a;
}

// A one-element float, double or float16 initializer, as double.
bool ScalarConstant(const Graph& g, const std::string& name, double* out);

// The initializer `name` when its value is fixed, i.e. no graph input of that name can override
// it at run time; nullptr otherwise.
const Tensor* ConstantTensor(const Graph& g, const std::string& name);
// The elements of a fixed int64 or int32 initializer.
bool ConstantInts(const Graph& g, const std::string& name, std::vector<int64_t>* out);

// A name no value, initializer or graph input of g uses yet, made from `base`.
std::string FreshName(const Graph& g, const GraphIndex& ix, const std::string& base);

// Removes pass-through nodes (output = one of the inputs, same type, shape and data) in one sweep
// over the nodes in topological order, without re-indexing the graph after each removal:
//
//   BypassSweep sweep(g, ix);
//   for (size_t i = 0; i < g.nodes.size(); ++i) {
//     sweep.ResolveInputs(i);              // read what earlier removals left in place
//     if (<node i passes input k through>) sweep.Bypass(i, k);
//   }
//   changed = sweep.Finish();              // renames, then erases the removed nodes
//
// Readers of a removed node's output read its input instead. When the output's name must stay (a
// graph output, or read by a subgraph), the input takes that name instead, if it is produced by a
// node of g and nothing else pins its name. The ix given stays valid for types and shapes (a
// value keeps them under its new name) but not for producers: use Producer().
class BypassSweep {
 public:
  BypassSweep(Graph& g, const GraphIndex& ix);
  void ResolveInputs(size_t at);
  // The index of the node producing v now, or -1.
  int64_t Producer(const std::string& v) const;
  // Removes node `at` (its other outputs must be unread). False, changing nothing, when neither
  // rewiring is possible.
  bool Bypass(size_t at, size_t input = 0);
  bool Finish();

 private:
  std::string Resolve(std::string v) const;
  Graph& g_;
  const GraphIndex& ix_;
  std::unordered_map<std::string, size_t> producer_;
  std::unordered_map<std::string, std::string> alias_;  // a vanished name -> the name replacing it
  std::vector<bool> removed_;
};

// Gives a fused node ai.onnx's op when the graph imports opset >= onnx_since, else
// com.microsoft's op of the same name (importing that domain).
void SetFusedOpDomain(Graph& g, Node& fused, int64_t onnx_since);
// Gives a fused node ai.onnx's op at the graph's opset, whatever that is: for ops that
// onnxruntime also runs in ai.onnx below the opset that standardised them (LayerNormalization).
void SetFusedOpOnnxDomain(Graph& g, Node& fused);

// Puts `fused` in place of node `at` and removes the nodes whose first output is in `matched`.
// Drops the nodes whose flag is set, keeping the order of the others.
void EraseNodes(Graph& g, const std::vector<bool>& removed);

void ReplaceMatchedNodes(Graph& g, size_t at, Node fused, const std::vector<std::string>& matched);

}  // namespace onyx
