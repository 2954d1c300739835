// Conv and ConvTranspose against direct loop references on random data, over the paths the
// kernels choose between (pointwise GEMM, im2col GEMM in chunks, depthwise, 1-D/3-D).
#include <cmath>
#include <random>

#include "core/float16.h"
#include "kernel_test_util.h"
#include "mlas/nn_cpu.h"

namespace onyx::testing {
namespace {

Tensor Random(std::vector<int64_t> shape, uint32_t seed, DataType dt = DataType::Float) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  Tensor t(dt, std::move(shape));
  for (int64_t i = 0; i < t.size(); ++i) {
    if (dt == DataType::Double) t.data<double>()[i] = d(rng);
    else t.data<float>()[i] = d(rng);
  }
  return t;
}

double At(const Tensor& t, int64_t i) {
  return t.dtype() == DataType::Double ? t.data<double>()[i] : static_cast<double>(t.data<float>()[i]);
}

struct ConvCase {
  std::vector<int64_t> x_shape;  // N, C, spatial...
  int64_t out_channels, group;
  std::vector<int64_t> kernel, strides, dilations, pads;  // pads: begins then ends
  bool bias = true;
};

// Direct N-d convolution in double; explicit pads only.
Tensor ReferenceConv(const ConvCase& c, const Tensor& X, const Tensor& W, const Tensor* B) {
  const size_t r = c.kernel.size();
  const int64_t N = c.x_shape[0], C = c.x_shape[1], M = c.out_channels, G = c.group, Cg = C / G, Mg = M / G;
  std::vector<int64_t> out(r), in(c.x_shape.begin() + 2, c.x_shape.end());
  for (size_t d = 0; d < r; ++d)
    out[d] = (in[d] + c.pads[d] + c.pads[d + r] - (c.kernel[d] - 1) * c.dilations[d] - 1) / c.strides[d] + 1;
  std::vector<int64_t> y_shape = {N, M};
  y_shape.insert(y_shape.end(), out.begin(), out.end());
  Tensor Y(DataType::Double, y_shape);
  const int64_t in_size = ShapeSize(in), out_size = ShapeSize(out), ksize = ShapeSize(c.kernel);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t o = 0; o < out_size; ++o) {
        double acc = B ? At(*B, m) : 0.0;
        for (int64_t cg = 0; cg < Cg; ++cg) {
          const int64_t ch = (m / Mg) * Cg + cg;
          for (int64_t k = 0; k < ksize; ++k) {
            int64_t oo = o, kk = k, off = 0, stride = 1;
            bool valid = true;
            for (size_t d = r; d-- > 0;) {
              const int64_t od = oo % out[d], kd = kk % c.kernel[d];
              oo /= out[d];
              kk /= c.kernel[d];
              const int64_t id = od * c.strides[d] - c.pads[d] + kd * c.dilations[d];
              if (id < 0 || id >= in[d]) valid = false;
              off += id * stride;
              stride *= in[d];
            }
            if (valid) acc += At(X, (n * C + ch) * in_size + off) * At(W, (m * Cg + cg) * ksize + k);
          }
        }
        Y.data<double>()[(n * M + m) * out_size + o] = acc;
      }
  return Y;
}

void ExpectClose(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (int64_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(At(got, i), At(want, i), tol * (1 + std::fabs(At(want, i)))) << what << " at " << i;
  }
}

std::map<std::string, Attribute> ConvAttrs(const ConvCase& c) {
  return {{"group", IntAttr(c.group)}, {"strides", IntsAttr(c.strides)}, {"dilations", IntsAttr(c.dilations)},
          {"pads", IntsAttr(c.pads)}};
}

void RunConvCase(const ConvCase& c, DataType dt, ThreadPool* pool, const std::string& what) {
  std::vector<int64_t> w_shape = {c.out_channels, c.x_shape[1] / c.group};
  w_shape.insert(w_shape.end(), c.kernel.begin(), c.kernel.end());
  Tensor X = Random(c.x_shape, 1, dt), W = Random(w_shape, 2, dt), B = Random({c.out_channels}, 3, dt);
  std::vector<Tensor> inputs = {X, W};
  if (c.bias) inputs.push_back(B);
  auto out = RunOp("Conv", inputs, 1, ConvAttrs(c), 11, pool);
  ExpectClose(out[0].tensor(), ReferenceConv(c, X, W, c.bias ? &B : nullptr), dt == DataType::Double ? 1e-10 : 1e-4, what);
}

const std::vector<ConvCase>& ConvCases() {
  static const std::vector<ConvCase> cases = {
      // 2-D im2col, with stride, dilation, asymmetric pads, groups.
      {{2, 4, 9, 8}, 6, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
      {{1, 4, 9, 8}, 6, 2, {3, 2}, {2, 1}, {1, 2}, {1, 0, 2, 1}},
      {{1, 3, 11, 11}, 5, 1, {7, 7}, {2, 2}, {1, 1}, {3, 3, 3, 3}, false},
      // Pointwise: direct GEMM; strided pointwise goes through im2col.
      {{2, 16, 5, 7}, 8, 1, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}},
      {{1, 16, 6, 7}, 8, 2, {1, 1}, {2, 2}, {1, 1}, {0, 0, 0, 0}},
      // Depthwise (one input channel per group), with multiplier 2, and a 1-channel image.
      {{2, 6, 10, 9}, 6, 6, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
      {{1, 6, 10, 9}, 12, 6, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, false},
      {{1, 8, 13, 12}, 8, 8, {5, 5}, {2, 2}, {1, 1}, {2, 2, 2, 2}},
      {{1, 8, 13, 12}, 8, 8, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}},
      {{1, 4, 12, 12}, 4, 4, {3, 4}, {1, 3}, {2, 2}, {2, 1, 0, 3}},
      {{1, 1, 8, 8}, 5, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},
      // Kernel wider than the padded input row at the borders.
      {{1, 2, 3, 3}, 2, 2, {3, 3}, {1, 1}, {1, 1}, {2, 2, 2, 2}},
      // 1-D and 3-D.
      {{2, 4, 17}, 6, 2, {3}, {2}, {2}, {2, 1}},
      {{1, 4, 17}, 4, 4, {5}, {1}, {1}, {2, 2}},
      {{1, 3, 5, 6, 7}, 4, 1, {3, 2, 3}, {1, 2, 1}, {1, 1, 2}, {1, 0, 1, 1, 1, 2}},
      {{1, 4, 5, 6, 7}, 4, 4, {3, 3, 3}, {2, 1, 1}, {1, 1, 1}, {1, 1, 1, 1, 1, 1}},
  };
  return cases;
}

TEST(NnConv, MatchesReferenceFloat) {
  ThreadPool pool(3);
  for (size_t i = 0; i < ConvCases().size(); ++i) {
    RunConvCase(ConvCases()[i], DataType::Float, nullptr, "case " + std::to_string(i));
    RunConvCase(ConvCases()[i], DataType::Float, &pool, "pooled case " + std::to_string(i));
  }
}

TEST(NnConv, MatchesReferenceDouble) {
  for (size_t i = 0; i < ConvCases().size(); ++i) RunConvCase(ConvCases()[i], DataType::Double, nullptr, "case " + std::to_string(i));
}

TEST(NnConv, BaselineIsaMatchesReference) {
  mlas::NnForceBaselineIsa(true);
  for (size_t i = 0; i < ConvCases().size(); ++i) RunConvCase(ConvCases()[i], DataType::Float, nullptr, "case " + std::to_string(i));
  mlas::NnForceBaselineIsa(false);
}

TEST(NnConv, LargePatchMatrixIsBuiltInChunks) {
  // 256 * 9 rows x 44 * 44 columns exceeds the im2col budget, so columns come in chunks (the
  // last one partial).
  ThreadPool pool(2);
  RunConvCase({{1, 256, 44, 44}, 2, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}}, DataType::Float, &pool, "chunked");
}

TEST(NnConv, KernelShapeFromWeightsAndAutoPad) {
  // 1x1x5x5 input, 3x3 all-ones kernel: SAME_UPPER keeps 5x5 and sums each 3x3 neighbourhood.
  Tensor X(DataType::Float, {1, 1, 5, 5});
  for (int i = 0; i < 25; ++i) X.data<float>()[i] = 1;
  Tensor W(DataType::Float, {1, 1, 3, 3});
  for (int i = 0; i < 9; ++i) W.data<float>()[i] = 1;
  auto y = RunOp("Conv", {X, W}, 1, {{"auto_pad", StringAttr("SAME_UPPER")}})[0].tensor();
  ASSERT_EQ(y.shape(), (std::vector<int64_t>{1, 1, 5, 5}));
  EXPECT_EQ(y.data<float>()[0], 4);
  EXPECT_EQ(y.data<float>()[1], 6);
  EXPECT_EQ(y.data<float>()[12], 9);
  // Stride 2 over 5 values with a 2-wide kernel: one pad, at the end for SAME_UPPER and at the
  // beginning for SAME_LOWER; VALID drops the incomplete window.
  Tensor X5 = FloatTensor({1, 1, 1, 5}, {1, 2, 3, 4, 5});
  Tensor W2 = FloatTensor({1, 1, 1, 2}, {1, 1});
  auto up = RunOp("Conv", {X5, W2}, 1, {{"auto_pad", StringAttr("SAME_UPPER")}, {"strides", IntsAttr({1, 2})}})[0].tensor();
  EXPECT_EQ(ToVector<float>(up), (std::vector<float>{3, 7, 5}));
  auto low = RunOp("Conv", {X5, W2}, 1, {{"auto_pad", StringAttr("SAME_LOWER")}, {"strides", IntsAttr({1, 2})}})[0].tensor();
  EXPECT_EQ(ToVector<float>(low), (std::vector<float>{1, 5, 9}));
  auto valid = RunOp("Conv", {X5, W2}, 1, {{"auto_pad", StringAttr("VALID")}, {"strides", IntsAttr({1, 2})}})[0].tensor();
  EXPECT_EQ(ToVector<float>(valid), (std::vector<float>{3, 7}));
}

TEST(NnConv, Float16ComputesInFloat) {
  Tensor X(DataType::Float16, {1, 2, 3, 3}), W(DataType::Float16, {1, 2, 1, 1});
  for (int i = 0; i < 18; ++i) X.data<uint16_t>()[i] = FloatToHalf(static_cast<float>(i));
  W.data<uint16_t>()[0] = FloatToHalf(1.0f);
  W.data<uint16_t>()[1] = FloatToHalf(0.5f);
  auto y = RunOp("Conv", {X, W}, 1)[0].tensor();
  ASSERT_EQ(y.dtype(), DataType::Float16);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(HalfToFloat(y.data<uint16_t>()[i]), i + 0.5f * (i + 9));
}

TEST(NnConv, RejectsInconsistentShapes) {
  Tensor X = Random({1, 4, 5, 5}, 1), W = Random({6, 3, 3, 3}, 2);
  EXPECT_THROW(RunOp("Conv", {X, W}, 1), Error);  // 4 channels vs W.shape[1] = 3
  Tensor W2 = Random({6, 2, 3, 3}, 2);
  EXPECT_THROW(RunOp("Conv", {X, W2}, 1, {{"group", IntAttr(4)}}), Error);  // 6 % 4 != 0
  EXPECT_THROW(RunOp("Conv", {X, W2}, 1, {{"group", IntAttr(2)}, {"kernel_shape", IntsAttr({2, 2})}}), Error);
  EXPECT_THROW(RunOp("Conv", {X, Random({6, 4, 7, 7}, 2)}, 1), Error);  // kernel larger than input
  EXPECT_THROW(RunOp("Conv", {X, W2, Random({5}, 3)}, 1, {{"group", IntAttr(2)}}), Error);  // bias size
  EXPECT_THROW(RunOp("Conv", {X, W2}, 1, {{"group", IntAttr(2)}, {"strides", IntsAttr({0, 1})}}), Error);
  EXPECT_THROW(RunOp("Conv", {X, W2}, 1, {{"group", IntAttr(2)}, {"pads", IntsAttr({1, 1})}}), Error);
  try {
    RunOp("Conv", {X, W}, 1);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("test_Conv"), std::string::npos);  // names the node
  }
}

// ---------------------------------------------------------------------------------------------
// ConvTranspose: every input element scatters W into the output.
Tensor ReferenceConvTranspose(const Tensor& X, const Tensor& W, const Tensor* B, int64_t G,
                              const std::vector<int64_t>& strides, const std::vector<int64_t>& dilations,
                              const std::vector<int64_t>& pad_begin, const std::vector<int64_t>& out) {
  const size_t r = strides.size();
  const int64_t N = X.dim(0), C = X.dim(1), Cg = C / G, Mg = W.dim(1), M = Mg * G;
  std::vector<int64_t> in(X.shape().begin() + 2, X.shape().end()), k(W.shape().begin() + 2, W.shape().end());
  std::vector<int64_t> y_shape = {N, M};
  y_shape.insert(y_shape.end(), out.begin(), out.end());
  Tensor Y(DataType::Double, y_shape);
  const int64_t in_size = ShapeSize(in), out_size = ShapeSize(out), ksize = ShapeSize(k);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t o = 0; o < out_size; ++o) Y.data<double>()[(n * M + m) * out_size + o] = B ? At(*B, m) : 0.0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < in_size; ++i)
        for (int64_t mg = 0; mg < Mg; ++mg)
          for (int64_t kk = 0; kk < ksize; ++kk) {
            int64_t ii = i, kr = kk, off = 0, stride = 1;
            bool valid = true;
            for (size_t d = r; d-- > 0;) {
              const int64_t id = ii % in[d], kd = kr % k[d];
              ii /= in[d];
              kr /= k[d];
              const int64_t od = id * strides[d] - pad_begin[d] + kd * dilations[d];
              if (od < 0 || od >= out[d]) valid = false;
              off += od * stride;
              stride *= out[d];
            }
            if (!valid) continue;
            const int64_t m = (c / Cg) * Mg + mg;
            Y.data<double>()[(n * M + m) * out_size + off] +=
                At(X, (n * C + c) * in_size + i) * At(W, (c * Mg + mg) * ksize + kk);
          }
  return Y;
}

TEST(NnConvTranspose, MatchesReference) {
  struct Case {
    std::vector<int64_t> x_shape;
    int64_t mg, group;
    std::vector<int64_t> kernel, strides, dilations, pads, output_padding;
  };
  const std::vector<Case> cases = {
      {{1, 4, 5, 6}, 3, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, {0, 0}},
      {{2, 4, 5, 6}, 3, 2, {3, 3}, {2, 2}, {1, 1}, {1, 0, 1, 0}, {1, 1}},
      {{1, 4, 4, 4}, 1, 4, {4, 4}, {2, 2}, {1, 1}, {1, 1, 1, 1}, {0, 0}},
      {{1, 3, 5, 5}, 2, 1, {3, 2}, {2, 3}, {2, 1}, {0, 0, 0, 0}, {1, 2}},
      {{1, 3, 7}, 2, 1, {3}, {3}, {1}, {1, 0}, {2}},
      {{1, 2, 3, 4, 3}, 3, 1, {2, 2, 2}, {2, 2, 1}, {1, 1, 2}, {0, 0, 0, 1, 0, 0}, {0, 0, 0}},
  };
  ThreadPool pool(2);
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    const Case& c = cases[ci];
    const size_t r = c.kernel.size();
    std::vector<int64_t> w_shape = {c.x_shape[1], c.mg};
    w_shape.insert(w_shape.end(), c.kernel.begin(), c.kernel.end());
    Tensor X = Random(c.x_shape, 4), W = Random(w_shape, 5), B = Random({c.mg * c.group}, 6);
    std::vector<int64_t> out(r), pb(c.pads.begin(), c.pads.begin() + static_cast<std::ptrdiff_t>(r));
    for (size_t d = 0; d < r; ++d)
      out[d] = c.strides[d] * (c.x_shape[2 + d] - 1) + c.output_padding[d] + (c.kernel[d] - 1) * c.dilations[d] + 1 -
               c.pads[d] - c.pads[d + r];
    auto y = RunOp("ConvTranspose", {X, W, B}, 1,
                   {{"group", IntAttr(c.group)}, {"strides", IntsAttr(c.strides)}, {"dilations", IntsAttr(c.dilations)},
                    {"pads", IntsAttr(c.pads)}, {"output_padding", IntsAttr(c.output_padding)}},
                   11, &pool)[0].tensor();
    ExpectClose(y, ReferenceConvTranspose(X, W, &B, c.group, c.strides, c.dilations, pb, out), 1e-4, "case " + std::to_string(ci));
  }
}

TEST(NnConvTranspose, OutputShapeAndAutoPad) {
  Tensor X = Random({1, 2, 3, 3}, 7), W = Random({2, 2, 3, 3}, 8);
  // output_shape picks the pads: total = 2*(3-1) + 3 - 6 = 1, more at the beginning.
  auto y = RunOp("ConvTranspose", {X, W}, 1, {{"strides", IntsAttr({2, 2})}, {"output_shape", IntsAttr({6, 6})}}, 11)[0].tensor();
  ExpectClose(y, ReferenceConvTranspose(X, W, nullptr, 1, {2, 2}, {1, 1}, {1, 1}, {6, 6}), 1e-4, "output_shape");
  // SAME_UPPER: output = input * stride, extra padding at the end.
  auto su = RunOp("ConvTranspose", {X, W}, 1, {{"strides", IntsAttr({2, 2})}, {"auto_pad", StringAttr("SAME_UPPER")}}, 11)[0].tensor();
  ExpectClose(su, ReferenceConvTranspose(X, W, nullptr, 1, {2, 2}, {1, 1}, {0, 0}, {6, 6}), 1e-4, "SAME_UPPER");
  auto sl = RunOp("ConvTranspose", {X, W}, 1, {{"strides", IntsAttr({2, 2})}, {"auto_pad", StringAttr("SAME_LOWER")}}, 11)[0].tensor();
  ExpectClose(sl, ReferenceConvTranspose(X, W, nullptr, 1, {2, 2}, {1, 1}, {1, 1}, {6, 6}), 1e-4, "SAME_LOWER");
  // A requested shape beyond the full output leaves trailing zeros.
  auto big = RunOp("ConvTranspose", {X, W}, 1, {{"output_shape", IntsAttr({1, 2, 6, 7})}}, 11)[0].tensor();
  ASSERT_EQ(big.shape(), (std::vector<int64_t>{1, 2, 6, 7}));
  ExpectClose(big, ReferenceConvTranspose(X, W, nullptr, 1, {1, 1}, {1, 1}, {0, 0}, {6, 7}), 1e-4, "larger output_shape");
}

TEST(NnConvTranspose, DoubleAndErrors) {
  Tensor X = Random({1, 2, 4, 4}, 9, DataType::Double), W = Random({2, 3, 2, 2}, 10, DataType::Double);
  auto y = RunOp("ConvTranspose", {X, W}, 1, {{"strides", IntsAttr({2, 2})}}, 11)[0].tensor();
  ExpectClose(y, ReferenceConvTranspose(X, W, nullptr, 1, {2, 2}, {1, 1}, {0, 0}, {8, 8}), 1e-12, "double");
  EXPECT_THROW(RunOp("ConvTranspose", {X, Random({3, 3, 2, 2}, 10, DataType::Double)}, 1), Error);  // W.shape[0] != C
  EXPECT_THROW(RunOp("ConvTranspose", {X, W}, 1, {{"pads", IntsAttr({3, 3, 3, 3})}}), Error);   // negative output
}

}  // namespace
}  // namespace onyx::testing
