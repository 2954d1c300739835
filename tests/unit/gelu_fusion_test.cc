// The GELU fusion pass: x * 0.5 * (1 + Erf(x / sqrt 2)) becomes one Gelu node, outputs unchanged.
#include <gtest/gtest.h>

#include <cmath>

#include "core/float16.h"
#include "kernel_test_util.h"
#include "model_builder.h"
#include "onyx/session.h"
#include "provider_test_util.h"

namespace onyx::testing {
namespace {

Tensor ScalarOf(DataType dt, double v) {
  Tensor t(dt, {});
  if (dt == DataType::Float16) t.data<uint16_t>()[0] = FloatToHalf(static_cast<float>(v));
  else t.data<float>()[0] = static_cast<float>(v);
  return t;
}

// half_first: (x * 0.5) * (1 + erf) instead of (x * (1 + erf)) * 0.5; mul_scale: x * (1/sqrt 2)
// instead of x / sqrt 2. An extra Relu reads x so x has other readers, as in real models.
std::string GeluModel(DataType dt, bool half_first, bool mul_scale, int64_t opset, bool expose_erf = false) {
  GraphBuilder g;
  g.Input("x", dt, {int64_t(3), int64_t(7)}).Output("y", dt).Output("r", dt);
  if (expose_erf) g.Output("e", dt);
  g.Initializer("c", ScalarOf(dt, mul_scale ? std::sqrt(0.5) : std::sqrt(2.0)))
      .Initializer("one", ScalarOf(dt, 1.0))
      .Initializer("half", ScalarOf(dt, 0.5));
  g.Node(mul_scale ? "Mul" : "Div", {"x", "c"}, {"s"}).Node("Erf", {"s"}, {"e"}).Node("Add", {"e", "one"}, {"a"});
  if (half_first) g.Node("Mul", {"x", "half"}, {"h"}).Node("Mul", {"h", "a"}, {"y"});
  else g.Node("Mul", {"x", "a"}, {"m"}).Node("Mul", {"m", "half"}, {"y"});
  g.Node("Relu", {"x"}, {"r"});
  return BuildModel(g, opset);
}

int Count(const Session& s, const std::string& op) {
  int n = 0;
  for (const auto& p : s.placement()) n += p.op_type == op;
  return n;
}

void ExpectFused(const std::string& model, DataType dt, double tol, bool fused = true) {
  SessionOptions plain;
  plain.graph_optimization_level = GraphOptimizationLevel::DisableAll;
  Session reference(model.data(), model.size(), plain);
  Session optimized(model.data(), model.size());
  EXPECT_EQ(Count(optimized, "Gelu"), fused ? 1 : 0);
  EXPECT_EQ(Count(optimized, "Erf"), fused ? 0 : 1);
  Tensor x = RandomTensor(dt, {3, 7}, 4, -4, 4);
  auto want = reference.Run({{"x", x}});
  auto got = optimized.Run({{"x", x}});
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k)
    for (int64_t i = 0; i < got[k].size(); ++i) EXPECT_NEAR(ElementAsDouble(got[k], i), ElementAsDouble(want[k], i), tol) << k << ":" << i;
}

TEST(GeluFusion, TorchErfFormAtOpset14) { ExpectFused(GeluModel(DataType::Float, false, false, 14), DataType::Float, 1e-5); }
TEST(GeluFusion, HalfFirstAndMultipliedScale) { ExpectFused(GeluModel(DataType::Float, true, true, 17), DataType::Float, 1e-5); }
TEST(GeluFusion, Opset20UsesOnnxGelu) { ExpectFused(GeluModel(DataType::Float, false, false, 20), DataType::Float, 1e-5); }
TEST(GeluFusion, Float16) { ExpectFused(GeluModel(DataType::Float16, false, false, 14), DataType::Float16, 4e-3); }
TEST(GeluFusion, IntermediateReadElsewhereIsLeftAlone) {
  ExpectFused(GeluModel(DataType::Float, false, false, 14, /*expose_erf=*/true), DataType::Float, 1e-6, /*fused=*/false);
}

}  // namespace
}  // namespace onyx::testing
