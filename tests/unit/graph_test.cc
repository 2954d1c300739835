#include <gtest/gtest.h>

#include "graph/graph.h"
#include "onyx/error.h"

using namespace onyx;

namespace {
Node MakeNode(const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.op_type = op;
  n.name = op + "_" + out[0];
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}
ValueInfo VI(const std::string& name) {
  ValueInfo v;
  v.name = name;
  return v;
}
ErrorCode CodeOf(Graph& g) {
  try {
    g.SortAndValidate();
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::Fail;
}
}  // namespace

TEST(Graph, SortsTopologically) {
  Graph g;
  g.inputs = {VI("x")};
  g.outputs = {VI("z")};
  g.nodes = {MakeNode("Relu", {"y"}, {"z"}), MakeNode("Neg", {"x"}, {"y"})};
  g.SortAndValidate();
  EXPECT_EQ(g.nodes[0].op_type, "Neg");
  EXPECT_EQ(g.nodes[1].op_type, "Relu");
}

TEST(Graph, KeepsOriginalOrderAmongIndependentNodes) {
  Graph g;
  g.inputs = {VI("x")};
  g.outputs = {VI("a"), VI("b"), VI("c")};
  g.nodes = {MakeNode("A", {"x"}, {"a"}), MakeNode("B", {"x"}, {"b"}), MakeNode("C", {"x"}, {"c"})};
  g.SortAndValidate();
  EXPECT_EQ(g.nodes[0].op_type, "A");
  EXPECT_EQ(g.nodes[2].op_type, "C");
}

TEST(Graph, DetectsCycle) {
  Graph g;
  g.inputs = {VI("x")};
  g.outputs = {VI("b")};
  g.nodes = {MakeNode("Add", {"x", "b"}, {"a"}), MakeNode("Relu", {"a"}, {"b"})};
  EXPECT_EQ(CodeOf(g), ErrorCode::InvalidGraph);
}

TEST(Graph, DetectsUndefinedInput) {
  Graph g;
  g.inputs = {VI("x")};
  g.outputs = {VI("y")};
  g.nodes = {MakeNode("Add", {"x", "nowhere"}, {"y"})};
  try {
    g.SortAndValidate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidGraph);
    EXPECT_NE(std::string(e.what()).find("nowhere"), std::string::npos);
  }
}

TEST(Graph, DetectsDuplicateOutputs) {
  Graph g;
  g.inputs = {VI("x")};
  g.outputs = {VI("y")};
  g.nodes = {MakeNode("Relu", {"x"}, {"y"}), MakeNode("Neg", {"x"}, {"y"})};
  EXPECT_EQ(CodeOf(g), ErrorCode::InvalidGraph);
}

TEST(Graph, DetectsOutputNobodyProduces) {
  Graph g;
  g.inputs = {VI("x")};
  g.outputs = {VI("missing")};
  EXPECT_EQ(CodeOf(g), ErrorCode::InvalidGraph);
}

TEST(Graph, OptionalEmptyInputsAreFine) {
  Graph g;
  g.inputs = {VI("x")};
  g.outputs = {VI("y")};
  g.nodes = {MakeNode("Clip", {"x", "", ""}, {"y"})};
  EXPECT_NO_THROW(g.SortAndValidate());
}

TEST(Graph, SubgraphOuterReadsOrderTheirNode) {
  auto body = std::make_shared<Graph>();
  body->outputs = {VI("o")};
  body->nodes = {MakeNode("Identity", {"late"}, {"o"})};
  Graph g;
  g.inputs = {VI("c"), VI("x")};
  g.outputs = {VI("y")};
  Node if_node = MakeNode("If", {"c"}, {"y"});
  Attribute a;
  a.type = Attribute::Type::Graph;
  a.g = body;
  if_node.attributes["then_branch"] = a;
  if_node.attributes["else_branch"] = a;
  g.nodes = {if_node, MakeNode("Neg", {"x"}, {"late"})};
  g.SortAndValidate();
  EXPECT_EQ(g.nodes[0].op_type, "Neg");
  EXPECT_EQ(g.nodes[1].op_type, "If");
}
