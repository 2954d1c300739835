#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "onyx/session.h"
#include "onyx/tensor.h"

namespace onyx {

class Graph;

struct Attribute {
  enum class Type { Undefined, Float, Int, String, Tensor, Graph, Floats, Ints, Strings, Tensors, Graphs, TypeProto };
  Type type = Type::Undefined;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;
  ValueInfo type_proto;  // for TYPE_PROTO attributes (element type and kind only)
};

const char* AttributeTypeName(Attribute::Type t);

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" for ai.onnx
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;  // "" marks an omitted optional output
  std::map<std::string, Attribute> attributes;
  int64_t opset = 0;  // version of the node's domain imported by the model
  std::string provider;  // execution provider chosen by the partitioner; empty: not partitioned

  const Attribute* FindAttribute(const std::string& n) const {
    auto it = attributes.find(n);
    return it == attributes.end() ? nullptr : &it->second;
  }
  // "Conv node 'conv1'" for messages.
  std::string Describe() const;
};

// onyx's IR of an ONNX graph. Values are named by strings as in ONNX; the session maps them
// to slots when it plans. Subgraphs (If/Loop/Scan bodies) are Graphs held by attributes and
// may read values of enclosing graphs by name.
class Graph {
 public:
  std::string name;
  std::string doc_string;
  std::vector<Node> nodes;
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::vector<ValueInfo> value_info;
  std::unordered_map<std::string, Tensor> initializers;
  // ai.onnx opset and other domains, shared by subgraphs.
  std::map<std::string, int64_t> opsets;

  // Sorts nodes so that every node comes after the producers of its inputs. Throws
  // InvalidGraph on cycles, on values produced twice and on inputs nobody produces
  // (outer_scope lists names visible from enclosing graphs).
  void SortAndValidate(const std::vector<std::string>& outer_scope = {});
  // Names of values this graph reads but does not define (outer-scope references),
  // including those of nested subgraphs.
  std::vector<std::string> OuterScopeReads() const;
};

// Domain of the nodes onyx itself inserts (device copies); never saved to a model.
inline constexpr const char* kOnyxInternalDomain = "onyx.internal";

// True if op_type is an operator of the default ONNX domain (any opset).
bool IsOnnxOperator(const std::string& op_type);

}  // namespace onyx
