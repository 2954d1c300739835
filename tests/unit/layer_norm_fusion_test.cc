// The layer-norm fusion pass: the decomposed pattern exporters emit becomes one
// LayerNormalization node, and outputs stay the same.
#include <gtest/gtest.h>

#include "kernel_test_util.h"
#include "model_builder.h"
#include "onyx/session.h"
#include "provider_test_util.h"

namespace onyx::testing {
namespace {

Tensor Scalar(DataType dt, double v) {
  Tensor t(dt, {});
  if (dt == DataType::Double) t.data<double>()[0] = v;
  else t.data<float>()[0] = static_cast<float>(v);
  return t;
}

// x[2,5,8] -> decomposed layer norm over the last axis -> * scale + bias. With `widen`, x is
// float16, cast to double for the statistics and cast back, as PyTorch exports float16 models.
std::string DecomposedModel(bool widen, bool affine, int64_t opset) {
  const DataType xt = widen ? DataType::Float16 : DataType::Float;
  const DataType ct = widen ? DataType::Double : DataType::Float;
  GraphBuilder g;
  g.Input("x", xt, {int64_t(2), int64_t(5), int64_t(8)}).Output("y", xt);
  g.Initializer("two", Scalar(ct, 2.0)).Initializer("eps", Scalar(ct, 1e-5));
  std::string in = "x";
  if (widen) {
    g.Node("Cast", {"x"}, {"xw"}, {IntAttribute("to", static_cast<int64_t>(DataType::Double))});
    in = "xw";
  }
  g.Node("ReduceMean", {in}, {"mean"}, {IntsAttribute("axes", {-1})})
      .Node("Sub", {in, "mean"}, {"d"})
      .Node("Pow", {"d", "two"}, {"sq"})
      .Node("ReduceMean", {"sq"}, {"var"}, {IntsAttribute("axes", {-1})})
      .Node("Add", {"var", "eps"}, {"ve"})
      .Node("Sqrt", {"ve"}, {"sd"})
      .Node("Div", {"d", "sd"}, {"n"});
  std::string out = "n";
  if (widen) {
    g.Node("Cast", {"n"}, {"nc"}, {IntAttribute("to", static_cast<int64_t>(DataType::Float16))});
    out = "nc";
  }
  if (affine) {
    g.Initializer("scale", RandomTensor(xt, {8}, 5, 0.5, 1.5)).Initializer("bias", RandomTensor(xt, {8}, 6));
    g.Node("Mul", {out, "scale"}, {"m"}).Node("Add", {"m", "bias"}, {"y"});
  } else {
    g.Node("Identity", {out}, {"y"});
  }
  return BuildModel(g, opset);
}

// PyTorch's float16 export: mean and x - mean in float16, the variance and the division in
// double, cast back before the affine part.
std::string WidenedVarianceModel() {
  GraphBuilder g;
  g.Input("x", DataType::Float16, {int64_t(3), int64_t(16)}).Output("y", DataType::Float16);
  g.Initializer("two", Scalar(DataType::Double, 2.0)).Initializer("eps", Scalar(DataType::Double, 1e-5));
  g.Initializer("scale", RandomTensor(DataType::Float16, {16}, 5, 0.5, 1.5)).Initializer("bias", RandomTensor(DataType::Float16, {16}, 6));
  g.Node("ReduceMean", {"x"}, {"mean"}, {IntsAttribute("axes", {-1})})
      .Node("Sub", {"x", "mean"}, {"d"})
      .Node("Cast", {"d"}, {"dw"}, {IntAttribute("to", static_cast<int64_t>(DataType::Double))})
      .Node("Pow", {"dw", "two"}, {"sq"})
      .Node("ReduceMean", {"sq"}, {"var"}, {IntsAttribute("axes", {-1})})
      .Node("Add", {"var", "eps"}, {"ve"})
      .Node("Sqrt", {"ve"}, {"sd"})
      .Node("Div", {"dw", "sd"}, {"n"})
      .Node("Cast", {"n"}, {"nc"}, {IntAttribute("to", static_cast<int64_t>(DataType::Float16))})
      .Node("Mul", {"nc", "scale"}, {"m"})
      .Node("Add", {"m", "bias"}, {"y"});
  return BuildModel(g, 14);
}

int Count(const Session& s, const std::string& op) {
  int n = 0;
  for (const auto& p : s.placement()) n += p.op_type == op;
  return n;
}

void ExpectFusedAndSame(const std::string& model, bool widen, double tol) {
  SessionOptions plain;
  plain.graph_optimization_level = GraphOptimizationLevel::DisableAll;
  Session reference(model.data(), model.size(), plain);
  Session fused(model.data(), model.size());
  EXPECT_EQ(Count(fused, "LayerNormalization"), 1);
  EXPECT_EQ(Count(fused, "ReduceMean") + Count(fused, "Sqrt") + Count(fused, "Pow") + Count(fused, "Cast"), 0);
  EXPECT_EQ(Count(reference, "ReduceMean"), 2);
  std::vector<int64_t> shape = reference.inputs()[0].shape.size() == 3 ? std::vector<int64_t>{2, 5, 8} : std::vector<int64_t>{3, 16};
  Tensor x = RandomTensor(widen ? DataType::Float16 : DataType::Float, shape, 9, -3, 3);
  Tensor want = reference.Run({{"x", x}})[0], got = fused.Run({{"x", x}})[0];
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.size(); ++i) EXPECT_NEAR(ElementAsDouble(got, i), ElementAsDouble(want, i), tol) << i;
}

TEST(LayerNormFusion, Float32WithScaleAndBiasAtOpset14) {
  ExpectFusedAndSame(DecomposedModel(false, true, 14), false, 1e-5);
}
TEST(LayerNormFusion, Float32AtOpset17) { ExpectFusedAndSame(DecomposedModel(false, true, 17), false, 1e-5); }
TEST(LayerNormFusion, WithoutAffinePart) { ExpectFusedAndSame(DecomposedModel(false, false, 17), false, 1e-5); }
TEST(LayerNormFusion, Float16ThroughDoubleCasts) { ExpectFusedAndSame(DecomposedModel(true, true, 14), true, 2e-3); }
TEST(LayerNormFusion, Float16WithDoubleVarianceAsPyTorchExports) { ExpectFusedAndSame(WidenedVarianceModel(), true, 4e-3); }

TEST(LayerNormFusion, LeavesOtherReadersOfIntermediatesAlone) {
  // The centred value "d" is also a graph output: fusing would lose it.
  GraphBuilder g;
  g.Input("x", DataType::Float, {int64_t(2), int64_t(4)}).Output("y", DataType::Float).Output("d", DataType::Float);
  g.Initializer("two", Scalar(DataType::Float, 2.0)).Initializer("eps", Scalar(DataType::Float, 1e-5));
  g.Node("ReduceMean", {"x"}, {"mean"}, {IntsAttribute("axes", {-1})})
      .Node("Sub", {"x", "mean"}, {"d"})
      .Node("Pow", {"d", "two"}, {"sq"})
      .Node("ReduceMean", {"sq"}, {"var"}, {IntsAttribute("axes", {-1})})
      .Node("Add", {"var", "eps"}, {"ve"})
      .Node("Sqrt", {"ve"}, {"sd"})
      .Node("Div", {"d", "sd"}, {"y"});
  const std::string model = BuildModel(g, 17);
  Session s(model.data(), model.size());
  EXPECT_EQ(Count(s, "LayerNormalization"), 0);
}

TEST(LayerNormFusion, OptimizedModelBelowOpset17IsSaved) {
  const std::string model = DecomposedModel(false, true, 14);
  SessionOptions o;
  o.optimized_model_filepath = ::testing::TempDir() + "/ln_fused.onnx";
  Session s(model.data(), model.size(), o);
  Session reloaded(o.optimized_model_filepath);
  EXPECT_EQ(Count(reloaded, "LayerNormalization"), 1);
}

}  // namespace
}  // namespace onyx::testing
