// MaxPool, AveragePool, LpPool and the Global pools against a direct reference over padding,
// ceil_mode, dilations, count_include_pad and Indices, for the microkernel and generic paths.
#include <cmath>
#include <limits>
#include <random>

#include "core/float16.h"
#include "kernel_test_util.h"
#include "mlas/nn_cpu.h"

namespace onyx::testing {
namespace {

Tensor Random(std::vector<int64_t> shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-4.f, 4.f);
  Tensor t(DataType::Float, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

struct PoolCase {
  std::vector<int64_t> x_shape;
  std::vector<int64_t> kernel, strides, dilations, pads;
  bool ceil_mode = false, count_include_pad = false;
};

enum class Kind { Max, Avg, Lp };

struct RefResult {
  std::vector<int64_t> shape;
  std::vector<double> values;
  std::vector<int64_t> indices;  // row-major flat index into X
};

// Direct pooling; output sizes with the ceil_mode rule that a window must start inside the
// input or the left padding.
RefResult ReferencePool(const PoolCase& c, const Tensor& X, Kind kind, double p = 2) {
  const size_t r = c.kernel.size();
  std::vector<int64_t> in(c.x_shape.begin() + 2, c.x_shape.end()), out(r);
  for (size_t d = 0; d < r; ++d) {
    const int64_t span = in[d] + c.pads[d] + c.pads[d + r] - (c.kernel[d] - 1) * c.dilations[d] - 1;
    out[d] = (c.ceil_mode ? (span + c.strides[d] - 1) / c.strides[d] : span / c.strides[d]) + 1;
    if (c.ceil_mode && (out[d] - 1) * c.strides[d] >= in[d] + c.pads[d]) --out[d];
  }
  RefResult res;
  res.shape = {c.x_shape[0], c.x_shape[1]};
  res.shape.insert(res.shape.end(), out.begin(), out.end());
  const int64_t planes = c.x_shape[0] * c.x_shape[1], in_size = ShapeSize(in), out_size = ShapeSize(out);
  const int64_t ksize = ShapeSize(c.kernel);
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t o = 0; o < out_size; ++o) {
      double best = -std::numeric_limits<double>::infinity(), sum = 0;
      int64_t arg = -1, count = 0, padded = 0;
      for (int64_t k = 0; k < ksize; ++k) {
        int64_t oo = o, kk = k, off = 0, stride = 1;
        bool valid = true, in_pad = true;
        for (size_t d = r; d-- > 0;) {
          const int64_t od = oo % out[d], kd = kk % c.kernel[d];
          oo /= out[d];
          kk /= c.kernel[d];
          const int64_t id = od * c.strides[d] - c.pads[d] + kd * c.dilations[d];
          if (id < 0 || id >= in[d]) valid = false;
          if (id >= in[d] + c.pads[d + r]) in_pad = false;
          off += id * stride;
          stride *= in[d];
        }
        if (in_pad) ++padded;
        if (!valid) continue;
        const double v = X.data<float>()[pl * in_size + off];
        ++count;
        if (v > best) {
          best = v;
          arg = pl * in_size + off;
        }
        sum += kind == Kind::Lp ? std::pow(std::fabs(v), p) : v;
      }
      if (kind == Kind::Max) res.values.push_back(best);
      else if (kind == Kind::Avg) res.values.push_back(sum / (c.count_include_pad ? padded : count));
      else res.values.push_back(std::pow(sum, 1.0 / p));
      res.indices.push_back(arg);
    }
  return res;
}

std::map<std::string, Attribute> PoolAttrs(const PoolCase& c) {
  return {{"kernel_shape", IntsAttr(c.kernel)},
          {"strides", IntsAttr(c.strides)},
          {"dilations", IntsAttr(c.dilations)},
          {"pads", IntsAttr(c.pads)},
          {"ceil_mode", IntAttr(c.ceil_mode)},
          {"count_include_pad", IntAttr(c.count_include_pad)}};
}

const std::vector<PoolCase>& PoolCases() {
  static const std::vector<PoolCase> cases = {
      {{2, 3, 9, 10}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}},
      {{1, 2, 9, 10}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, true, true},
      {{1, 2, 9, 10}, {3, 3}, {2, 2}, {1, 1}, {1, 0, 1, 0}, true, false},
      {{1, 2, 8, 8}, {2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}},
      {{1, 2, 11, 12}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, false, true},
      {{1, 2, 11, 12}, {3, 2}, {2, 3}, {2, 2}, {2, 1, 1, 2}, true, true},
      {{1, 2, 7, 7}, {7, 7}, {1, 1}, {1, 1}, {0, 0, 0, 0}},
      {{1, 2, 5, 13}, {5, 4}, {3, 1}, {1, 3}, {2, 2, 2, 2}, false, true},
      {{2, 3, 17}, {4}, {3}, {1}, {2, 2}, true, true},
      {{1, 2, 15}, {3}, {2}, {2}, {0, 1}},
      {{1, 2, 5, 6, 7}, {2, 3, 2}, {2, 1, 2}, {1, 1, 2}, {0, 1, 1, 1, 1, 0}, true, true},
  };
  return cases;
}

void ExpectValues(const Tensor& got, const RefResult& want, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape) << what;
  for (int64_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got.data<float>()[i], want.values[i], tol) << what << " at " << i;
}

TEST(NnPool, MaxAndAverageMatchReference) {
  ThreadPool pool(2);
  for (int isa = 0; isa < 2; ++isa) {
    mlas::NnForceBaselineIsa(isa == 1);
    for (size_t i = 0; i < PoolCases().size(); ++i) {
      const PoolCase& c = PoolCases()[i];
      Tensor X = Random(c.x_shape, static_cast<uint32_t>(i));
      const std::string what = "case " + std::to_string(i) + (isa ? " baseline" : "");
      auto mx = RunOp("MaxPool", {X}, 1, PoolAttrs(c), 12, &pool);
      ExpectValues(mx[0].tensor(), ReferencePool(c, X, Kind::Max), 0, "MaxPool " + what);
      auto av = RunOp("AveragePool", {X}, 1, PoolAttrs(c), 19, &pool);
      ExpectValues(av[0].tensor(), ReferencePool(c, X, Kind::Avg), 1e-5, "AveragePool " + what);
    }
  }
  mlas::NnForceBaselineIsa(false);
}

TEST(NnPool, MaxPoolIndices) {
  for (size_t i = 0; i < PoolCases().size(); ++i) {
    const PoolCase& c = PoolCases()[i];
    Tensor X = Random(c.x_shape, static_cast<uint32_t>(i));
    const RefResult ref = ReferencePool(c, X, Kind::Max);
    auto out = RunOp("MaxPool", {X}, 2, PoolAttrs(c), 12);
    ExpectValues(out[0].tensor(), ref, 0, "values " + std::to_string(i));
    const Tensor& idx = out[1].tensor();
    ASSERT_EQ(idx.dtype(), DataType::Int64);
    EXPECT_EQ(ToVector<int64_t>(idx), ref.indices) << "case " << i;
  }
  // storage_order = 1 numbers each plane column-major: index = c*H*W + h + w*H.
  Tensor X = FloatTensor({1, 2, 2, 3}, {1, 9, 2, 3, 4, 5, /**/ 6, 0, 7, 8, 1, 2});
  auto out = RunOp("MaxPool", {X}, 2, {{"kernel_shape", IntsAttr({2, 3})}, {"storage_order", IntAttr(1)}}, 12);
  EXPECT_EQ(ToVector<float>(out[0].tensor()), (std::vector<float>{9, 8}));
  EXPECT_EQ(ToVector<int64_t>(out[1].tensor()), (std::vector<int64_t>{0 + 0 + 1 * 2, 6 + 1 + 0 * 2}));
}

TEST(NnPool, LpPoolMatchesReference) {
  for (size_t i : {0, 4, 8, 10}) {
    const PoolCase& c = PoolCases()[i];
    PoolCase no_ceil = c;
    no_ceil.ceil_mode = false;
    Tensor X = Random(c.x_shape, static_cast<uint32_t>(i));
    auto attrs = PoolAttrs(no_ceil);
    attrs.erase("count_include_pad");
    attrs["p"] = IntAttr(3);
    auto y = RunOp("LpPool", {X}, 1, attrs, 18);
    ExpectValues(y[0].tensor(), ReferencePool(no_ceil, X, Kind::Lp, 3), 1e-4, "LpPool " + std::to_string(i));
  }
  // Opset 1 spells p as a float.
  Tensor X = FloatTensor({1, 1, 1, 2}, {3, 4});
  auto y = RunOp("LpPool", {X}, 1, {{"kernel_shape", IntsAttr({1, 2})}, {"p", FloatAttr(2.0f)}}, 1);
  EXPECT_NEAR(y[0].tensor().data<float>()[0], 5.0f, 1e-5);
}

TEST(NnPool, AutoPadAndTypes) {
  // SAME_UPPER, stride 2 over 5: windows [0,1] [2,3] [4].
  Tensor X = FloatTensor({1, 1, 1, 5}, {1, 5, 2, 4, 3});
  std::map<std::string, Attribute> a = {{"kernel_shape", IntsAttr({1, 2})}, {"strides", IntsAttr({1, 2})},
                                        {"auto_pad", StringAttr("SAME_UPPER")}};
  EXPECT_EQ(ToVector<float>(RunOp("MaxPool", {X}, 1, a)[0].tensor()), (std::vector<float>{5, 4, 3}));
  EXPECT_EQ(ToVector<float>(RunOp("AveragePool", {X}, 1, a)[0].tensor()), (std::vector<float>{3, 3, 3}));
  a["auto_pad"] = StringAttr("SAME_LOWER");
  EXPECT_EQ(ToVector<float>(RunOp("MaxPool", {X}, 1, a)[0].tensor()), (std::vector<float>{1, 5, 4}));
  a["auto_pad"] = StringAttr("VALID");
  EXPECT_EQ(ToVector<float>(RunOp("MaxPool", {X}, 1, a)[0].tensor()), (std::vector<float>{5, 4}));

  Tensor i8 = MakeTensor<int8_t>(DataType::Int8, {1, 1, 2, 2}, {-5, -7, -128, -1});
  auto y8 = RunOp("MaxPool", {i8}, 1, {{"kernel_shape", IntsAttr({2, 2})}}, 12)[0].tensor();
  EXPECT_EQ(y8.dtype(), DataType::Int8);
  EXPECT_EQ(y8.data<int8_t>()[0], -1);
  Tensor u8 = MakeTensor<uint8_t>(DataType::UInt8, {1, 1, 1, 3}, {7, 255, 3});
  auto yu8 = RunOp("MaxPool", {u8}, 1, {{"kernel_shape", IntsAttr({1, 2})}}, 12)[0].tensor();
  EXPECT_EQ(ToVector<uint8_t>(yu8), (std::vector<uint8_t>{255, 255}));

  Tensor d(DataType::Double, {1, 1, 2, 2});
  for (int i = 0; i < 4; ++i) d.data<double>()[i] = i + 0.25;
  auto yd = RunOp("AveragePool", {d}, 1, {{"kernel_shape", IntsAttr({2, 2})}})[0].tensor();
  EXPECT_DOUBLE_EQ(yd.data<double>()[0], 1.75);

  Tensor h(DataType::Float16, {1, 1, 1, 4});
  for (int i = 0; i < 4; ++i) h.data<uint16_t>()[i] = FloatToHalf(static_cast<float>(i));
  auto yh = RunOp("MaxPool", {h}, 1, {{"kernel_shape", IntsAttr({1, 2})}, {"strides", IntsAttr({1, 2})}})[0].tensor();
  EXPECT_EQ(HalfToFloat(yh.data<uint16_t>()[1]), 3.0f);

  EXPECT_THROW(RunOp("MaxPool", {X}, 1, {{"strides", IntsAttr({1, 1})}}), Error);             // no kernel_shape
  EXPECT_THROW(RunOp("MaxPool", {X}, 1, {{"kernel_shape", IntsAttr({1, 9})}}), Error);        // larger than input
  EXPECT_THROW(RunOp("AveragePool", {i8}, 1, {{"kernel_shape", IntsAttr({1, 1})}}), Error);  // no int average
}

TEST(NnPool, GlobalPools) {
  Tensor X = Random({2, 3, 5, 7}, 11);
  auto avg = RunOp("GlobalAveragePool", {X}, 1)[0].tensor();
  auto mx = RunOp("GlobalMaxPool", {X}, 1)[0].tensor();
  auto lp = RunOp("GlobalLpPool", {X}, 1, {{"p", IntAttr(2)}})[0].tensor();
  ASSERT_EQ(avg.shape(), (std::vector<int64_t>{2, 3, 1, 1}));
  for (int64_t p = 0; p < 6; ++p) {
    double s = 0, m = -1e30, ss = 0;
    for (int64_t i = 0; i < 35; ++i) {
      const double v = X.data<float>()[p * 35 + i];
      s += v;
      m = std::max(m, v);
      ss += v * v;
    }
    EXPECT_NEAR(avg.data<float>()[p], s / 35, 1e-5);
    EXPECT_EQ(mx.data<float>()[p], m);
    EXPECT_NEAR(lp.data<float>()[p], std::sqrt(ss), 1e-4);
  }
  Tensor X3 = Random({1, 2, 3, 4, 5}, 12);
  EXPECT_EQ(RunOp("GlobalMaxPool", {X3}, 1)[0].tensor().shape(), (std::vector<int64_t>{1, 2, 1, 1, 1}));
}

}  // namespace
}  // namespace onyx::testing
