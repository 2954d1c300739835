#include <functional>
#include <limits>

#include "math_test_util.h"
#include "mlas/math_activations.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

Tensor Run1(const std::string& op, const std::vector<Tensor>& in, std::map<std::string, Attribute> attrs = {},
            int64_t opset = 17, ThreadPool* pool = nullptr) {
  return RunOp(op, in, 1, std::move(attrs), opset, pool)[0].tensor();
}

std::vector<float> Sweep() {
  std::vector<float> v;
  for (float x = -20.f; x <= 20.f; x += 0.0173f) v.push_back(x);
  for (float x : {0.f, -0.f, 1e-8f, -1e-8f, 1e-4f, 3e-4f, 88.f, 88.7f, -88.f, -100.f, 100.f, 1e30f, -1e30f}) v.push_back(x);
  return v;
}

void CheckAgainst(const std::string& op, const std::function<double(double)>& ref, float rtol, float atol,
                  const std::vector<float>& xs, std::map<std::string, Attribute> attrs = {}, int64_t opset = 17) {
  Tensor x = FloatTensor({static_cast<int64_t>(xs.size())}, xs);
  Tensor y = Run1(op, {x}, attrs, opset);
  ASSERT_EQ(y.dtype(), DataType::Float);
  for (size_t i = 0; i < xs.size(); ++i) {
    const double want = ref(xs[i]);
    const float got = y.data<float>()[i];
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(got)) << op << "(" << xs[i] << ")";
    } else if (std::isinf(static_cast<float>(want))) {
      EXPECT_EQ(got, static_cast<float>(want)) << op << "(" << xs[i] << ")";
    } else {
      EXPECT_NEAR(got, want, atol + rtol * std::abs(want)) << op << "(" << xs[i] << ")";
    }
  }
  // The double path uses the std:: functions directly; float attributes and defaults limit its precision.
  const double dtol = 1e-7;
  std::vector<double> xd(xs.begin(), xs.end());
  Tensor yd = Run1(op, {DoubleTensor({static_cast<int64_t>(xd.size())}, xd)}, attrs, opset);
  for (size_t i = 0; i < xd.size(); ++i) {
    const double want = ref(xd[i]);
    if (std::isfinite(want)) EXPECT_NEAR(yd.data<double>()[i], want, dtol + dtol * std::abs(want)) << op << "(" << xd[i] << ") double";
  }
}

}  // namespace

TEST(MathUnary, TranscendentalsMatchReference) {
  const auto xs = Sweep();
  CheckAgainst("Exp", [](double x) { return std::exp(x); }, 3e-7f, 1e-37f, xs);
  CheckAgainst("Tanh", [](double x) { return std::tanh(x); }, 2e-6f, 1e-7f, xs);
  CheckAgainst("Erf", [](double x) { return std::erf(x); }, 2e-6f, 1e-7f, xs);
  CheckAgainst("Sigmoid", [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, 2e-6f, 1e-30f, xs);
  CheckAgainst("Gelu", [](double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }, 2e-6f, 2e-7f, xs, {}, 20);
  CheckAgainst("Gelu", [](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); },
               2e-6f, 2e-7f, xs, {{"approximate", StringAttr("tanh")}}, 20);
  CheckAgainst("Sin", [](double x) { return std::sin(x); }, 1e-6f, 1e-7f, xs);
  CheckAgainst("Atan", [](double x) { return std::atan(x); }, 1e-6f, 1e-7f, xs);
  std::vector<float> pos;
  for (float x : xs)
    if (x > 0) pos.push_back(x);
  CheckAgainst("Log", [](double x) { return std::log(x); }, 1e-6f, 1e-7f, pos);
  CheckAgainst("Sqrt", [](double x) { return std::sqrt(x); }, 1e-6f, 0, pos);
  CheckAgainst("Reciprocal", [](double x) { return 1 / x; }, 1e-6f, 0, pos);
}

TEST(MathUnary, SpecialValuesOfVectorKernels) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x = {inf, -inf, nan};
  std::vector<float> y(3);
  mlas::ExpF32(x.data(), y.data(), 3);
  EXPECT_EQ(y[0], inf);
  EXPECT_EQ(y[1], 0.f);
  EXPECT_TRUE(std::isnan(y[2]));
  mlas::TanhF32(x.data(), y.data(), 3);
  EXPECT_EQ(y[0], 1.f);
  EXPECT_EQ(y[1], -1.f);
  EXPECT_TRUE(std::isnan(y[2]));
  mlas::ErfF32(x.data(), y.data(), 3);
  EXPECT_EQ(y[0], 1.f);
  EXPECT_EQ(y[1], -1.f);
  EXPECT_TRUE(std::isnan(y[2]));
  mlas::SigmoidF32(x.data(), y.data(), 3);
  EXPECT_EQ(y[0], 1.f);
  EXPECT_EQ(y[1], 0.f);
  EXPECT_TRUE(std::isnan(y[2]));
}

TEST(MathUnary, SimpleOps) {
  Tensor x = FloatTensor({6}, {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f});
  EXPECT_EQ(ToVector<float>(Run1("Abs", {x})), (std::vector<float>{2.5f, 1.5f, 0.5f, 0.5f, 1.5f, 2.5f}));
  EXPECT_EQ(ToVector<float>(Run1("Neg", {x})), (std::vector<float>{2.5f, 1.5f, 0.5f, -0.5f, -1.5f, -2.5f}));
  EXPECT_EQ(ToVector<float>(Run1("Round", {x})), (std::vector<float>{-2, -2, -0.f, 0, 2, 2}));
  EXPECT_EQ(ToVector<float>(Run1("Ceil", {x})), (std::vector<float>{-2, -1, -0.f, 1, 2, 3}));
  EXPECT_EQ(ToVector<float>(Run1("Floor", {x})), (std::vector<float>{-3, -2, -1, 0, 1, 2}));
  EXPECT_EQ(ToVector<float>(Run1("Sign", {FloatTensor({3}, {-3, 0, 2})})), (std::vector<float>{-1, 0, 1}));
  EXPECT_EQ(ToVector<float>(Run1("Relu", {x})), (std::vector<float>{0, 0, 0, 0.5f, 1.5f, 2.5f}));
  EXPECT_EQ(ToVector<int32_t>(Run1("Abs", {Int32Tensor({3}, {-3, 0, INT32_MIN})})), (std::vector<int32_t>{3, 0, INT32_MIN}));
  EXPECT_EQ(ToVector<int32_t>(Run1("Neg", {Int32Tensor({2}, {-3, 4})})), (std::vector<int32_t>{3, -4}));
  EXPECT_EQ(ToVector<int64_t>(Run1("Sign", {Int64Tensor({3}, {-9, 0, 9})})), (std::vector<int64_t>{-1, 0, 1}));
  EXPECT_EQ(ToVector<int32_t>(Run1("Relu", {Int32Tensor({2}, {-3, 4})})), (std::vector<int32_t>{0, 4}));
  EXPECT_EQ(ToBools(Run1("Not", {BoolTensor({2}, {true, false})})), (std::vector<bool>{false, true}));
  EXPECT_THROW(Run1("Sqrt", {Int32Tensor({1}, {4})}), Error);
}

TEST(MathUnary, Predicates) {
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x = FloatTensor({4}, {1, NAN, inf, -inf});
  Tensor n = Run1("IsNaN", {x});
  EXPECT_EQ(n.dtype(), DataType::Bool);
  EXPECT_EQ(ToBools(n), (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(ToBools(Run1("IsInf", {x})), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(ToBools(Run1("IsInf", {x}, {{"detect_negative", IntAttr(0)}})), (std::vector<bool>{false, false, true, false}));
  EXPECT_EQ(ToBools(Run1("IsInf", {x}, {{"detect_positive", IntAttr(0)}})), (std::vector<bool>{false, false, false, true}));
}

TEST(MathUnary, Clip) {
  Tensor x = FloatTensor({5}, {-3, -1, 0, 1, 3});
  // Opset 6: attributes.
  EXPECT_EQ(ToVector<float>(Run1("Clip", {x}, {{"min", FloatAttr(-1)}, {"max", FloatAttr(2)}}, 6)),
            (std::vector<float>{-1, -1, 0, 1, 2}));
  EXPECT_EQ(ToVector<float>(Run1("Clip", {x}, {{"max", FloatAttr(0)}}, 6)), (std::vector<float>{-3, -1, 0, 0, 0}));
  // Opset 13: optional inputs.
  EXPECT_EQ(ToVector<float>(Run1("Clip", {x, FloatTensor({}, {-1}), FloatTensor({}, {2})}, {}, 13)),
            (std::vector<float>{-1, -1, 0, 1, 2}));
  EXPECT_EQ(ToVector<float>(Run1("Clip", {x, Tensor(), FloatTensor({}, {0})}, {}, 13)), (std::vector<float>{-3, -1, 0, 0, 0}));
  EXPECT_EQ(ToVector<float>(Run1("Clip", {x}, {}, 13)), (std::vector<float>{-3, -1, 0, 1, 3}));
  // min > max gives max.
  EXPECT_EQ(ToVector<float>(Run1("Clip", {x, FloatTensor({}, {2}), FloatTensor({}, {1})}, {}, 13)),
            (std::vector<float>{1, 1, 1, 1, 1}));
  EXPECT_EQ(ToVector<int64_t>(Run1("Clip", {Int64Tensor({3}, {-5, 5, 50}), Int64Tensor({}, {0}), Int64Tensor({}, {10})}, {}, 13)),
            (std::vector<int64_t>{0, 5, 10}));
  EXPECT_THROW(Run1("Clip", {x, FloatTensor({2}, {0, 1})}, {}, 13), Error);
}

TEST(MathActivations, MatchFormulas) {
  const std::vector<float> xs = {-5, -2, -1, -0.5f, 0, 0.25f, 0.5f, 1, 2, 5};
  CheckAgainst("LeakyRelu", [](double x) { return x < 0 ? 0.1 * x : x; }, 1e-6f, 1e-7f, xs, {{"alpha", FloatAttr(0.1f)}});
  CheckAgainst("LeakyRelu", [](double x) { return x < 0 ? 0.01 * x : x; }, 1e-6f, 1e-7f, xs);
  CheckAgainst("Elu", [](double x) { return x < 0 ? 2.0 * (std::exp(x) - 1) : x; }, 1e-6f, 1e-7f, xs, {{"alpha", FloatAttr(2)}});
  CheckAgainst("Selu", [](double x) {
    const double a = 1.67326319217681884765625, g = 1.05070102214813232421875;
    return x > 0 ? g * x : g * a * (std::exp(x) - 1);
  }, 1e-6f, 1e-7f, xs);
  CheckAgainst("Celu", [](double x) { return std::max(0.0, x) + std::min(0.0, 2.0 * (std::exp(x / 2.0) - 1)); }, 1e-6f, 1e-7f,
               xs, {{"alpha", FloatAttr(2)}});
  CheckAgainst("ThresholdedRelu", [](double x) { return x > 1 ? x : 0; }, 0, 0, xs);
  CheckAgainst("HardSigmoid", [](double x) { return std::clamp(0.2 * x + 0.5, 0.0, 1.0); }, 1e-6f, 1e-7f, xs);
  CheckAgainst("HardSwish", [](double x) { return x * std::clamp(x / 6 + 0.5, 0.0, 1.0); }, 1e-6f, 1e-7f, xs);
  CheckAgainst("Softplus", [](double x) { return std::log(1 + std::exp(x)); }, 1e-6f, 1e-7f, xs);
  CheckAgainst("Softplus", [](double x) { return std::log1p(std::exp(-std::abs(x))) + std::max(x, 0.0); }, 1e-6f, 1e-7f,
               {-100, 100, 50});
  CheckAgainst("Softsign", [](double x) { return x / (1 + std::abs(x)); }, 1e-6f, 1e-7f, xs);
  CheckAgainst("Mish", [](double x) { return x * std::tanh(std::log1p(std::exp(x))); }, 1e-6f, 1e-7f, xs);
}

TEST(MathUnary, LargeTensorOverPoolAndFloat16) {
  ThreadPool pool(4);
  Tensor x = RandomFloats({300001}, 9, -10, 10);
  Tensor y = Run1("Erf", {x}, {}, 17, &pool);
  for (int64_t i = 0; i < x.size(); i += 997) EXPECT_NEAR(y.data<float>()[i], std::erf(x.data<float>()[i]), 3e-7f);
  Tensor h(DataType::Float16, {3});
  for (int i = 0; i < 3; ++i) h.data<uint16_t>()[i] = FloatToHalf(static_cast<float>(i));
  Tensor e = Run1("Exp", {h});
  EXPECT_EQ(e.dtype(), DataType::Float16);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(HalfToFloat(e.data<uint16_t>()[i]), std::exp(i), 1e-2);
}

TEST(MathUnary, VectorPathsAndTails) {
  // Lengths that are not a multiple of the vector width, with negatives for Sqrt.
  for (int64_t n : {1, 3, 4, 5, 17}) {
    std::vector<float> xs;
    for (int64_t i = 0; i < n; ++i) xs.push_back(static_cast<float>(i % 2 ? -(i + 1) : i + 1) * 0.75f);
    std::vector<float> y = ToVector<float>(Run1("Sqrt", {FloatTensor({n}, xs)}));
    for (int64_t i = 0; i < n; ++i) {
      if (xs[i] < 0) EXPECT_TRUE(std::isnan(y[i])) << i;
      else EXPECT_EQ(y[i], std::sqrt(xs[i])) << i;
    }
    std::vector<float> l = ToVector<float>(Run1("LeakyRelu", {FloatTensor({n}, xs)}, {{"alpha", FloatAttr(0.5f)}}));
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(l[i], xs[i] < 0 ? 0.5f * xs[i] : xs[i]);
  }
  // Gelu's far negative tail goes through erfc.
  std::vector<float> g = ToVector<float>(Run1("Gelu", {FloatTensor({3}, {-6.f, -10.f, -2.6f})}, {}, 20));
  EXPECT_NEAR(g[0], 0.5 * -6.0 * std::erfc(6.0 / std::sqrt(2.0)), 1e-12);
  EXPECT_NEAR(g[1], 0.f, 1e-20);
  EXPECT_NEAR(g[2], 0.5 * -2.6 * std::erfc(2.6 / std::sqrt(2.0)), 1e-8);
}
