// The random ops: shapes and types, seed determinism, and the distributions (means and variances
// within a few standard errors). Exact values cannot match ONNX's numpy-based backend tests.
#include <cmath>

#include "core/float16.h"
#include "kernel_test_util.h"

using namespace onyx;
using namespace onyx::testing;

namespace {

using Attrs = std::map<std::string, Attribute>;

Tensor Run1(const std::string& op, const std::vector<Tensor>& inputs, Attrs attrs, int64_t opset = 17) {
  return RunOp(op, inputs, 1, std::move(attrs), opset)[0].tensor();
}

std::vector<double> AsDoubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.size()));
  for (int64_t i = 0; i < t.size(); ++i) {
    switch (t.dtype()) {
      case DataType::Float: v[i] = t.data<float>()[i]; break;
      case DataType::Double: v[i] = t.data<double>()[i]; break;
      case DataType::Float16: v[i] = HalfToFloat(t.data<uint16_t>()[i]); break;
      case DataType::BFloat16: v[i] = BFloat16ToFloat(t.data<uint16_t>()[i]); break;
      case DataType::Int32: v[i] = t.data<int32_t>()[i]; break;
      case DataType::Int64: v[i] = static_cast<double>(t.data<int64_t>()[i]); break;
      case DataType::Bool: v[i] = t.data<bool>()[i]; break;
      case DataType::UInt8: v[i] = t.data<uint8_t>()[i]; break;
      default: ADD_FAILURE() << "unexpected dtype"; break;
    }
  }
  return v;
}

void MeanVar(const std::vector<double>& v, double& mean, double& var) {
  mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  var = 0;
  for (double x : v) var += (x - mean) * (x - mean);
  var /= static_cast<double>(v.size() - 1);
}

// Checks the sample mean and variance against the expected ones within ~5 standard errors.
// kurtosis_excess: of the distribution (uniform -1.2, normal 0) for the variance's standard error.
void ExpectMoments(const std::vector<double>& v, double mean, double var, double kurtosis_excess) {
  double m, s2;
  MeanVar(v, m, s2);
  const double n = static_cast<double>(v.size());
  EXPECT_NEAR(m, mean, 5 * std::sqrt(var / n));
  EXPECT_NEAR(s2, var, 5 * var * std::sqrt((2.0 + kurtosis_excess) / n));
}

constexpr int64_t kN = 100000;

}  // namespace

TEST(RandomOps, UniformShapeDtypeAndRange) {
  Tensor y = Run1("RandomUniform", {}, {{"shape", IntsAttr({2, 3, 4})}});
  EXPECT_EQ(y.dtype(), DataType::Float);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 3, 4}));
  for (DataType dt : {DataType::Double, DataType::Float16, DataType::BFloat16}) {
    Tensor t = Run1("RandomUniform", {}, {{"shape", IntsAttr({5, 7})}, {"dtype", IntAttr(static_cast<int64_t>(dt))}});
    EXPECT_EQ(t.dtype(), dt);
    EXPECT_EQ(t.shape(), (std::vector<int64_t>{5, 7}));
    for (double v : AsDoubles(t)) {
      EXPECT_GE(v, 0.0);
      EXPECT_LE(v, 1.0);
    }
  }
  Tensor e = Run1("RandomUniform", {}, {{"shape", IntsAttr({0, 3})}});
  EXPECT_EQ(e.size(), 0);
  Tensor s = Run1("RandomNormal", {}, {{"shape", IntsAttr({})}});
  EXPECT_EQ(s.rank(), 0u);
  EXPECT_EQ(s.size(), 1);
}

TEST(RandomOps, UniformDistribution) {
  const double low = -2, high = 3;
  Tensor y = Run1("RandomUniform", {}, {{"shape", IntsAttr({kN})}, {"low", FloatAttr(-2)}, {"high", FloatAttr(3)}, {"seed", FloatAttr(3)}});
  std::vector<double> v = AsDoubles(y);
  for (double x : v) {
    ASSERT_GE(x, low);
    ASSERT_LT(x, high);
  }
  ExpectMoments(v, (low + high) / 2, (high - low) * (high - low) / 12, -1.2);
  // Double as well, unseeded.
  Tensor d = Run1("RandomUniform", {}, {{"shape", IntsAttr({kN})}, {"dtype", IntAttr(11)}});
  ExpectMoments(AsDoubles(d), 0.5, 1.0 / 12, -1.2);
}

TEST(RandomOps, NormalDistribution) {
  Tensor y = Run1("RandomNormal", {}, {{"shape", IntsAttr({kN})}, {"mean", FloatAttr(1.5f)}, {"scale", FloatAttr(2)}, {"seed", FloatAttr(7)}});
  EXPECT_EQ(y.dtype(), DataType::Float);
  ExpectMoments(AsDoubles(y), 1.5, 4.0, 0.0);
  Tensor d = Run1("RandomNormal", {}, {{"shape", IntsAttr({kN})}, {"dtype", IntAttr(11)}});
  EXPECT_EQ(d.dtype(), DataType::Double);
  ExpectMoments(AsDoubles(d), 0.0, 1.0, 0.0);
  Tensor h = Run1("RandomNormal", {}, {{"shape", IntsAttr({kN})}, {"dtype", IntAttr(10)}, {"seed", FloatAttr(1)}});
  EXPECT_EQ(h.dtype(), DataType::Float16);
  ExpectMoments(AsDoubles(h), 0.0, 1.0, 0.0);
}

TEST(RandomOps, SeedDeterminism) {
  for (const char* op : {"RandomUniform", "RandomNormal"}) {
    auto run = [&](float seed) {
      return ToVector<float>(Run1(op, {}, {{"shape", IntsAttr({64})}, {"seed", FloatAttr(seed)}}));
    };
    EXPECT_EQ(run(42), run(42)) << op;  // two fresh kernels with the same seed agree
    EXPECT_NE(run(42), run(43)) << op;
    EXPECT_NE(run(1.0f), run(1.5f)) << op;  // the fractional part counts too
    // Without a seed, two kernels draw different values.
    EXPECT_NE(ToVector<float>(Run1(op, {}, {{"shape", IntsAttr({64})}})),
              ToVector<float>(Run1(op, {}, {{"shape", IntsAttr({64})}})))
        << op;
  }
  Tensor p = FloatTensor({64}, std::vector<float>(64, 0.5f));
  auto bern = [&](float seed) { return ToVector<float>(Run1("Bernoulli", {p}, {{"seed", FloatAttr(seed)}}, 15)); };
  EXPECT_EQ(bern(5), bern(5));
  EXPECT_NE(bern(5), bern(6));
  Tensor logits = FloatTensor({1, 4}, {0, 0, 0, 0});
  auto multi = [&](float seed) {
    return ToVector<int32_t>(Run1("Multinomial", {logits}, {{"seed", FloatAttr(seed)}, {"sample_size", IntAttr(64)}}, 7));
  };
  EXPECT_EQ(multi(5), multi(5));
  EXPECT_NE(multi(5), multi(6));
  Tensor x = FloatTensor({8, 8}, std::vector<float>(64, 0.f));
  auto like = [&](float seed) { return ToVector<float>(Run1("RandomNormalLike", {x}, {{"seed", FloatAttr(seed)}})); };
  EXPECT_EQ(like(9), like(9));
  EXPECT_NE(like(9), like(10));
}

TEST(RandomOps, LikeTakesInputShapeAndType) {
  Tensor x = FloatTensor({3, 4}, std::vector<float>(12, 0.f));
  for (const char* op : {"RandomUniformLike", "RandomNormalLike"}) {
    Tensor y = Run1(op, {x}, {});
    EXPECT_EQ(y.dtype(), DataType::Float) << op;
    EXPECT_EQ(y.shape(), x.shape()) << op;
    Tensor xd(DataType::Double, {2, 5, 1});
    Tensor yd = Run1(op, {xd}, {});
    EXPECT_EQ(yd.dtype(), DataType::Double) << op;
    EXPECT_EQ(yd.shape(), xd.shape()) << op;
    // dtype overrides the input's type; an integer input then only gives its shape.
    Tensor xi = Int64Tensor({2, 2}, {1, 2, 3, 4});
    Tensor yh = Run1(op, {xi}, {{"dtype", IntAttr(10)}});
    EXPECT_EQ(yh.dtype(), DataType::Float16) << op;
    EXPECT_EQ(yh.shape(), xi.shape()) << op;
    // Without dtype, a non-floating input type is an error.
    EXPECT_THROW(Run1(op, {xi}, {}), Error) << op;
  }
  Tensor big(DataType::Float, {kN});
  ExpectMoments(AsDoubles(Run1("RandomUniformLike", {big}, {{"low", FloatAttr(1)}, {"high", FloatAttr(2)}})), 1.5, 1.0 / 12, -1.2);
  ExpectMoments(AsDoubles(Run1("RandomNormalLike", {big}, {{"mean", FloatAttr(-1)}, {"scale", FloatAttr(0.5f)}})), -1.0, 0.25, 0.0);
}

TEST(RandomOps, BernoulliFrequencies) {
  for (float p : {0.f, 0.3f, 1.f}) {
    Tensor x = FloatTensor({kN}, std::vector<float>(kN, p));
    Tensor y = Run1("Bernoulli", {x}, {}, 15);
    EXPECT_EQ(y.dtype(), DataType::Float);
    EXPECT_EQ(y.shape(), x.shape());
    std::vector<double> v = AsDoubles(y);
    double ones = 0;
    for (double b : v) {
      ASSERT_TRUE(b == 0.0 || b == 1.0);
      ones += b;
    }
    const double freq = ones / kN;
    if (p == 0.f || p == 1.f) EXPECT_EQ(freq, p);  // exact
    else EXPECT_NEAR(freq, p, 5 * std::sqrt(p * (1 - p) / kN));
  }
}

TEST(RandomOps, BernoulliTypes) {
  Tensor x = FloatTensor({2, 3}, {0, 1, 0, 1, 1, 0});
  for (DataType dt : {DataType::Bool, DataType::Int32, DataType::Int64, DataType::UInt8, DataType::Double, DataType::Float16}) {
    Tensor y = Run1("Bernoulli", {x}, {{"dtype", IntAttr(static_cast<int64_t>(dt))}}, 15);
    EXPECT_EQ(y.dtype(), dt);
    EXPECT_EQ(y.shape(), x.shape());
    EXPECT_EQ(AsDoubles(y), (std::vector<double>{0, 1, 0, 1, 1, 0}));
  }
  Tensor xd(DataType::Double, {4});
  for (int i = 0; i < 4; ++i) xd.data<double>()[i] = i % 2;
  Tensor yd = Run1("Bernoulli", {xd}, {}, 15);
  EXPECT_EQ(yd.dtype(), DataType::Double);
  EXPECT_EQ(AsDoubles(yd), (std::vector<double>{0, 1, 0, 1}));
}

TEST(RandomOps, MultinomialFrequencies) {
  // Two rows of log-probabilities, unnormalised; -inf is a class that is never drawn.
  const std::vector<float> row0 = {0.f, std::log(2.f), std::log(7.f), 1.f};
  const std::vector<float> row1 = {5.f, -INFINITY, 5.f, 4.f};
  std::vector<float> all = row0;
  all.insert(all.end(), row1.begin(), row1.end());
  Tensor x = FloatTensor({2, 4}, all);
  Tensor y = Run1("Multinomial", {x}, {{"sample_size", IntAttr(kN)}, {"seed", FloatAttr(11)}}, 7);
  EXPECT_EQ(y.dtype(), DataType::Int32);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, kN}));
  for (int b = 0; b < 2; ++b) {
    const std::vector<float>& row = b == 0 ? row0 : row1;
    double mx = -INFINITY, sum = 0;
    for (float l : row) mx = std::max<double>(mx, l);
    for (float l : row) sum += std::exp(l - mx);
    std::vector<double> counts(4, 0);
    for (int64_t s = 0; s < kN; ++s) {
      const int32_t k = y.data<int32_t>()[b * kN + s];
      ASSERT_GE(k, 0);
      ASSERT_LT(k, 4);
      counts[k] += 1;
    }
    for (int c = 0; c < 4; ++c) {
      const double p = std::exp(row[c] - mx) / sum;
      if (p == 0) EXPECT_EQ(counts[c], 0) << "row " << b << " class " << c;
      else EXPECT_NEAR(counts[c] / kN, p, 5 * std::sqrt(p * (1 - p) / kN)) << "row " << b << " class " << c;
    }
  }
}

TEST(RandomOps, MultinomialTypesAndDefaults) {
  Tensor x = FloatTensor({3, 2}, {0, -INFINITY, -INFINITY, 0, 1, 1});
  Tensor y = Run1("Multinomial", {x}, {}, 7);
  EXPECT_EQ(y.dtype(), DataType::Int32);
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{3, 1}));  // sample_size defaults to 1
  EXPECT_EQ(y.data<int32_t>()[0], 0);
  EXPECT_EQ(y.data<int32_t>()[1], 1);
  Tensor y64 = Run1("Multinomial", {x}, {{"dtype", IntAttr(7)}, {"sample_size", IntAttr(5)}}, 7);
  EXPECT_EQ(y64.dtype(), DataType::Int64);
  EXPECT_EQ(y64.shape(), (std::vector<int64_t>{3, 5}));
  for (int s = 0; s < 5; ++s) {
    EXPECT_EQ(y64.data<int64_t>()[s], 0);
    EXPECT_EQ(y64.data<int64_t>()[5 + s], 1);
  }
  Tensor xd(DataType::Double, {1, 3});
  for (int i = 0; i < 3; ++i) xd.data<double>()[i] = i == 2 ? 0.0 : -INFINITY;
  Tensor yd = Run1("Multinomial", {xd}, {{"sample_size", IntAttr(4)}}, 7);
  EXPECT_EQ(ToVector<int32_t>(yd), (std::vector<int32_t>{2, 2, 2, 2}));
  EXPECT_THROW(Run1("Multinomial", {FloatTensor({4}, {0, 0, 0, 0})}, {}, 7), Error);
  EXPECT_THROW(Run1("Multinomial", {x}, {{"dtype", IntAttr(1)}}, 7), Error);
}
