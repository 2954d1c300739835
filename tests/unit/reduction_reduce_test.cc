// The Reduce* ops against a direct double-precision reference over axis patterns (trailing,
// leading, middle, interleaved), keepdims, types, empty reductions and the opset forms of axes.
#include <cmath>
#include <limits>
#include <random>

#include "core/float16.h"
#include "kernel_test_util.h"
#include "mlas/nn_cpu.h"

namespace onyx::testing {
namespace {

const char* const kOps[] = {"ReduceSum", "ReduceMean", "ReduceMax",    "ReduceMin",       "ReduceProd",
                            "ReduceL1",  "ReduceL2",   "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};

// Reference over `axes` (empty: all) of a row-major tensor given as doubles.
std::vector<double> Reference(const std::string& op, const std::vector<int64_t>& shape, const std::vector<double>& x,
                              std::vector<int64_t> axes) {
  const size_t r = shape.size();
  std::vector<bool> red(r, axes.empty());
  for (int64_t a : axes) red[a < 0 ? a + static_cast<int64_t>(r) : a] = true;
  int64_t out_count = 1;
  for (size_t d = 0; d < r; ++d)
    if (!red[d]) out_count *= shape[d];
  std::vector<std::vector<double>> groups(static_cast<size_t>(out_count));
  for (size_t i = 0; i < x.size(); ++i) {
    int64_t rem = static_cast<int64_t>(i), o = 0, mul = 1;
    for (size_t d = r; d-- > 0;) {
      const int64_t id = rem % shape[d];
      rem /= shape[d];
      if (!red[d]) {
        o += id * mul;
        mul *= shape[d];
      }
    }
    groups[o].push_back(x[i]);
  }
  std::vector<double> out;
  for (const auto& g : groups) {
    double v = 0;
    if (op == "ReduceSum") for (double e : g) v += e;
    else if (op == "ReduceMean") { for (double e : g) v += e; v /= static_cast<double>(g.size()); }
    else if (op == "ReduceMax") { v = -INFINITY; for (double e : g) v = std::max(v, e); }
    else if (op == "ReduceMin") { v = INFINITY; for (double e : g) v = std::min(v, e); }
    else if (op == "ReduceProd") { v = 1; for (double e : g) v *= e; }
    else if (op == "ReduceL1") for (double e : g) v += std::fabs(e);
    else if (op == "ReduceL2") { for (double e : g) v += e * e; v = std::sqrt(v); }
    else if (op == "ReduceLogSum") { for (double e : g) v += e; v = std::log(v); }
    else if (op == "ReduceLogSumExp") { for (double e : g) v += std::exp(e); v = std::log(v); }
    else for (double e : g) v += e * e;  // ReduceSumSquare
    out.push_back(v);
  }
  return out;
}

std::vector<int64_t> OutShape(const std::vector<int64_t>& shape, const std::vector<int64_t>& axes, bool keepdims) {
  std::vector<int64_t> out;
  for (size_t d = 0; d < shape.size(); ++d) {
    bool red = axes.empty();
    for (int64_t a : axes) red = red || (a < 0 ? a + static_cast<int64_t>(shape.size()) : a) == static_cast<int64_t>(d);
    if (!red) out.push_back(shape[d]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

Tensor RandomFloat(const std::vector<int64_t>& shape, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  Tensor t(DataType::Float, shape);
  for (int64_t i = 0; i < t.size(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

// Values in a range where every op is well defined and the product stays moderate.
Tensor InputFor(const std::string& op, const std::vector<int64_t>& shape, uint32_t seed) {
  if (op == "ReduceLogSum") return RandomFloat(shape, seed, 0.1f, 2.f);
  if (op == "ReduceProd") return RandomFloat(shape, seed, 0.8f, 1.25f);
  return RandomFloat(shape, seed, -2.f, 2.f);
}

void CheckFloatCase(const std::string& op, const std::vector<int64_t>& shape, const std::vector<int64_t>& axes,
                    bool keepdims, ThreadPool* pool) {
  const Tensor X = InputFor(op, shape, static_cast<uint32_t>(shape.size() * 31 + axes.size()));
  std::vector<Tensor> inputs = {X};
  if (!axes.empty()) inputs.push_back(Int64Tensor({static_cast<int64_t>(axes.size())}, axes));
  auto y = RunOp(op, inputs, 1, {{"keepdims", IntAttr(keepdims)}}, 18, pool)[0].tensor();
  const std::string what = op + " " + ShapeToString(shape) + " axes " + ShapeToString(axes) + " keepdims " + std::to_string(keepdims);
  ASSERT_EQ(y.shape(), OutShape(shape, axes, keepdims)) << what;
  const std::vector<double> want = Reference(op, shape, std::vector<double>(X.data<float>(), X.data<float>() + X.size()), axes);
  for (int64_t i = 0; i < y.size(); ++i)
    ASSERT_NEAR(y.data<float>()[i], want[i], 2e-4 * (1 + std::fabs(want[i]))) << what << " at " << i;
}

TEST(ReductionReduce, AllOpsAllAxisPatternsFloat) {
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases = {
      {{4, 5, 6}, {2}},     {{4, 5, 6}, {0}},     {{4, 5, 6}, {1}},        {{4, 5, 6}, {0, 2}},   {{4, 5, 6}, {}},
      {{2, 3, 4, 5}, {1, 3}}, {{2, 3, 4, 5}, {0, 2}}, {{2, 3, 4, 5}, {-3, -1}}, {{3, 1, 4}, {1}},  {{3, 1, 4}, {0, 1}},
      {{7}, {0}},           {{1, 1}, {0}},        {{2, 70}, {0}},          {{3, 2000}, {-1}},     {{2, 3, 4, 5}, {3, 0, 1}},
  };
  ThreadPool pool(3);
  for (int isa = 0; isa < 2; ++isa) {
    mlas::NnForceBaselineIsa(isa == 1);
    for (const char* op : kOps)
      for (const auto& [shape, axes] : cases)
        for (bool keep : {false, true}) CheckFloatCase(op, shape, axes, keep, isa ? nullptr : &pool);
  }
  mlas::NnForceBaselineIsa(false);
}

TEST(ReductionReduce, LongRowsAndWideColumnsSplitOverThreads) {
  ThreadPool pool(4);
  for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL2"}) {
    CheckFloatCase(op, {1, 300000}, {1}, true, &pool);  // one long row: chunked partial results
    CheckFloatCase(op, {3, 5000}, {0}, false, &pool);   // few groups, wide inner: column slices
  }
}

TEST(ReductionReduce, IntegerAndOtherFloatTypes) {
  const std::vector<int64_t> shape = {3, 4, 5};
  Tensor i32(DataType::Int32, shape), i64(DataType::Int64, shape), u32(DataType::UInt32, shape), dbl(DataType::Double, shape),
      f16(DataType::Float16, shape);
  std::vector<double> vals(60);
  for (int i = 0; i < 60; ++i) {
    vals[i] = (i * 7) % 5 + 1;
    i32.data<int32_t>()[i] = static_cast<int32_t>(vals[i]);
    i64.data<int64_t>()[i] = static_cast<int64_t>(vals[i]);
    u32.data<uint32_t>()[i] = static_cast<uint32_t>(vals[i]);
    dbl.data<double>()[i] = vals[i];
    f16.data<uint16_t>()[i] = FloatToHalf(static_cast<float>(vals[i]) / 4);
  }
  Tensor axes = Int64Tensor({1}, {1});
  for (const char* op : kOps) {
    const std::vector<double> want = Reference(op, shape, vals, {1});
    auto yi = RunOp(op, {i32, axes}, 1, {}, 18)[0].tensor();
    auto yl = RunOp(op, {i64, axes}, 1, {}, 18)[0].tensor();
    auto yu = RunOp(op, {u32, axes}, 1, {}, 18)[0].tensor();
    auto yd = RunOp(op, {dbl, axes}, 1, {}, 18)[0].tensor();
    ASSERT_EQ(yi.dtype(), DataType::Int32);
    for (int64_t i = 0; i < 15; ++i) {
      // Integer results of real-valued ops truncate.
      EXPECT_EQ(yi.data<int32_t>()[i], static_cast<int32_t>(want[i])) << op << " " << i;
      EXPECT_EQ(yl.data<int64_t>()[i], static_cast<int64_t>(want[i])) << op << " " << i;
      EXPECT_EQ(yu.data<uint32_t>()[i], static_cast<uint32_t>(want[i])) << op << " " << i;
      EXPECT_NEAR(yd.data<double>()[i], want[i], 1e-9 * (1 + std::fabs(want[i]))) << op << " " << i;
    }
    std::vector<double> quarter(vals.size());
    for (size_t i = 0; i < vals.size(); ++i) quarter[i] = vals[i] / 4;
    const std::vector<double> want_h = Reference(op, shape, quarter, {1});
    auto yh = RunOp(op, {f16, axes}, 1, {}, 18)[0].tensor();
    ASSERT_EQ(yh.dtype(), DataType::Float16);
    for (int64_t i = 0; i < 15; ++i)
      EXPECT_NEAR(HalfToFloat(yh.data<uint16_t>()[i]), want_h[i], 2e-3 * (1 + std::fabs(want_h[i]))) << op << " " << i;
  }
  // Max/Min also take 8-bit integers and (opset 20) bool.
  Tensor i8 = MakeTensor<int8_t>(DataType::Int8, {2, 2}, {-3, 7, -128, 4});
  EXPECT_EQ(ToVector<int8_t>(RunOp("ReduceMin", {i8, Int64Tensor({1}, {1})}, 1, {{"keepdims", IntAttr(0)}}, 18)[0].tensor()),
            (std::vector<int8_t>{-3, -128}));
  Tensor b = MakeTensor<bool>(DataType::Bool, {2, 2}, {true, false, false, false});
  auto any = RunOp("ReduceMax", {b, Int64Tensor({1}, {1})}, 1, {{"keepdims", IntAttr(0)}}, 20)[0].tensor();
  EXPECT_TRUE(any.data<bool>()[0]);
  EXPECT_FALSE(any.data<bool>()[1]);
  EXPECT_THROW(RunOp("ReduceSum", {b}, 1, {}, 18), Error);
}

TEST(ReductionReduce, EmptyReductionGivesIdentityValues) {
  Tensor X(DataType::Float, {2, 0, 3});
  Tensor axes = Int64Tensor({1}, {1});
  auto value = [&](const char* op) {
    auto y = RunOp(op, {X, axes}, 1, {{"keepdims", IntAttr(1)}}, 18)[0].tensor();
    EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 1, 3}));
    return y.data<float>()[0];
  };
  EXPECT_EQ(value("ReduceSum"), 0.f);
  EXPECT_EQ(value("ReduceProd"), 1.f);
  EXPECT_EQ(value("ReduceMax"), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(value("ReduceMin"), std::numeric_limits<float>::infinity());
  EXPECT_EQ(value("ReduceL1"), 0.f);
  EXPECT_EQ(value("ReduceL2"), 0.f);
  EXPECT_EQ(value("ReduceSumSquare"), 0.f);
  EXPECT_EQ(value("ReduceLogSum"), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(value("ReduceLogSumExp"), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(value("ReduceMean")));
  Tensor xi(DataType::Int32, {0, 2});
  auto yi = RunOp("ReduceMax", {xi, Int64Tensor({1}, {0})}, 1, {}, 18)[0].tensor();
  EXPECT_EQ(yi.data<int32_t>()[1], std::numeric_limits<int32_t>::lowest());
  // Kept dims of size 0: an empty output.
  EXPECT_EQ(RunOp("ReduceSum", {X, Int64Tensor({1}, {2})}, 1, {}, 18)[0].tensor().shape(), (std::vector<int64_t>{2, 0, 1}));
}

TEST(ReductionReduce, AxesFormsAndNoop) {
  Tensor X = FloatTensor({2, 3}, {1, -2, 3, -4, 5, -6});
  // Before opset 18 (13 for ReduceSum) axes is an attribute.
  auto a = RunOp("ReduceL1", {X}, 1, {{"axes", IntsAttr({-1})}, {"keepdims", IntAttr(0)}}, 13)[0].tensor();
  EXPECT_EQ(ToVector<float>(a), (std::vector<float>{6, 15}));
  auto s11 = RunOp("ReduceSum", {X}, 1, {{"axes", IntsAttr({0})}}, 11)[0].tensor();
  EXPECT_EQ(ToVector<float>(s11), (std::vector<float>{-3, 3, -3}));
  auto s13 = RunOp("ReduceSum", {X, Int64Tensor({1}, {0})}, 1, {}, 13)[0].tensor();
  EXPECT_EQ(ToVector<float>(s13), (std::vector<float>{-3, 3, -3}));
  // No axes: everything, or with noop_with_empty_axes nothing (the per-element part still applies).
  auto all = RunOp("ReduceSum", {X}, 1, {{"keepdims", IntAttr(0)}}, 13)[0].tensor();
  EXPECT_EQ(all.shape(), std::vector<int64_t>{});
  EXPECT_EQ(all.data<float>()[0], -3);
  auto empty_input = RunOp("ReduceMax", {X, Int64Tensor({0}, {})}, 1, {}, 18)[0].tensor();
  EXPECT_EQ(empty_input.shape(), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(empty_input.data<float>()[0], 5);
  auto noop = RunOp("ReduceSum", {X}, 1, {{"noop_with_empty_axes", IntAttr(1)}}, 13)[0].tensor();
  EXPECT_EQ(ToVector<float>(noop), ToVector<float>(X));
  auto noop_l1 = RunOp("ReduceL1", {X, Int64Tensor({0}, {})}, 1, {{"noop_with_empty_axes", IntAttr(1)}}, 18)[0].tensor();
  EXPECT_EQ(ToVector<float>(noop_l1), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // Scalars reduce to themselves.
  auto sc = RunOp("ReduceSumSquare", {FloatTensor({}, {3})}, 1, {}, 18)[0].tensor();
  EXPECT_EQ(sc.shape(), std::vector<int64_t>{});
  EXPECT_EQ(sc.data<float>()[0], 9);
  // Axes out of range or of the wrong type.
  EXPECT_THROW(RunOp("ReduceSum", {X, Int64Tensor({1}, {2})}, 1, {}, 18), Error);
  EXPECT_THROW(RunOp("ReduceMean", {X}, 1, {{"axes", IntsAttr({-3})}}, 13), Error);
  EXPECT_THROW(RunOp("ReduceMean", {X, FloatTensor({1}, {0})}, 1, {}, 18), Error);
}

TEST(ReductionReduce, LogSumExpIsStableAndHandlesInfinities) {
  Tensor X = FloatTensor({2, 3}, {1000, 1000, 1000, -INFINITY, 0, INFINITY});
  auto y = RunOp("ReduceLogSumExp", {X, Int64Tensor({1}, {1})}, 1, {{"keepdims", IntAttr(0)}}, 18)[0].tensor();
  EXPECT_NEAR(y.data<float>()[0], 1000 + std::log(3.0), 1e-3);
  EXPECT_EQ(y.data<float>()[1], INFINITY);
}

// ---------------------------------------------------------------------------------------------
TEST(ReductionArgMinMax, MatchesReferenceWithTies) {
  const std::vector<int64_t> shape = {3, 4, 5};
  Tensor X(DataType::Float, shape);
  std::mt19937 rng(5);
  for (int64_t i = 0; i < X.size(); ++i) X.data<float>()[i] = static_cast<float>(rng() % 4);  // many ties
  ThreadPool pool(2);
  for (bool is_max : {true, false})
    for (int64_t axis : {0, 1, 2, -1})
      for (int keep : {0, 1})
        for (int last : {0, 1}) {
          auto y = RunOp(is_max ? "ArgMax" : "ArgMin", {X}, 1,
                         {{"axis", IntAttr(axis)}, {"keepdims", IntAttr(keep)}, {"select_last_index", IntAttr(last)}}, 13, &pool)[0]
                       .tensor();
          const int64_t a = axis < 0 ? axis + 3 : axis;
          std::vector<int64_t> want_shape;
          for (int64_t d = 0; d < 3; ++d) {
            if (d != a) want_shape.push_back(shape[d]);
            else if (keep) want_shape.push_back(1);
          }
          ASSERT_EQ(y.shape(), want_shape);
          int64_t outer = 1, inner = 1;
          for (int64_t d = 0; d < a; ++d) outer *= shape[d];
          for (int64_t d = a + 1; d < 3; ++d) inner *= shape[d];
          for (int64_t o = 0; o < outer; ++o)
            for (int64_t j = 0; j < inner; ++j) {
              int64_t best = 0;
              for (int64_t k = 1; k < shape[a]; ++k) {
                const float v = X.data<float>()[(o * shape[a] + k) * inner + j];
                const float b = X.data<float>()[(o * shape[a] + best) * inner + j];
                if (is_max ? (last ? v >= b : v > b) : (last ? v <= b : v < b)) best = k;
              }
              ASSERT_EQ(y.data<int64_t>()[o * inner + j], best) << is_max << axis << keep << last;
            }
        }
}

TEST(ReductionArgMinMax, TypesAndErrors) {
  Tensor i8 = MakeTensor<int8_t>(DataType::Int8, {2, 3}, {1, -5, 7, 7, 0, -128});
  EXPECT_EQ(ToVector<int64_t>(RunOp("ArgMax", {i8}, 1, {{"axis", IntAttr(1)}}, 13)[0].tensor()), (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(ToVector<int64_t>(RunOp("ArgMin", {i8}, 1, {{"axis", IntAttr(1)}}, 13)[0].tensor()), (std::vector<int64_t>{1, 2}));
  Tensor h(DataType::Float16, {3});
  for (int i = 0; i < 3; ++i) h.data<uint16_t>()[i] = FloatToHalf(static_cast<float>((i * 2) % 3));
  EXPECT_EQ(RunOp("ArgMax", {h}, 1, {}, 13)[0].tensor().data<int64_t>()[0], 1);
  Tensor u64 = MakeTensor<uint64_t>(DataType::UInt64, {2}, {UINT64_MAX, 1});
  EXPECT_EQ(RunOp("ArgMin", {u64}, 1, {{"keepdims", IntAttr(0)}}, 13)[0].tensor().data<int64_t>()[0], 1);
  EXPECT_THROW(RunOp("ArgMax", {i8}, 1, {{"axis", IntAttr(2)}}, 13), Error);
  EXPECT_THROW(RunOp("ArgMax", {Tensor(DataType::Float, {2, 0})}, 1, {{"axis", IntAttr(1)}}, 13), Error);
  EXPECT_EQ(RunOp("ArgMax", {Tensor(DataType::Float, {0, 2})}, 1, {{"axis", IntAttr(1)}}, 13)[0].tensor().shape(),
            (std::vector<int64_t>{0, 1}));
}

}  // namespace
}  // namespace onyx::testing
