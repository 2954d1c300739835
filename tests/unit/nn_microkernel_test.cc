// The nn microkernels (mlas/nn_*) against scalar loops, for both instruction-set variants and
// for lengths around the vector widths.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "mlas/nn_cpu.h"
#include "mlas/nn_im2col.h"
#include "mlas/nn_reduce.h"
#include "random_floats.h"

namespace onyx {
namespace {

class NnRowKernels : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { mlas::NnForceBaselineIsa(GetParam()); }
  void TearDown() override { mlas::NnForceBaselineIsa(false); }
};

TEST_P(NnRowKernels, MatchScalarLoops) {
  for (int64_t n : {0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4099}) {
    const std::vector<float> x = testing::UniformFloats(static_cast<size_t>(n) + 1, static_cast<uint32_t>(n), 3.f);
    double s = 0, sq = 0, ab = 0, d2 = 0;
    for (int64_t i = 0; i < n; ++i) {
      s += x[i];
      sq += x[i] * x[i];
      ab += std::fabs(x[i]);
      d2 += (x[i] - 0.5) * (x[i] - 0.5);
    }
    const double tol = 1e-5 * (1 + n);
    EXPECT_NEAR(mlas::RowSum(x.data(), n), s, tol) << n;
    EXPECT_NEAR(mlas::RowSumSquares(x.data(), n), sq, tol) << n;
    EXPECT_NEAR(mlas::RowSumAbs(x.data(), n), ab, tol) << n;
    EXPECT_NEAR(mlas::RowSumSquaredDiff(x.data(), n, 0.5f), d2, tol) << n;
    if (n > 0) {
      EXPECT_EQ(mlas::RowMax(x.data(), n), *std::max_element(x.begin(), x.begin() + n)) << n;
      EXPECT_EQ(mlas::RowMin(x.data(), n), *std::min_element(x.begin(), x.begin() + n)) << n;
    }
    const std::vector<float> g = testing::UniformFloats(static_cast<size_t>(n), 7, 3.f), b = testing::UniformFloats(static_cast<size_t>(n), 8, 3.f);
    std::vector<float> y(static_cast<size_t>(n)), z(static_cast<size_t>(n));
    for (int variant = 0; variant < 4; ++variant) {
      const float* gp = (variant & 1) ? g.data() : nullptr;
      const float* bp = (variant & 2) ? b.data() : nullptr;
      mlas::RowNormalize(x.data(), n, 0.25f, 1.5f, gp, bp, y.data());
      for (int64_t i = 0; i < n; ++i) {
        const float want = (x[i] - 0.25f) * 1.5f * (gp ? gp[i] : 1.f) + (bp ? bp[i] : 0.f);
        ASSERT_NEAR(y[i], want, 1e-5) << n << " variant " << variant;
      }
    }
    mlas::RowAffine(x.data(), n, 2.f, -1.f, z.data());
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(z[i], x[i] * 2.f - 1.f, 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(NnIsa, NnRowKernels, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Baseline" : "Best"; });

// Im2colPanels writes, for any block, the panels that packing Im2col's matrix would: each row
// of the block split into nr-wide panels kc deep, the last one zero-padded. And a GEMM over it
// equals, bit for bit, the GEMM over the materialised matrix with the same packed filter.
TEST(NnIm2col, PanelsHoldTheIm2colMatrix) {
  // 3 channels, 7x9 image, 3x2 kernel, stride (2,1), dilation (1,2), pads (1,2); and a 1-D window.
  const int64_t input[] = {7, 9}, kernel[] = {3, 2}, strides[] = {2, 1}, dil[] = {1, 2}, pads[] = {1, 2};
  const int64_t output[] = {(7 + 2 - 3) / 2 + 1, (9 + 4 - 3) / 1 + 1};
  const int64_t input1[] = {40}, kernel1[] = {5}, strides1[] = {3}, dil1[] = {1}, pads1[] = {2};
  const int64_t output1[] = {(40 + 4 - 5) / 3 + 1};
  // Wide strided windows, whose rows are first split by column phase: 3x3 at stride 2 with
  // dilation (1, 2) on an odd width, and 1-D 7 wide at stride 2.
  const int64_t input2[] = {9, 11}, kernel2[] = {3, 3}, strides2[] = {2, 2}, dil2[] = {1, 2}, pads2[] = {1, 1};
  const int64_t output2[] = {(9 + 2 - 3) / 2 + 1, (11 + 2 - 5) / 2 + 1};
  const int64_t input3[] = {40}, kernel3[] = {7}, strides3[] = {2}, dil3[] = {1}, pads3[] = {3};
  const int64_t output3[] = {(40 + 6 - 7) / 2 + 1};
  const mlas::WindowShape shapes[] = {{2, input, output, kernel, strides, dil, pads},
                                      {1, input1, output1, kernel1, strides1, dil1, pads1},
                                      {2, input2, output2, kernel2, strides2, dil2, pads2},
                                      {1, input3, output3, kernel3, strides3, dil3, pads3}};
  for (const mlas::WindowShape& s : shapes) {
    int64_t ksize = 1, in_size = 1, cols = 1;
    for (int64_t d = 0; d < s.rank; ++d) ksize *= s.kernel[d], in_size *= s.input[d], cols *= s.output[d];
    const int64_t channels = 3, rows = channels * ksize;
    const std::vector<float> img = testing::UniformFloats(static_cast<size_t>(channels * in_size), 3, 3.f);
    std::vector<float> whole(static_cast<size_t>(rows * cols));
    mlas::Im2col(img.data(), channels, s, 0, cols, whole.data(), nullptr);
    const mlas::Im2colPanels panels(img.data(), channels, s);
    for (int64_t nr : {8, 16, 32}) {
      for (auto [p0, kc, j0, nc] : {std::tuple<int64_t, int64_t, int64_t, int64_t>{0, rows, 0, cols}, {4, 7, 3, 11}, {rows - 1, 1, cols - 2, 2}}) {
        const int64_t panels_n = (nc + nr - 1) / nr;
        std::vector<float> out(static_cast<size_t>(panels_n * nr * kc), -1.f);
        panels.Pack(p0, kc, j0, nc, nr, out.data());
        for (int64_t t = 0; t < panels_n; ++t)
          for (int64_t p = 0; p < kc; ++p)
            for (int64_t j = 0; j < nr; ++j) {
              const int64_t col = t * nr + j;
              const float want = col < nc ? whole[(p0 + p) * cols + j0 + col] : 0.f;
              ASSERT_EQ(out[t * nr * kc + p * nr + j], want) << "rank " << s.rank << " nr " << nr << " block (" << p0 << "," << j0 << ")";
            }
      }
    }
    // The product, single-threaded and split over a pool, with more rows than one A block holds.
    for (int64_t M : {5, 150}) {
      const std::vector<float> w = testing::UniformFloats(static_cast<size_t>(M * rows), 4, 3.f);
      const mlas::PackedA packed = mlas::PackA(false, M, rows, w.data(), rows);
      std::vector<float> want(static_cast<size_t>(M * cols)), got(want.size());
      mlas::SgemmPacked(packed, false, M, cols, rows, 1.f, whole.data(), cols, 0.f, want.data(), cols, nullptr);
      ThreadPool pool(2);
      for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), &pool}) {
        mlas::SgemmPacked(packed, panels, M, cols, rows, 1.f, 0.f, got.data(), cols, tp);
        ASSERT_EQ(got, want) << "rank " << s.rank << " M " << M;
      }
    }
  }
}

TEST(NnIm2col, ChunksConcatenateToTheWholeMatrix) {
  // 2 channels, 5x6 image, 3x2 kernel, stride (2,1), dilation (1,2), pads (1,2).
  const int64_t input[] = {5, 6}, kernel[] = {3, 2}, strides[] = {2, 1}, dil[] = {1, 2}, pads[] = {1, 2};
  const int64_t output[] = {(5 + 2 - 3) / 2 + 1, (6 + 4 - 3) / 1 + 1};  // pads on both sides
  mlas::WindowShape s{2, input, output, kernel, strides, dil, pads};
  const std::vector<float> img = testing::UniformFloats(60, 1, 3.f);
  const int64_t rows = 2 * 6, cols = output[0] * output[1];
  std::vector<float> whole(static_cast<size_t>(rows * cols));
  ThreadPool pool(2);
  mlas::Im2col(img.data(), 2, s, 0, cols, whole.data(), &pool);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < cols; ++o) {
      const int64_t c = r / 6, ki = (r % 6) / 2, kj = r % 2, oh = o / output[1], ow = o % output[1];
      const int64_t ih = oh * 2 - 1 + ki, iw = ow - 2 + kj * 2;
      const float want = (ih >= 0 && ih < 5 && iw >= 0 && iw < 6) ? img[c * 30 + ih * 6 + iw] : 0.f;
      ASSERT_EQ(whole[r * cols + o], want) << r << "," << o;
    }
  // Any split into column ranges gives the same columns.
  for (int64_t b : {1, 5, 7, 13}) {
    std::vector<float> part(static_cast<size_t>(rows * (cols - b)));
    mlas::Im2col(img.data(), 2, s, b, cols, part.data(), nullptr);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = b; o < cols; ++o) ASSERT_EQ(part[r * (cols - b) + o - b], whole[r * cols + o]);
  }
  // Col2imAdd is the adjoint: <im2col(x), y> == <x, col2im(y)>.
  const std::vector<float> y = testing::UniformFloats(static_cast<size_t>(rows * cols), 2, 3.f);
  std::vector<float> back(60, 0.f);
  mlas::Col2imAdd(y.data(), 2, s, 0, cols, back.data(), &pool);
  double lhs = 0, rhs = 0;
  for (size_t i = 0; i < y.size(); ++i) lhs += static_cast<double>(whole[i]) * y[i];
  for (size_t i = 0; i < img.size(); ++i) rhs += static_cast<double>(img[i]) * back[i];
  EXPECT_NEAR(lhs, rhs, 1e-3);
}

}  // namespace
}  // namespace onyx
