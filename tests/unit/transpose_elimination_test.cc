// Transpose elimination: consecutive Transposes compose into one, identity permutations vanish,
// and outputs stay the same.
#include <gtest/gtest.h>

#include "optimizer_test_util.h"

namespace onyx::testing {
namespace {

constexpr auto kBasic = GraphOptimizationLevel::EnableBasic;

Feeds X234(uint32_t seed = 1) { return {{"x", RandomTensor(DataType::Float, {2, 3, 4}, seed)}}; }

GraphBuilder Input234() {
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(3), int64_t(4)}).Output("y", DataType::Float);
  return g;
}

TEST(TransposeElimination, InversePairVanishes) {
  GraphBuilder g = Input234();
  g.Node("Relu", {"x"}, {"r"})
      .Node("Transpose", {"r"}, {"t1"}, {IntsAttribute("perm", {2, 0, 1})})
      .Node("Transpose", {"t1"}, {"y"}, {IntsAttribute("perm", {1, 2, 0})});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Transpose"), 0);
  ExpectSameOutputs(s, X234());
}

TEST(TransposeElimination, DefaultPermutationsReverseAndCancel) {
  GraphBuilder g = Input234();
  g.Node("Relu", {"x"}, {"r"}).Node("Transpose", {"r"}, {"t1"}).Node("Transpose", {"t1"}, {"t2"}).Node("Sigmoid", {"t2"}, {"y"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Transpose"), 0);
  ExpectSameOutputs(s, X234());
}

TEST(TransposeElimination, ChainComposesIntoOne) {
  GraphBuilder g = Input234();
  g.Node("Transpose", {"x"}, {"t1"}, {IntsAttribute("perm", {0, 2, 1})})
      .Node("Transpose", {"t1"}, {"t2"}, {IntsAttribute("perm", {2, 0, 1})})
      .Node("Transpose", {"t2"}, {"y"}, {IntsAttribute("perm", {1, 0, 2})});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Transpose"), 1);
  ExpectSameOutputs(s, X234());
}

TEST(TransposeElimination, IdentityPermutationGoes) {
  GraphBuilder g = Input234();
  g.Node("Relu", {"x"}, {"r"}).Node("Transpose", {"r"}, {"y"}, {IntsAttribute("perm", {0, 1, 2})});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Transpose"), 0);
  ExpectSameOutputs(s, X234());
}

TEST(TransposeElimination, InnerTransposeWithOtherReadersStays) {
  // t1 is also a graph output: it stays, and the second Transpose reads x directly.
  GraphBuilder g = Input234();
  g.Output("t1", DataType::Float);
  g.Node("Transpose", {"x"}, {"t1"}, {IntsAttribute("perm", {1, 0, 2})})
      .Node("Transpose", {"t1"}, {"y"}, {IntsAttribute("perm", {0, 2, 1})});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Transpose"), 2);
  ExpectSameOutputs(s, X234());
}

TEST(TransposeElimination, InverseFromGraphInputToGraphOutputKeepsTheName) {
  // y = x exactly, but y must stay a distinct output: one identity Transpose remains.
  GraphBuilder g = Input234();
  g.Node("Transpose", {"x"}, {"t1"}, {IntsAttribute("perm", {1, 2, 0})}).Node("Transpose", {"t1"}, {"y"}, {IntsAttribute("perm", {2, 0, 1})});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Transpose"), 1);
  ExpectSameOutputs(s, X234());
}

}  // namespace
}  // namespace onyx::testing
