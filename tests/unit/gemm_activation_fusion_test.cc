// Gemm (or 2-D MatMul) + activation -> com.microsoft FusedGemm (level 2): each activation fuses,
// outputs equal the unoptimized model's; nothing fuses for Clip (onnxruntime's FusedGemm has
// none), batched MatMul, a product read twice or that is a graph output, double, or at level 1.
#include <gtest/gtest.h>

#include "optimizer_test_util.h"

namespace onyx::testing {
namespace {

constexpr auto kExtended = GraphOptimizationLevel::EnableExtended;

void AddActivation(GraphBuilder& g, const std::string& op, const std::string& in = "p") {
  if (op == "LeakyRelu") g.Node(op, {in}, {"y"}, {FloatAttribute("alpha", 0.2f)});
  else if (op == "HardSigmoid") g.Node(op, {in}, {"y"}, {FloatAttribute("alpha", 0.3f), FloatAttribute("beta", 0.4f)});
  else g.Node(op, {in}, {"y"});
}

// a[5,8] -> Gemm(transB, alpha, beta, C) -> "p"
GraphBuilder GemmModel(DataType dt = DataType::Float) {
  GraphBuilder g;
  g.Input("a", dt, {int64_t(5), int64_t(8)});
  g.Initializer("B", RandomTensor(dt, {6, 8}, 1)).Initializer("C", RandomTensor(dt, {6}, 2));
  g.Node("Gemm", {"a", "B", "C"}, {"p"},
         {IntAttribute("transB", 1), FloatAttribute("alpha", 1.5f), FloatAttribute("beta", 0.5f)}, "gemm");
  return g;
}

Feeds AFeed(DataType dt = DataType::Float) { return {{"a", RandomTensor(dt, {5, 8}, 3, -2, 2)}}; }

void Expect(const std::string& model, const Feeds& feeds, bool fused, const std::string& product, const std::string& act,
            GraphOptimizationLevel level = kExtended) {
  SessionPair s(model, level);
  EXPECT_EQ(CountOps(s.optimized, "FusedGemm"), fused ? 1 : 0);
  EXPECT_EQ(CountOps(s.optimized, product), fused ? 0 : 1);
  EXPECT_EQ(CountOps(s.optimized, act), fused ? 0 : 1);
  ExpectSameOutputs(s, feeds, 1e-5);
}

TEST(GemmActivationFusion, EachActivationFuses) {
  for (const char* act : {"Relu", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid"}) {
    SCOPED_TRACE(act);
    GraphBuilder g = GemmModel();
    g.Output("y", DataType::Float);
    AddActivation(g, act);
    Expect(BuildModel(g), AFeed(), true, "Gemm", act);
  }
}

TEST(GemmActivationFusion, MatMulAddThenReluBecomesOneFusedGemm) {
  GraphBuilder g;
  g.Input("a", DataType::Float, {std::string("batch"), int64_t(16)}).Output("y", DataType::Float);
  g.Initializer("W", RandomTensor(DataType::Float, {16, 32}, 1)).Initializer("c", RandomTensor(DataType::Float, {32}, 2));
  g.Node("MatMul", {"a", "W"}, {"m"}).Node("Add", {"m", "c"}, {"p"}).Node("Relu", {"p"}, {"y"});
  SessionPair s(BuildModel(g), kExtended);
  EXPECT_EQ(CountOps(s.optimized, "FusedGemm"), 1);
  EXPECT_EQ(s.optimized.placement().size(), 1u);
  ExpectSameOutputs(s, {{"a", RandomTensor(DataType::Float, {7, 16}, 3)}});
  // One row: the matrix-vector path.
  ExpectSameOutputs(s, {{"a", RandomTensor(DataType::Float, {1, 16}, 4)}});
}

TEST(GemmActivationFusion, TwoDimensionalMatMulFusesBatchedStays) {
  {
    GraphBuilder g;
    g.Input("a", DataType::Float, {int64_t(4), int64_t(8)}).Output("y", DataType::Float);
    g.Initializer("W", RandomTensor(DataType::Float, {8, 3}, 1));
    g.Node("MatMul", {"a", "W"}, {"p"});
    AddActivation(g, "Tanh");
    Expect(BuildModel(g), {{"a", RandomTensor(DataType::Float, {4, 8}, 2)}}, true, "MatMul", "Tanh");
  }
  {
    GraphBuilder g;
    g.Input("a", DataType::Float, {int64_t(2), int64_t(4), int64_t(8)}).Output("y", DataType::Float);
    g.Initializer("W", RandomTensor(DataType::Float, {8, 3}, 1));
    g.Node("MatMul", {"a", "W"}, {"p"});
    AddActivation(g, "Relu");
    Expect(BuildModel(g), {{"a", RandomTensor(DataType::Float, {2, 4, 8}, 2)}}, false, "MatMul", "Relu");
  }
}

TEST(GemmActivationFusion, ClipStays) {
  GraphBuilder g = GemmModel();
  g.Output("y", DataType::Float);
  g.Initializer("lo", FloatScalar(0.f)).Initializer("hi", FloatScalar(6.f));
  g.Node("Clip", {"p", "lo", "hi"}, {"y"});
  Expect(BuildModel(g), AFeed(), false, "Gemm", "Clip");
}

TEST(GemmActivationFusion, ProductReadTwiceOrAGraphOutputStays) {
  {
    GraphBuilder g = GemmModel();
    g.Output("y", DataType::Float).Output("z", DataType::Float);
    g.Node("Relu", {"p"}, {"y"}).Node("Neg", {"p"}, {"z"});
    SessionPair s(BuildModel(g), kExtended);
    EXPECT_EQ(CountOps(s.optimized, "FusedGemm"), 0);
    ExpectSameOutputs(s, AFeed());
  }
  GraphBuilder g = GemmModel();
  g.Output("y", DataType::Float).Output("p", DataType::Float);
  g.Node("Relu", {"p"}, {"y"});
  Expect(BuildModel(g), AFeed(), false, "Gemm", "Relu");
}

TEST(GemmActivationFusion, DoubleAndBasicLevelStay) {
  {
    GraphBuilder g = GemmModel(DataType::Double);
    g.Output("y", DataType::Double);
    g.Node("Relu", {"p"}, {"y"});
    Expect(BuildModel(g), AFeed(DataType::Double), false, "Gemm", "Relu");
  }
  GraphBuilder g = GemmModel();
  g.Output("y", DataType::Float);
  g.Node("Relu", {"p"}, {"y"});
  Expect(BuildModel(g), AFeed(), false, "Gemm", "Relu", GraphOptimizationLevel::EnableBasic);
}

TEST(GemmActivationFusion, ActivationAttributeOfTheWrongTypeStays) {
  // The standalone LeakyRelu rejects it at session creation; the fusion must not hide that.
  GraphBuilder g = GemmModel();
  g.Output("y", DataType::Float);
  g.Node("LeakyRelu", {"p"}, {"y"}, {IntAttribute("alpha", 1)});
  const std::string model = BuildModel(g);
  EXPECT_THROW(SessionAt(model, kExtended), Error);
}

}  // namespace
}  // namespace onyx::testing
