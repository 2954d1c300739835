// BatchNormalization, InstanceNormalization, LayerNormalization, GroupNormalization, LRN,
// MeanVarianceNormalization and Dropout against direct formulas.
#include <cmath>
#include <random>

#include "core/float16.h"
#include "kernel_test_util.h"
#include "mlas/nn_cpu.h"

namespace onyx::testing {
namespace {

Tensor Random(std::vector<int64_t> shape, uint32_t seed, float lo = -2.f, float hi = 2.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  Tensor t(DataType::Float, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

float F(const Tensor& t, int64_t i) { return t.data<float>()[i]; }

TEST(NnBatchNormalization, InferenceMatchesFormula) {
  Tensor X = Random({2, 3, 4, 5}, 1), scale = Random({3}, 2), B = Random({3}, 3), mean = Random({3}, 4),
         var = Random({3}, 5, 0.1f, 2.f);
  for (int64_t opset : {7, 9, 15}) {
    ThreadPool pool(2);
    auto y = RunOp("BatchNormalization", {X, scale, B, mean, var}, 1, {{"epsilon", FloatAttr(1e-3f)}}, opset, &pool)[0].tensor();
    ASSERT_EQ(y.shape(), X.shape());
    for (int64_t i = 0; i < X.size(); ++i) {
      const int64_t c = (i / 20) % 3;
      const float want = (F(X, i) - F(mean, c)) / std::sqrt(F(var, c) + 1e-3f) * F(scale, c) + F(B, c);
      ASSERT_NEAR(F(y, i), want, 1e-5) << "opset " << opset << " at " << i;
    }
  }
  // Rank 2 (N, C).
  Tensor X2 = Random({4, 3}, 6);
  auto y2 = RunOp("BatchNormalization", {X2, scale, B, mean, var}, 1, {}, 15)[0].tensor();
  for (int64_t i = 0; i < 12; ++i) {
    const int64_t c = i % 3;
    EXPECT_NEAR(F(y2, i), (F(X2, i) - F(mean, c)) / std::sqrt(F(var, c) + 1e-5f) * F(scale, c) + F(B, c), 1e-5);
  }
}

TEST(NnBatchNormalization, SpatialZeroHasPerElementParameters) {
  Tensor X = Random({2, 2, 3}, 7), scale = Random({2, 3}, 8), B = Random({2, 3}, 9), mean = Random({2, 3}, 10),
         var = Random({2, 3}, 11, 0.5f, 1.f);
  auto y = RunOp("BatchNormalization", {X, scale, B, mean, var}, 1, {{"spatial", IntAttr(0)}}, 7)[0].tensor();
  for (int64_t i = 0; i < 12; ++i) {
    const int64_t p = i % 6;
    EXPECT_NEAR(F(y, i), (F(X, i) - F(mean, p)) / std::sqrt(F(var, p) + 1e-5f) * F(scale, p) + F(B, p), 1e-5);
  }
}

TEST(NnBatchNormalization, TrainingModeUsesBatchStatistics) {
  Tensor X = Random({3, 2, 4}, 12), scale = Random({2}, 13), B = Random({2}, 14), mean = Random({2}, 15),
         var = Random({2}, 16, 0.5f, 1.f);
  auto out = RunOp("BatchNormalization", {X, scale, B, mean, var}, 3,
                   {{"training_mode", IntAttr(1)}, {"momentum", FloatAttr(0.8f)}}, 15);
  for (int64_t c = 0; c < 2; ++c) {
    double s = 0, ss = 0;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t i = 0; i < 4; ++i) s += F(X, (n * 2 + c) * 4 + i);
    const double m = s / 12;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t i = 0; i < 4; ++i) ss += std::pow(F(X, (n * 2 + c) * 4 + i) - m, 2);
    const double v = ss / 12;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t i = 0; i < 4; ++i) {
        const int64_t k = (n * 2 + c) * 4 + i;
        EXPECT_NEAR(F(out[0].tensor(), k), (F(X, k) - m) / std::sqrt(v + 1e-5) * F(scale, c) + F(B, c), 1e-4);
      }
    EXPECT_NEAR(F(out[1].tensor(), c), F(mean, c) * 0.8 + m * 0.2, 1e-5);
    EXPECT_NEAR(F(out[2].tensor(), c), F(var, c) * 0.8 + v * 0.2, 1e-5);
  }
  EXPECT_THROW(RunOp("BatchNormalization", {X, Random({3}, 1), B, mean, var}, 1, {}, 15), Error);
}

TEST(NnInstanceNormalization, MatchesFormula) {
  Tensor X = Random({2, 3, 7, 5}, 20), scale = Random({3}, 21), B = Random({3}, 22);
  auto y = RunOp("InstanceNormalization", {X, scale, B}, 1, {{"epsilon", FloatAttr(1e-4f)}})[0].tensor();
  for (int64_t p = 0; p < 6; ++p) {
    double s = 0, ss = 0;
    for (int64_t i = 0; i < 35; ++i) s += F(X, p * 35 + i);
    const double m = s / 35;
    for (int64_t i = 0; i < 35; ++i) ss += std::pow(F(X, p * 35 + i) - m, 2);
    for (int64_t i = 0; i < 35; ++i)
      ASSERT_NEAR(F(y, p * 35 + i), (F(X, p * 35 + i) - m) / std::sqrt(ss / 35 + 1e-4) * F(scale, p % 3) + F(B, p % 3), 1e-4);
  }
}

// Reference layer norm over the trailing dims from `axis`, scale/bias already expanded.
void CheckLayerNorm(const Tensor& X, int64_t axis, const std::vector<double>& scale, const std::vector<double>& bias,
                    const std::vector<Value>& out, double eps, double tol) {
  int64_t n = 1;
  for (size_t d = static_cast<size_t>(axis); d < X.rank(); ++d) n *= X.dim(d);
  const int64_t rows = X.size() / n;
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0, ss = 0;
    for (int64_t i = 0; i < n; ++i) s += F(X, r * n + i);
    const double m = s / n;
    for (int64_t i = 0; i < n; ++i) ss += std::pow(F(X, r * n + i) - m, 2);
    const double inv = 1 / std::sqrt(ss / n + eps);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_NEAR(F(out[0].tensor(), r * n + i), (F(X, r * n + i) - m) * inv * scale[i] + bias[i], tol) << r << "," << i;
    if (out.size() > 1) {
      EXPECT_NEAR(F(out[1].tensor(), r), m, 1e-5);
      EXPECT_NEAR(F(out[2].tensor(), r), inv, 1e-3 * inv);
    }
  }
}

TEST(NnLayerNormalization, AxesAndOptionalOutputs) {
  Tensor X = Random({2, 3, 4, 37}, 30, -3.f, 5.f);
  ThreadPool pool(2);
  for (int isa = 0; isa < 2; ++isa) {
    mlas::NnForceBaselineIsa(isa == 1);
    for (int64_t axis : {-1, 2, 1, 0}) {
      std::vector<int64_t> norm(X.shape().begin() + (axis < 0 ? axis + 4 : axis), X.shape().end());
      Tensor S = Random(norm, 31), B = Random(norm, 32);
      auto out = RunOp("LayerNormalization", {X, S, B}, 3, {{"axis", IntAttr(axis)}}, 17, &pool);
      std::vector<int64_t> stat_shape = X.shape();
      for (size_t d = static_cast<size_t>(axis < 0 ? axis + 4 : axis); d < 4; ++d) stat_shape[d] = 1;
      EXPECT_EQ(out[1].tensor().shape(), stat_shape);
      EXPECT_EQ(out[1].tensor().dtype(), DataType::Float);
      std::vector<double> s(S.data<float>(), S.data<float>() + S.size()), b(B.data<float>(), B.data<float>() + B.size());
      CheckLayerNorm(X, axis < 0 ? axis + 4 : axis, s, b, out, 1e-5, 1e-4);
    }
  }
  mlas::NnForceBaselineIsa(false);
}

TEST(NnLayerNormalization, BroadcastScaleNoBiasAndTypes) {
  Tensor X = Random({3, 4, 6}, 33);
  Tensor S = Random({4, 1}, 34);  // broadcast over the last dim of the [4, 6] normalized shape
  auto out = RunOp("LayerNormalization", {X, S}, 1, {{"axis", IntAttr(1)}, {"epsilon", FloatAttr(1e-3f)}}, 17);
  std::vector<double> s(24), b(24, 0.0);
  for (int i = 0; i < 24; ++i) s[i] = F(S, i / 6);
  CheckLayerNorm(X, 1, s, b, out, 1e-3, 1e-4);

  Tensor Xd(DataType::Double, {2, 3});
  for (int i = 0; i < 6; ++i) Xd.data<double>()[i] = i * i;
  Tensor Sd(DataType::Double, {3});
  for (int i = 0; i < 3; ++i) Sd.data<double>()[i] = 1;
  auto yd = RunOp("LayerNormalization", {Xd, Sd}, 1)[0].tensor();
  const double m = 5.0 / 3, v = ((0 - m) * (0 - m) + (1 - m) * (1 - m) + (4 - m) * (4 - m)) / 3;
  EXPECT_NEAR(yd.data<double>()[2], (4 - m) / std::sqrt(v + 1e-5), 1e-6);

  Tensor Xh(DataType::Float16, {1, 4}), Sh(DataType::Float16, {4});
  for (int i = 0; i < 4; ++i) {
    Xh.data<uint16_t>()[i] = FloatToHalf(static_cast<float>(i));
    Sh.data<uint16_t>()[i] = FloatToHalf(2.0f);
  }
  auto yh = RunOp("LayerNormalization", {Xh, Sh}, 1)[0].tensor();
  ASSERT_EQ(yh.dtype(), DataType::Float16);
  EXPECT_NEAR(HalfToFloat(yh.data<uint16_t>()[3]), 2 * 1.5 / std::sqrt(1.25), 1e-2);

  EXPECT_THROW(RunOp("LayerNormalization", {X, Random({5}, 1)}, 1), Error);
  EXPECT_THROW(RunOp("LayerNormalization", {X, S}, 1, {{"axis", IntAttr(3)}}), Error);
}

TEST(NnGroupNormalization, PerGroupAndPerChannelScale) {
  Tensor X = Random({2, 6, 3, 3}, 40);
  for (int64_t opset : {18, 21}) {
    const int64_t ns = opset == 18 ? 3 : 6;
    Tensor S = Random({ns}, 41), B = Random({ns}, 42);
    auto y = RunOp("GroupNormalization", {X, S, B}, 1, {{"num_groups", IntAttr(3)}}, opset)[0].tensor();
    for (int64_t g = 0; g < 6; ++g) {  // (n, group) blocks of 2 channels x 9
      double s = 0, ss = 0;
      for (int64_t i = 0; i < 18; ++i) s += F(X, g * 18 + i);
      const double m = s / 18;
      for (int64_t i = 0; i < 18; ++i) ss += std::pow(F(X, g * 18 + i) - m, 2);
      for (int64_t i = 0; i < 18; ++i) {
        const int64_t c = (g % 3) * 2 + i / 9, p = opset == 18 ? g % 3 : c;
        ASSERT_NEAR(F(y, g * 18 + i), (F(X, g * 18 + i) - m) / std::sqrt(ss / 18 + 1e-5) * F(S, p) + F(B, p), 1e-4);
      }
    }
  }
  EXPECT_THROW(RunOp("GroupNormalization", {X, Random({4}, 1), Random({4}, 2)}, 1, {{"num_groups", IntAttr(4)}}, 21), Error);
}

TEST(NnLrn, MatchesFormula) {
  Tensor X = Random({2, 5, 2, 3}, 50);
  for (int64_t size : {3, 4}) {
    auto y = RunOp("LRN", {X}, 1, {{"size", IntAttr(size)}, {"alpha", FloatAttr(0.01f)}, {"beta", FloatAttr(0.6f)}, {"bias", FloatAttr(2.f)}})[0].tensor();
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t c = 0; c < 5; ++c)
        for (int64_t i = 0; i < 6; ++i) {
          double sq = 0;
          for (int64_t cc = c - (size - 1) / 2; cc <= c + size / 2; ++cc)
            if (cc >= 0 && cc < 5) sq += std::pow(F(X, (n * 5 + cc) * 6 + i), 2);
          const int64_t k = (n * 5 + c) * 6 + i;
          ASSERT_NEAR(F(y, k), F(X, k) / std::pow(2.0 + 0.01 / size * sq, 0.6), 1e-5);
        }
  }
}

TEST(NnMeanVarianceNormalization, DefaultAndCustomAxes) {
  Tensor X = Random({2, 3, 2, 2}, 60);
  auto y = RunOp("MeanVarianceNormalization", {X}, 1, {}, 13)[0].tensor();
  for (int64_t c = 0; c < 3; ++c) {  // default axes [0, 2, 3]: statistics per channel
    double s = 0, ss = 0;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t i = 0; i < 4; ++i) s += F(X, (n * 3 + c) * 4 + i);
    const double m = s / 8;
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t i = 0; i < 4; ++i) ss += std::pow(F(X, (n * 3 + c) * 4 + i) - m, 2);
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t i = 0; i < 4; ++i) {
        const int64_t k = (n * 3 + c) * 4 + i;
        EXPECT_NEAR(F(y, k), (F(X, k) - m) / (std::sqrt(ss / 8) + 1e-9), 1e-4);
      }
  }
  auto y2 = RunOp("MeanVarianceNormalization", {X}, 1, {{"axes", IntsAttr({-1})}}, 13)[0].tensor();
  for (int64_t r = 0; r < 12; ++r) {
    const double a = F(X, r * 2), b = F(X, r * 2 + 1), m = (a + b) / 2, sd = std::fabs(a - b) / 2;
    EXPECT_NEAR(F(y2, r * 2), (a - m) / (sd + 1e-9), 1e-3);
  }
}

TEST(NnDropout, InferenceIsIdentityWithTrueMask) {
  Tensor X = Random({3, 4}, 70);
  for (int64_t opset : {7, 10, 13}) {
    auto out = RunOp("Dropout", {X}, 2, {{"ratio", FloatAttr(0.3f)}}, opset);
    EXPECT_EQ(ToVector<float>(out[0].tensor()), ToVector<float>(X));
    const Tensor& mask = out[1].tensor();
    if (opset < 10) {
      EXPECT_EQ(mask.dtype(), DataType::Float);
      EXPECT_EQ(ToVector<float>(mask), std::vector<float>(12, 1.f));
    } else {
      EXPECT_EQ(mask.dtype(), DataType::Bool);
      for (int i = 0; i < 12; ++i) EXPECT_TRUE(mask.data<bool>()[i]);
    }
  }
  // Opset 12+: ratio and training_mode inputs; training_mode false is still the identity.
  Tensor ratio = FloatTensor({}, {0.5f});
  Tensor off = MakeTensor<bool>(DataType::Bool, {}, {false});
  auto out = RunOp("Dropout", {X, ratio, off}, 1, {}, 13);
  EXPECT_EQ(ToVector<float>(out[0].tensor()), ToVector<float>(X));
  Tensor i64 = Int64Tensor({2}, {5, -6});
  EXPECT_EQ(ToVector<int64_t>(RunOp("Dropout", {i64}, 1, {}, 13)[0].tensor()), (std::vector<int64_t>{5, -6}));
}

TEST(NnDropout, TrainingModeDropsAndScales) {
  Tensor X(DataType::Float, {1000});
  for (int i = 0; i < 1000; ++i) X.data<float>()[i] = 1.f;
  Tensor ratio = FloatTensor({}, {0.25f});
  Tensor on = MakeTensor<bool>(DataType::Bool, {}, {true});
  auto out = RunOp("Dropout", {X, ratio, on}, 2, {{"seed", IntAttr(3)}}, 13);
  int kept = 0;
  for (int i = 0; i < 1000; ++i) {
    const float v = out[0].tensor().data<float>()[i];
    const bool m = out[1].tensor().data<bool>()[i];
    EXPECT_FLOAT_EQ(v, m ? 1.f / 0.75f : 0.f);
    kept += m;
  }
  EXPECT_GT(kept, 650);
  EXPECT_LT(kept, 850);
  auto again = RunOp("Dropout", {X, ratio, on}, 2, {{"seed", IntAttr(3)}}, 13);
  EXPECT_EQ(ToVector<float>(again[0].tensor()), ToVector<float>(out[0].tensor()));  // seeded: repeatable
  EXPECT_THROW(RunOp("Dropout", {X, FloatTensor({}, {1.0f}), on}, 1, {}, 13), Error);
}

}  // namespace
}  // namespace onyx::testing
