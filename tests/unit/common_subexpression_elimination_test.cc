// Common-subexpression elimination: nodes computing the same thing from the same inputs merge,
// attribute values are compared exactly, and random or pinned nodes stay.
#include <gtest/gtest.h>

#include "optimizer_test_util.h"

namespace onyx::testing {
namespace {

constexpr auto kBasic = GraphOptimizationLevel::EnableBasic;

TEST(CommonSubexpressionElimination, DuplicatedChainsCollapse) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(5)}).Output("y", DataType::Float);
  g.Node("Relu", {"x"}, {"r1"}).Node("Sigmoid", {"r1"}, {"s1"});
  g.Node("Relu", {"x"}, {"r2"}).Node("Sigmoid", {"r2"}, {"s2"});
  g.Node("Add", {"s1", "s2"}, {"y"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Relu"), 1);
  EXPECT_EQ(CountOps(s.optimized, "Sigmoid"), 1);
  ExpectSameOutputs(s, {{"x", RandomTensor(DataType::Float, {2, 5}, 1)}});
}

TEST(CommonSubexpressionElimination, AttributesMustBeEqual) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(3), int64_t(4)}).Output("y", DataType::Float).Output("z", DataType::Float);
  g.Node("Transpose", {"x"}, {"t1"}, {IntsAttribute("perm", {0, 2, 1})});
  g.Node("Transpose", {"x"}, {"t2"}, {IntsAttribute("perm", {0, 2, 1})});
  g.Node("Transpose", {"x"}, {"t3"}, {IntsAttribute("perm", {1, 2, 0})});
  g.Node("LeakyRelu", {"t1"}, {"l1"}, {FloatAttribute("alpha", 0.1f)});
  g.Node("LeakyRelu", {"t2"}, {"l2"}, {FloatAttribute("alpha", 0.1f)});
  g.Node("LeakyRelu", {"t2"}, {"l3"}, {FloatAttribute("alpha", 0.2f)});
  g.Node("Sum", {"l1", "l2", "l3"}, {"y"}).Node("Relu", {"t3"}, {"z"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Transpose"), 2);
  EXPECT_EQ(CountOps(s.optimized, "LeakyRelu"), 2);
  ExpectSameOutputs(s, {{"x", RandomTensor(DataType::Float, {2, 3, 4}, 2)}});
}

TEST(CommonSubexpressionElimination, TensorAttributesAreComparedByValue) {
  // ConstantOfShape of a run-time shape: two fill with 1.5, one with 2.5.
  auto fill = [](float v) {
    Tensor t(DataType::Float, {1});
    t.data<float>()[0] = v;
    return t;
  };
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("N"), int64_t(3)}).Output("y", DataType::Float);
  g.Node("Shape", {"x"}, {"s1"}).Node("Shape", {"x"}, {"s2"});
  g.Node("ConstantOfShape", {"s1"}, {"a"}, {TensorAttribute("value", fill(1.5f))});
  g.Node("ConstantOfShape", {"s2"}, {"b"}, {TensorAttribute("value", fill(1.5f))});
  g.Node("ConstantOfShape", {"s2"}, {"c"}, {TensorAttribute("value", fill(2.5f))});
  g.Node("Sum", {"a", "b", "c", "x"}, {"y"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Shape"), 1);
  EXPECT_EQ(CountOps(s.optimized, "ConstantOfShape"), 2);
  ExpectSameOutputs(s, {{"x", RandomTensor(DataType::Float, {4, 3}, 3)}});
}

TEST(CommonSubexpressionElimination, RandomOpsAreNeverMerged) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(3)}).Output("y", DataType::Float);
  g.Node("RandomUniformLike", {"x"}, {"u1"}).Node("RandomUniformLike", {"x"}, {"u2"}).Node("Sub", {"u1", "u2"}, {"y"});
  const std::string model = BuildModel(g);
  Session s = SessionAt(model, kBasic);
  EXPECT_EQ(CountOps(s, "RandomUniformLike"), 2);
}

TEST(CommonSubexpressionElimination, GraphOutputsKeepTheirNodes) {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(4)}).Output("y1", DataType::Float).Output("y2", DataType::Float);
  g.Node("Neg", {"x"}, {"y1"}).Node("Neg", {"x"}, {"y2"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Neg"), 2);
  ExpectSameOutputs(s, {{"x", RandomTensor(DataType::Float, {4}, 4)}});
}

TEST(CommonSubexpressionElimination, DuplicateReadBySubgraphIsKeptButItsTwinStillMerges) {
  // n2 duplicates n1 but an If branch reads n2 by name: n2 stays; n3 (a later duplicate) merges.
  GraphBuilder branch;
  branch.Output("o", DataType::Float).Node("Sqrt", {"n2"}, {"o"});
  GraphBuilder other;
  other.Output("o", DataType::Float).Node("Abs", {"n2"}, {"o"});
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(3)}).Input("c", DataType::Bool, {}).Output("y", DataType::Float).Output("z", DataType::Float);
  g.Node("Abs", {"x"}, {"n1"}).Node("Abs", {"x"}, {"n2"}).Node("Abs", {"x"}, {"n3"});
  g.Node("If", {"c"}, {"y"}, {GraphAttribute("then_branch", branch.proto()), GraphAttribute("else_branch", other.proto())});
  g.Node("Add", {"n1", "n3"}, {"z"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Abs"), 2);
  Tensor c(DataType::Bool, {});
  c.data<bool>()[0] = true;
  ExpectSameOutputs(s, {{"x", RandomTensor(DataType::Float, {3}, 5)}, {"c", c}});
}

TEST(CommonSubexpressionElimination, EqualConstantsCountAsTheSameInput) {
  // Gather(Shape(x), i0) and Gather(Shape(x), j0) with i0 = j0 = 0 merge; k1 = 1 differs.
  auto index = [](int64_t v) {
    Tensor t(DataType::Int64, {});
    t.data<int64_t>()[0] = v;
    return t;
  };
  GraphBuilder g;
  g.Input("x", DataType::Float, {std::string("N"), std::string("M")}).Output("y", DataType::Int64);
  g.Initializer("i0", index(0)).Initializer("j0", index(0)).Initializer("k1", index(1)).Initializer("ax", Int64s({0}));
  g.Node("Shape", {"x"}, {"s"})
      .Node("Gather", {"s", "i0"}, {"a"})
      .Node("Gather", {"s", "j0"}, {"b"})
      .Node("Gather", {"s", "k1"}, {"c"})
      .Node("Unsqueeze", {"a", "ax"}, {"ua"})
      .Node("Unsqueeze", {"b", "ax"}, {"ub"})
      .Node("Unsqueeze", {"c", "ax"}, {"uc"})
      .Node("Concat", {"ua", "ub", "uc"}, {"y"}, {IntAttribute("axis", 0)});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Gather"), 2);
  EXPECT_EQ(CountOps(s.optimized, "Unsqueeze"), 2);
  ExpectSameOutputs(s, {{"x", RandomTensor(DataType::Float, {3, 5}, 6)}});
}

}  // namespace
}  // namespace onyx::testing
