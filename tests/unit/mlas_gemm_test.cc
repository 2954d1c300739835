// The packed SGEMM (mlas/gemm) against a double-accumulated reference, once per ISA tier this CPU
// runs (lower tiers forced through SetIsaLimit): tile edges, blocking boundaries, transposes,
// alpha/beta, strides, matrix-vector shapes, threads, and pre-packed B.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "mlas/cpu_features.h"
#include "mlas/gemm.h"
#include "onyx/error.h"
#include "random_floats.h"

namespace onyx {
namespace {

using mlas::Isa;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<float> Random(size_t n, uint32_t seed) { return testing::UniformFloats(n, seed, 1.f); }

// One problem with its operands stored at the given strides; padding holds NaN so that a read
// outside the matrix shows up in the result.
struct Problem {
  bool ta = false, tb = false;
  int64_t M = 0, N = 0, K = 0;
  float alpha = 1.f, beta = 0.f;
  int64_t pad_a = 0, pad_b = 0, pad_c = 0;

  int64_t lda() const { return (ta ? M : K) + pad_a; }
  int64_t ldb() const { return (tb ? K : N) + pad_b; }
  int64_t ldc() const { return N + pad_c; }
};

struct Operands {
  std::vector<float> a, b, c;
};

Operands MakeOperands(const Problem& p, uint32_t seed) {
  const int64_t a_rows = p.ta ? p.K : p.M, a_cols = p.ta ? p.M : p.K;
  const int64_t b_rows = p.tb ? p.N : p.K, b_cols = p.tb ? p.K : p.N;
  Operands o;
  o.a.assign(static_cast<size_t>(std::max<int64_t>(a_rows * p.lda(), 1)), kNaN);
  o.b.assign(static_cast<size_t>(std::max<int64_t>(b_rows * p.ldb(), 1)), kNaN);
  o.c.assign(static_cast<size_t>(p.M * p.ldc()), kNaN);
  const std::vector<float> ra = Random(static_cast<size_t>(a_rows * a_cols), seed);
  const std::vector<float> rb = Random(static_cast<size_t>(b_rows * b_cols), seed + 1);
  const std::vector<float> rc = Random(static_cast<size_t>(p.M * p.N), seed + 2);
  for (int64_t i = 0; i < a_rows; ++i)
    for (int64_t j = 0; j < a_cols; ++j) o.a[i * p.lda() + j] = ra[i * a_cols + j];
  for (int64_t i = 0; i < b_rows; ++i)
    for (int64_t j = 0; j < b_cols; ++j) o.b[i * p.ldb() + j] = rb[i * b_cols + j];
  // With beta == 0 C keeps NaN garbage: it must not be read.
  if (p.beta != 0.f)
    for (int64_t i = 0; i < p.M; ++i)
      for (int64_t j = 0; j < p.N; ++j) o.c[i * p.ldc() + j] = rc[i * p.N + j];
  return o;
}

// Checks c (computed) against the reference from the original operands o.
void Check(const Problem& p, const Operands& o, const std::vector<float>& c, const std::string& what) {
  for (int64_t i = 0; i < p.M; ++i) {
    for (int64_t j = 0; j < p.N; ++j) {
      double acc = 0, mag = 0;
      for (int64_t k = 0; k < p.K; ++k) {
        const double a = p.ta ? o.a[k * p.lda() + i] : o.a[i * p.lda() + k];
        const double b = p.tb ? o.b[j * p.ldb() + k] : o.b[k * p.ldb() + j];
        acc += a * b;
        mag += std::fabs(a * b);
      }
      double want = p.alpha * acc;
      mag = std::fabs(p.alpha) * mag;
      if (p.beta != 0.f) {
        want += p.beta * static_cast<double>(o.c[i * p.ldc() + j]);
        mag += std::fabs(p.beta * o.c[i * p.ldc() + j]);
      }
      const double tol = 1e-6 + 4e-7 * static_cast<double>(p.K + 2) * mag;
      const float got = c[i * p.ldc() + j];
      ASSERT_TRUE(std::fabs(got - want) <= tol)
          << what << " C(" << i << "," << j << ") = " << got << ", want " << want << " (M=" << p.M << " N=" << p.N
          << " K=" << p.K << " ta=" << p.ta << " tb=" << p.tb << " alpha=" << p.alpha << " beta=" << p.beta << ")";
    }
    // Row padding of C is never written.
    for (int64_t j = p.N; j < p.ldc(); ++j) ASSERT_TRUE(std::isnan(c[i * p.ldc() + j])) << what << " wrote C padding";
  }
}

std::vector<float> RunSgemm(const Problem& p, const Operands& o, ThreadPool* pool) {
  std::vector<float> c = o.c;
  mlas::Sgemm(p.ta, p.tb, p.M, p.N, p.K, p.alpha, o.a.data(), p.lda(), o.b.data(), p.ldb(), p.beta, c.data(),
              p.ldc(), pool);
  return c;
}

std::vector<float> RunPacked(const Problem& p, const Operands& o, ThreadPool* pool) {
  std::vector<float> c = o.c;
  const mlas::PackedB packed = mlas::PackB(p.tb, p.K, p.N, o.b.data(), p.ldb());
  mlas::SgemmPacked(p.ta, p.M, p.N, p.K, p.alpha, o.a.data(), p.lda(), packed, p.beta, c.data(), p.ldc(), pool);
  return c;
}

std::vector<float> RunPackedA(const Problem& p, const Operands& o, ThreadPool* pool) {
  std::vector<float> c = o.c;
  const mlas::PackedA packed = mlas::PackA(p.ta, p.M, p.K, o.a.data(), p.lda());
  mlas::SgemmPacked(packed, p.tb, p.M, p.N, p.K, p.alpha, o.b.data(), p.ldb(), p.beta, c.data(), p.ldc(), pool);
  return c;
}

// Runs every test once per ISA tier, skipping tiers this CPU lacks.
class SgemmIsa : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (GetParam() > mlas::MaxSupportedIsa())
      GTEST_SKIP() << "this CPU does not run the " << mlas::IsaName(GetParam()) << " kernels (best: "
                   << mlas::IsaName(mlas::MaxSupportedIsa()) << ")";
    previous_ = mlas::SetIsaLimit(GetParam());
    ASSERT_EQ(mlas::ActiveIsa(), GetParam());
  }
  void TearDown() override { mlas::SetIsaLimit(previous_); }
  Isa previous_ = Isa::Avx512;
};

TEST_P(SgemmIsa, TileEdgesAllTransposes) {
  // Up to one past the largest tile (12 x 32), and depths around the unroll and K blocks.
  uint32_t seed = 1;
  for (int t = 0; t < 4; ++t)
    for (int64_t M = 1; M <= 13; ++M)
      for (int64_t N : {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33})
        for (int64_t K : {1, 3, 4, 5, 17, 193, 257}) {
          Problem p;
          p.ta = t & 1, p.tb = (t & 2) != 0, p.M = M, p.N = N, p.K = K;
          // Cycle alpha/beta so every shape class meets each combination somewhere.
          const float alphas[] = {1.f, -0.5f, 2.f};
          const float betas[] = {0.f, 1.f, 0.75f, 0.f};
          p.alpha = alphas[seed % 3];
          p.beta = betas[seed % 4];
          const Operands o = MakeOperands(p, ++seed);
          Check(p, o, RunSgemm(p, o, nullptr), "Sgemm");
          if (HasFatalFailure()) return;
        }
}

TEST_P(SgemmIsa, BlockingBoundaries) {
  ThreadPool pool(2);
  // M past the A block (MC), K past several depth blocks (KC), N past the B block (NC = 4096).
  const Problem shapes[] = {
      {false, false, 250, 70, 520, 1.f, 0.f},    {true, true, 301, 45, 600, 0.5f, 1.f},
      {false, true, 37, 4133, 20, 1.f, 0.5f},    {true, false, 20, 4101, 70, -1.f, 0.f},
      {false, false, 128, 768, 384, 1.f, 0.f},   {false, false, 64, 3136 / 4, 576 / 2, 1.f, 0.f},
  };
  uint32_t seed = 100;
  for (const Problem& p : shapes) {
    const Operands o = MakeOperands(p, ++seed);
    const std::vector<float> one = RunSgemm(p, o, nullptr);
    Check(p, o, one, "1 thread");
    if (HasFatalFailure()) return;
    // Two threads split the same tiles differently but sum each element in the same order.
    EXPECT_EQ(RunSgemm(p, o, &pool), one) << p.M << "x" << p.N << "x" << p.K;
  }
}

TEST_P(SgemmIsa, StridesAndBetaZeroNeverReadsC) {
  uint32_t seed = 200;
  for (int t = 0; t < 4; ++t)
    for (float beta : {0.f, 1.f, -2.f}) {
      Problem p;
      p.ta = t & 1, p.tb = (t & 2) != 0, p.M = 29, p.N = 41, p.K = 300, p.alpha = 1.5f, p.beta = beta;
      p.pad_a = 3, p.pad_b = 5, p.pad_c = 7;
      const Operands o = MakeOperands(p, ++seed);
      Check(p, o, RunSgemm(p, o, nullptr), "strided");
      Check(p, o, RunPacked(p, o, nullptr), "strided packed");
      Check(p, o, RunPackedA(p, o, nullptr), "strided packed A");
      if (HasFatalFailure()) return;
    }
}

TEST_P(SgemmIsa, MatrixVectorShapes) {
  ThreadPool pool(2);
  uint32_t seed = 300;
  for (int t = 0; t < 4; ++t)
    for (auto [M, N] : {std::pair<int64_t, int64_t>{1, 1}, {1, 7}, {1, 33}, {1, 1500}, {7, 1}, {1500, 1}, {2, 3}})
      for (int64_t K : {1, 7, 8, 9, 64, 1029})
        for (int64_t pad : {0, 2}) {
          Problem p;
          p.ta = t & 1, p.tb = (t & 2) != 0, p.M = M, p.N = N, p.K = K, p.alpha = 0.5f;
          p.beta = (seed % 2) ? 0.f : 2.f;
          p.pad_a = p.pad_b = p.pad_c = pad;
          const Operands o = MakeOperands(p, ++seed);
          Check(p, o, RunSgemm(p, o, nullptr), "gemv");
          Check(p, o, RunSgemm(p, o, &pool), "gemv 2 threads");
          Check(p, o, RunPacked(p, o, &pool), "gemv packed");
          Check(p, o, RunPackedA(p, o, &pool), "gemv packed A");
          if (HasFatalFailure()) return;
        }
}

TEST_P(SgemmIsa, EmptyDepthScalesC) {
  for (float beta : {0.f, 1.f, 3.f}) {
    Problem p;
    p.M = 5, p.N = 9, p.K = 0, p.beta = beta, p.pad_c = 1;
    const Operands o = MakeOperands(p, 400);
    Check(p, o, RunSgemm(p, o, nullptr), "K=0");
    Check(p, o, RunPacked(p, o, nullptr), "K=0 packed");
    Check(p, o, RunPackedA(p, o, nullptr), "K=0 packed A");
  }
}

TEST_P(SgemmIsa, PackedOperandsMatchUnpacked) {
  ThreadPool pool(2);
  uint32_t seed = 500;
  for (int t = 0; t < 4; ++t)
    for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{128, 400, 300}, {3, 100, 1000}, {50, 17, 5},
                           {200, 4200, 40}, {300, 40, 200}}) {  // the last splits rows across threads
      Problem p;
      p.ta = t & 1, p.tb = (t & 2) != 0, p.M = M, p.N = N, p.K = K, p.beta = (t == 1) ? 0.5f : 0.f;
      const Operands o = MakeOperands(p, ++seed);
      const std::vector<float> plain = RunSgemm(p, o, nullptr);
      const std::vector<float> packed = RunPacked(p, o, &pool), packed_a = RunPackedA(p, o, &pool);
      // Same kernel, same blocks, same summation order: bit for bit, so one reference check.
      EXPECT_EQ(packed, plain) << M << "x" << N << "x" << K << " ta=" << p.ta << " tb=" << p.tb;
      EXPECT_EQ(packed_a, plain) << M << "x" << N << "x" << K << " ta=" << p.ta << " tb=" << p.tb;
      Check(p, o, plain, "plain");
      if (HasFatalFailure()) return;
    }
}

TEST_P(SgemmIsa, PackedOperandsKeepTheirIsaAndCheckShapes) {
  const std::vector<float> b = Random(12 * 20, 1);
  const mlas::PackedB packed = mlas::PackB(false, 12, 20, b.data(), 20);
  EXPECT_EQ(packed.isa(), GetParam());
  EXPECT_EQ(packed.K(), 12);
  EXPECT_EQ(packed.N(), 20);
  std::vector<float> a(4 * 12, 1.f), c(4 * 21);
  EXPECT_THROW(mlas::SgemmPacked(false, 4, 21, 12, 1.f, a.data(), 12, packed, 0.f, c.data(), 21, nullptr), Error);
  EXPECT_TRUE(mlas::PackB(false, 0, 20, b.data(), 20).empty());
  const mlas::PackedA packed_a = mlas::PackA(true, 20, 12, b.data(), 20);
  EXPECT_EQ(packed_a.isa(), GetParam());
  EXPECT_EQ(packed_a.M(), 20);
  EXPECT_THROW(mlas::SgemmPacked(packed_a, false, 20, 4, 13, 1.f, a.data(), 4, 0.f, c.data(), 4, nullptr), Error);
}

INSTANTIATE_TEST_SUITE_P(Tiers, SgemmIsa, ::testing::Values(Isa::Scalar, Isa::Avx2, Isa::Avx512),
                         [](const ::testing::TestParamInfo<Isa>& info) { return std::string(mlas::IsaName(info.param)); });

TEST(CpuFeatures, ConsistentWithTiers) {
  const mlas::CpuFeatures& f = mlas::GetCpuFeatures();
  const Isa best = mlas::MaxSupportedIsa();
  EXPECT_EQ(best >= Isa::Avx2, f.avx2 && f.fma);
  if (best == Isa::Avx512) EXPECT_TRUE(f.avx512f);
  // The cap never raises the tier above what the CPU runs, and is restored.
  const Isa previous = mlas::SetIsaLimit(Isa::Avx512);
  EXPECT_EQ(mlas::ActiveIsa(), best);
  mlas::SetIsaLimit(Isa::Scalar);
  EXPECT_EQ(mlas::ActiveIsa(), Isa::Scalar);
  mlas::SetIsaLimit(previous);
}

}  // namespace
}  // namespace onyx
