#pragma once
// Helpers shared by the fusion passes: who produces and who reads each value, scalar constants,
// the domain of a fused op, and replacing a matched chain of nodes by the fused node.
#include <string>
#include <unordered_map>
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

  static GraphIndex Of(const Graph& g);
  // The ai.onnx node of type `op` that writes v, or nullptr.
  const Node* Producer(const Graph& g, const std::string& v, const char* op) const;
  bool SingleReader(const std::string& v) const;
  // The ai.onnx node of type `op` that is the only reader of v, or nullptr.
  const Node* OnlyReader(const Graph& g, const std::string& v, const char* op) const;
};

// A one-element float, double or float16 initializer, as double.
bool ScalarConstant(const Graph& g, const std::string& name, double* out);

// Gives a fused node ai.onnx's op when the graph imports opset >= onnx_since, else
// com.microsoft's op of the same name (importing that domain).
void SetFusedOpDomain(Graph& g, Node& fused, int64_t onnx_since);

// Puts `fused` in place of node `at` and removes the nodes whose first output is in `matched`.
void ReplaceMatchedNodes(Graph& g, size_t at, Node fused, const std::vector<std::string>& matched);

}  // namespace onyx
