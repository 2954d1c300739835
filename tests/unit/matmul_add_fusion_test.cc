// MatMul + Add -> Gemm: fused for 2-D products whose addend broadcasts to the product's shape;
// left alone for batched products, widening addends and products read elsewhere.
#include <gtest/gtest.h>

#include "optimizer_test_util.h"

namespace onyx::testing {
namespace {

constexpr auto kBasic = GraphOptimizationLevel::EnableBasic;

// a[M,8] @ B[8,5] + c, with c an initializer of shape c_shape; add_first: c + product.
std::string MatMulAddModel(const std::vector<DimSpec>& a_shape, const std::vector<int64_t>& c_shape, bool add_first = false) {
  GraphBuilder g;
  g.Input("a", DataType::Float, a_shape).Output("y", DataType::Float);
  g.Initializer("B", RandomTensor(DataType::Float, {8, 5}, 1)).Initializer("c", RandomTensor(DataType::Float, c_shape, 2));
  g.Node("MatMul", {"a", "B"}, {"p"});
  if (add_first) g.Node("Add", {"c", "p"}, {"y"});
  else g.Node("Add", {"p", "c"}, {"y"});
  return BuildModel(g);
}

void ExpectGemm(const std::string& model, const std::vector<int64_t>& a_shape, bool fused) {
  SessionPair s(model, kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Gemm"), fused ? 1 : 0);
  EXPECT_EQ(CountOps(s.optimized, "MatMul"), fused ? 0 : 1);
  ExpectSameOutputs(s, {{"a", RandomTensor(DataType::Float, a_shape, 3)}});
}

TEST(MatMulAddFusion, AddendsThatBroadcastToTheProductFuse) {
  ExpectGemm(MatMulAddModel({int64_t(4), int64_t(8)}, {5}), {4, 8}, true);
  ExpectGemm(MatMulAddModel({int64_t(4), int64_t(8)}, {4, 5}), {4, 8}, true);
  ExpectGemm(MatMulAddModel({int64_t(4), int64_t(8)}, {4, 1}), {4, 8}, true);
  ExpectGemm(MatMulAddModel({int64_t(4), int64_t(8)}, {}), {4, 8}, true);
  ExpectGemm(MatMulAddModel({int64_t(4), int64_t(8)}, {1, 5}, /*add_first=*/true), {4, 8}, true);
  ExpectGemm(MatMulAddModel({std::string("batch"), int64_t(8)}, {5}), {3, 8}, true);
}

TEST(MatMulAddFusion, BothOperandsMayBeRunTimeValues) {
  GraphBuilder g;
  g.Input("a", DataType::Float, {int64_t(3), int64_t(4)}).Input("b", DataType::Float, {int64_t(4), int64_t(6)});
  g.Input("c", DataType::Float, {int64_t(3), int64_t(6)}).Output("y", DataType::Float);
  g.Node("MatMul", {"a", "b"}, {"p"}).Node("Add", {"p", "c"}, {"y"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Gemm"), 1);
  ExpectSameOutputs(s, {{"a", RandomTensor(DataType::Float, {3, 4}, 4)},
                        {"b", RandomTensor(DataType::Float, {4, 6}, 5)},
                        {"c", RandomTensor(DataType::Float, {3, 6}, 6)}});
}

TEST(MatMulAddFusion, Float16) {
  GraphBuilder g;
  g.Input("a", DataType::Float16, {int64_t(3), int64_t(8)}).Output("y", DataType::Float16);
  g.Initializer("B", RandomTensor(DataType::Float16, {8, 4}, 1)).Initializer("c", RandomTensor(DataType::Float16, {4}, 2));
  g.Node("MatMul", {"a", "B"}, {"p"}).Node("Add", {"c", "p"}, {"y"});
  SessionPair s(BuildModel(g), kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Gemm"), 1);
  // One rounding less than MatMul then Add.
  ExpectSameOutputs(s, {{"a", RandomTensor(DataType::Float16, {3, 8}, 3)}}, 4e-3);
}

TEST(MatMulAddFusion, BatchedProductOrWideningAddendStays) {
  ExpectGemm(MatMulAddModel({int64_t(2), int64_t(4), int64_t(8)}, {5}), {2, 4, 8}, false);  // 3-D A
  ExpectGemm(MatMulAddModel({int64_t(4), int64_t(8)}, {2, 4, 5}), {4, 8}, false);           // adds an axis
  ExpectGemm(MatMulAddModel({std::string("batch"), int64_t(8)}, {3, 5}), {3, 8}, false);   // M unknown
}

TEST(MatMulAddFusion, ProductReadElsewhereStays) {
  GraphBuilder g;
  g.Input("a", DataType::Float, {int64_t(4), int64_t(8)}).Output("y", DataType::Float).Output("p", DataType::Float);
  g.Output("z", DataType::Float);
  g.Initializer("B", RandomTensor(DataType::Float, {8, 5}, 1)).Initializer("c", RandomTensor(DataType::Float, {5}, 2));
  g.Node("MatMul", {"a", "B"}, {"p"}).Node("Add", {"p", "c"}, {"y"});  // p is a graph output
  g.Node("MatMul", {"a", "B"}, {"q"}, {}, "second");
  g.Node("Add", {"q", "c"}, {"z1"}).Node("Mul", {"q", "z1"}, {"z"});    // q read twice
  const std::string model = BuildModel(g);
  SessionPair s(model, kBasic);
  EXPECT_EQ(CountOps(s.optimized, "Gemm"), 0);
  ExpectSameOutputs(s, {{"a", RandomTensor(DataType::Float, {4, 8}, 7)}});
}

}  // namespace
}  // namespace onyx::testing
