// The GEMM epilogue (mlas/fused_activation.h): row bias, addend and each activation applied to
// every block of C as the packed SGEMM completes it, against the plain SGEMM followed by a scalar
// reference in double; once per ISA tier (AVX-512 also emulated, see tests/CMakeLists.txt), over
// the driver's paths: tiles, depth and column blocks, matrix-vector shapes, K == 0, pre-packed
// operands, two threads. NaN and infinities pass as in the standalone activation ops.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "mlas/cpu_features.h"
#include "mlas/fused_activation.h"
#include "mlas/gemm.h"
#include "mlas/sgemm_kernels.h"
#include "random_floats.h"

namespace onyx {
namespace {

using mlas::Activation;
using mlas::ActivationKind;
using mlas::Isa;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

double Reference(const Activation& a, double v) {
  switch (a.kind) {
    case ActivationKind::Identity: return v;
    case ActivationKind::Relu: return v < 0 ? 0 : v;
    case ActivationKind::LeakyRelu: return v < 0 ? a.alpha * v : v;
    case ActivationKind::Tanh: return std::tanh(v);
    case ActivationKind::Sigmoid: return 1 / (1 + std::exp(-v));
    case ActivationKind::Clip: {
      v = v < a.alpha ? a.alpha : v;
      return v > a.beta ? a.beta : v;
    }
    case ActivationKind::HardSigmoid: {
      v = a.alpha * v + a.beta;
      v = v < 0 ? 0 : v;
      return v > 1 ? 1 : v;
    }
  }
  return v;
}

std::vector<Activation> AllActivations() {
  return {{ActivationKind::Identity, 0, 0},      {ActivationKind::Relu, 0, 0},
          {ActivationKind::LeakyRelu, 0.1f, 0},   {ActivationKind::Tanh, 0, 0},
          {ActivationKind::Sigmoid, 0, 0},        {ActivationKind::Clip, -0.25f, 0.5f},
          {ActivationKind::HardSigmoid, 0.3f, 0.4f}};
}

std::string Name(const Activation& a) {
  const char* names[] = {"Identity", "Relu", "LeakyRelu", "Tanh", "Sigmoid", "Clip", "HardSigmoid"};
  return names[static_cast<int>(a.kind)];
}

std::vector<float> Random(size_t n, uint32_t seed, float scale = 2.f) { return testing::UniformFloats(n, seed, scale); }

struct Shape {
  int64_t M, N, K;
};

enum class Path { Plain, PackedB, PackedA };

// C (M x N, row stride ldc = N + 3, padding NaN) from A (M x K) and B (K x N), with beta.
std::vector<float> Run(Path path, const Shape& s, const std::vector<float>& a, const std::vector<float>& b, float beta,
                       const std::vector<float>& c0, const mlas::GemmEpilogue* ep, ThreadPool* pool) {
  const int64_t ldc = s.N + 3;
  std::vector<float> c = c0;
  switch (path) {
    case Path::Plain:
      mlas::Sgemm(false, false, s.M, s.N, s.K, 1.f, a.data(), s.K, b.data(), s.N, beta, c.data(), ldc, pool, ep);
      break;
    case Path::PackedB: {
      const mlas::PackedB pb = mlas::PackB(false, s.K, s.N, b.data(), s.N);
      mlas::SgemmPacked(false, s.M, s.N, s.K, 1.f, a.data(), s.K, pb, beta, c.data(), ldc, pool, ep);
      break;
    }
    case Path::PackedA: {
      const mlas::PackedA pa = mlas::PackA(false, s.M, s.K, a.data(), s.K);
      mlas::SgemmPacked(pa, false, s.M, s.N, s.K, 1.f, b.data(), s.N, beta, c.data(), ldc, pool, ep);
      break;
    }
  }
  return c;
}

// Checks the fused result against the plain product with the epilogue applied in double: every
// activation with every combination of bias and addend and beta 0 and 1, or (!thorough, for the
// large shapes) one combination per activation, with beta 1.
void CheckShape(Path path, const Shape& s, ThreadPool* pool, uint32_t seed, bool thorough = true) {
  const int64_t ldc = s.N + 3;
  const std::vector<float> a = Random(static_cast<size_t>(std::max<int64_t>(s.M * s.K, 1)), seed);
  const std::vector<float> b = Random(static_cast<size_t>(std::max<int64_t>(s.K * s.N, 1)), seed + 1);
  const std::vector<float> bias = Random(static_cast<size_t>(s.M), seed + 2);
  const std::vector<float> addend = Random(static_cast<size_t>(s.M * ldc), seed + 3);
  std::vector<float> c0(static_cast<size_t>(s.M * ldc), kNaN);
  for (float beta : {0.f, 1.f}) {
    if (!thorough && beta == 0.f) continue;  // the small shapes cover it
    if (beta != 0.f) {
      const std::vector<float> r = Random(c0.size(), seed + 4);
      for (int64_t i = 0; i < s.M; ++i)
        for (int64_t j = 0; j < s.N; ++j) c0[i * ldc + j] = r[i * ldc + j];
    }
    const std::vector<float> plain = Run(path, s, a, b, beta, c0, nullptr, pool);
    int index = 0;
    for (const Activation& act : AllActivations()) {
      const int pick = (index++ % 3) + 1;  // bias, addend, both in turn
      for (int with = 0; with < 4; ++with) {
        if (!thorough && with != pick) continue;
        mlas::GemmEpilogue ep;
        ep.activation = act;
        if (with & 1) ep.row_bias = bias.data();
        if (with & 2) ep.addend = addend.data();
        const std::vector<float> got = Run(path, s, a, b, beta, c0, &ep, pool);
        for (int64_t i = 0; i < s.M; ++i) {
          for (int64_t j = 0; j < s.N; ++j) {
            double v = plain[i * ldc + j];
            if (ep.addend) v += addend[i * ldc + j];
            if (ep.row_bias) v += bias[i];
            const double want = Reference(act, v);
            const double g = got[i * ldc + j];
            ASSERT_NEAR(g, want, 2e-6 * (1 + std::fabs(want)))
                << Name(act) << " bias=" << (with & 1) << " addend=" << (with & 2) << " beta=" << beta << " C(" << i
                << "," << j << ") M=" << s.M << " N=" << s.N << " K=" << s.K << " path=" << static_cast<int>(path);
          }
          for (int64_t j = s.N; j < ldc; ++j) ASSERT_TRUE(std::isnan(got[i * ldc + j])) << "wrote C padding";
        }
      }
    }
  }
}

class GemmEpilogueIsa : public ::testing::TestWithParam<Isa> {
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

TEST_P(GemmEpilogueIsa, TilesAndEdges) {
  uint32_t seed = 1;
  for (int64_t M : {2, 5, 13})
    for (int64_t N : {2, 17, 33, 70})
      for (int64_t K : {1, 9, 300}) {
        CheckShape(Path::Plain, {M, N, K}, nullptr, seed += 7);
        if (HasFatalFailure()) return;
      }
}

TEST_P(GemmEpilogueIsa, BlocksThreadsAndPackedOperands) {
  ThreadPool pool(2);
  // Past the A block (MC), several depth blocks (KC), past the B block (NC = 4096), and a
  // convolution-like shape.
  const Shape shapes[] = {{250, 70, 520}, {37, 4133, 20}, {64, 784, 288}};
  const std::pair<Path, bool> runs[] = {{Path::Plain, false}, {Path::Plain, true}, {Path::PackedB, true}, {Path::PackedA, false}};
  uint32_t seed = 100;
  for (const Shape& s : shapes)
    for (auto [path, threads] : runs) {
      CheckShape(path, s, threads ? &pool : nullptr, seed += 11, /*thorough=*/false);
      if (HasFatalFailure()) return;
    }
}

TEST_P(GemmEpilogueIsa, MatrixVectorAndEmptyDepth) {
  ThreadPool pool(2);
  uint32_t seed = 300;
  for (const Shape& s : {Shape{1, 1, 5}, Shape{1, 300, 40}, Shape{300, 1, 40}, Shape{7, 1, 1500}, Shape{1, 70, 0},
                         Shape{6, 9, 0}}) {
    CheckShape(Path::Plain, s, nullptr, seed += 5);
    CheckShape(Path::Plain, s, &pool, seed += 5);
    if (s.K > 0) CheckShape(Path::PackedB, s, &pool, seed += 5);
    if (HasFatalFailure()) return;
  }
}

// The micro-kernel of the tier applies the tile epilogue itself (mlas/sgemm_kernels.h): every
// partial tile shape (m < MR, n < NR) with bias, addend, both, Relu and Clip clamps, alpha and
// beta, against a plain loop in double. Outside the m x n region neither C nor the addend is
// touched (the addend's padding is NaN, which would leak into C).
TEST_P(GemmEpilogueIsa, MicroKernelAppliesTileEpilogue) {
  struct Tier {
    mlas::SgemmMicroKernel kernel;
    int mr, nr;
  };
  Tier tier{mlas::SgemmKernelScalar, mlas::kScalarMr, mlas::kScalarNr};
#if ONYX_MLAS_X86_KERNELS
  if (GetParam() == Isa::Avx2) tier = {mlas::SgemmKernelAvx2, mlas::kAvx2Mr, mlas::kAvx2Nr};
  if (GetParam() == Isa::Avx512) tier = {mlas::SgemmKernelAvx512, mlas::kAvx512Mr, mlas::kAvx512Nr};
#else
  if (GetParam() != Isa::Scalar) GTEST_SKIP() << "no x86 kernels in this build";
#endif
  const int64_t k = 37, ldc = tier.nr + 5;
  const std::vector<float> a = Random(static_cast<size_t>(k * tier.mr), 901);
  const std::vector<float> b = Random(static_cast<size_t>(k * tier.nr), 902);
  const std::vector<float> bias = Random(static_cast<size_t>(tier.mr), 903);
  const std::vector<float> c_in = Random(static_cast<size_t>(tier.mr * ldc), 904);
  const std::vector<float> addend_values = Random(static_cast<size_t>(tier.mr * ldc), 905);
  std::vector<float> addend;
  const float alpha = 0.75f;
  for (int64_t m = 1; m <= tier.mr; ++m)
    for (int64_t n = 1; n <= tier.nr; ++n) {
      addend = addend_values;
      for (int64_t i = 0; i < tier.mr; ++i)
        for (int64_t j = 0; j < ldc; ++j)
          if (i >= m || j >= n) addend[i * ldc + j] = kNaN;
      for (int variant = 0; variant < 12; ++variant) {
        const int with = variant % 4, clamp = variant / 4;  // clamp: none, Relu, Clip
        const float beta = variant % 3 == 0 ? 0.f : 1.f;
        mlas::TileEpilogue ep;
        if (with & 1) ep.row_bias = bias.data();
        if (with & 2) ep.addend = addend.data(), ep.ld_addend = ldc;
        if (clamp >= 1) ep.clamp_lo = true, ep.lo = clamp == 1 ? 0.f : -0.3f;
        if (clamp == 2) ep.clamp_hi = true, ep.hi = 0.4f;
        std::vector<float> c = c_in;
        tier.kernel(a.data(), b.data(), k, c.data(), ldc, m, n, alpha, beta, &ep);
        for (int64_t i = 0; i < tier.mr; ++i)
          for (int64_t j = 0; j < ldc; ++j) {
            const float got = c[i * ldc + j];
            if (i >= m || j >= n) {
              ASSERT_EQ(got, c_in[i * ldc + j]) << "wrote outside the tile at (" << i << "," << j << ")";
              continue;
            }
            double v = 0;
            for (int64_t p = 0; p < k; ++p) v += double(a[p * tier.mr + i]) * b[p * tier.nr + j];
            v = alpha * v + beta * c_in[i * ldc + j];
            if (ep.addend) v += addend[i * ldc + j];
            if (ep.row_bias) v += bias[i];
            if (ep.clamp_lo) v = v < ep.lo ? ep.lo : v;
            if (ep.clamp_hi) v = v > ep.hi ? ep.hi : v;
            ASSERT_NEAR(got, v, 2e-5 * (1 + std::fabs(v)))
                << "m=" << m << " n=" << n << " variant=" << variant << " C(" << i << "," << j << ")";
          }
      }
    }
}

// The clamps keep NaN, as Relu and Clip do; infinities saturate.
TEST_P(GemmEpilogueIsa, MicroKernelClampsPassNaN) {
  mlas::SgemmMicroKernel kernel = mlas::SgemmKernelScalar;
  int mr = mlas::kScalarMr, nr = mlas::kScalarNr;
#if ONYX_MLAS_X86_KERNELS
  if (GetParam() == Isa::Avx2) kernel = mlas::SgemmKernelAvx2, mr = mlas::kAvx2Mr, nr = mlas::kAvx2Nr;
  if (GetParam() == Isa::Avx512) kernel = mlas::SgemmKernelAvx512, mr = mlas::kAvx512Mr, nr = mlas::kAvx512Nr;
#endif
  // k = 1, a = 1: C(i, j) = b[j], so row 0 takes the values below.
  std::vector<float> a(static_cast<size_t>(mr), 1.f), b(static_cast<size_t>(nr), 0.f);
  const float values[] = {kNaN, kInf, -kInf, -2.f, 0.1f, 2.f};
  for (int j = 0; j < 6; ++j) b[j] = values[j];
  for (int clamp = 1; clamp <= 2; ++clamp) {
    mlas::TileEpilogue ep;
    ep.clamp_lo = true, ep.lo = clamp == 1 ? 0.f : -1.f;
    ep.clamp_hi = clamp == 2, ep.hi = 1.f;
    std::vector<float> c(static_cast<size_t>(mr * nr), 0.f);
    kernel(a.data(), b.data(), 1, c.data(), nr, mr, nr, 1.f, 0.f, &ep);
    EXPECT_TRUE(std::isnan(c[0]));
    EXPECT_EQ(c[1], clamp == 1 ? kInf : 1.f);
    EXPECT_EQ(c[2], clamp == 1 ? 0.f : -1.f);
    EXPECT_EQ(c[3], clamp == 1 ? 0.f : -1.f);
    EXPECT_EQ(c[4], 0.1f);
    EXPECT_EQ(c[5], clamp == 1 ? 2.f : 1.f);
  }
}

INSTANTIATE_TEST_SUITE_P(Tiers, GemmEpilogueIsa, ::testing::Values(Isa::Scalar, Isa::Avx2, Isa::Avx512),
                         [](const ::testing::TestParamInfo<Isa>& info) { return std::string(mlas::IsaName(info.param)); });

// NaN stays NaN through every activation (Clip and the selects included); infinities saturate.
TEST(GemmEpilogue, NanAndInfinityFollowTheStandaloneOps) {
  const std::vector<float> in = {kNaN, kInf, -kInf, 0.f, -0.f, 3.f, -3.f, 1e30f, -1e30f};
  for (const Activation& act : AllActivations()) {
    std::vector<float> f = in;
    mlas::ApplyActivation(act, f.data(), static_cast<int64_t>(f.size()));
    std::vector<double> d(in.begin(), in.end());
    mlas::ApplyActivation(act, d.data(), static_cast<int64_t>(d.size()));
    for (size_t i = 0; i < in.size(); ++i) {
      const double want = Reference(act, in[i]);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(f[i])) << Name(act) << "(" << in[i] << ") = " << f[i];
        EXPECT_TRUE(std::isnan(d[i])) << Name(act) << "(" << in[i] << ") = " << d[i] << " (double)";
        continue;
      }
      if (std::isinf(want)) {
        EXPECT_EQ(f[i], want) << Name(act) << "(" << in[i] << ")";
        EXPECT_EQ(d[i], want) << Name(act) << "(" << in[i] << ") (double)";
        continue;
      }
      EXPECT_NEAR(f[i], want, 1e-6 * (1 + std::fabs(want))) << Name(act) << "(" << in[i] << ")";
      EXPECT_NEAR(d[i], want, 1e-12 * (1 + std::fabs(want))) << Name(act) << "(" << in[i] << ") (double)";
    }
  }
}

// Bounds of Clip that are themselves NaN or crossed behave as Clip's formula (a min above the max
// gives the max).
TEST(GemmEpilogue, ClipWithCrossedOrNanBounds) {
  std::vector<float> v = {-2.f, 0.f, 2.f, kNaN};
  mlas::ApplyActivation({ActivationKind::Clip, 1.f, -1.f}, v.data(), 4);
  EXPECT_EQ(v[0], -1.f);
  EXPECT_EQ(v[1], -1.f);
  EXPECT_EQ(v[2], -1.f);
  EXPECT_TRUE(std::isnan(v[3]));
  std::vector<float> w = {-2.f, 2.f};
  mlas::ApplyActivation({ActivationKind::Clip, kNaN, kNaN}, w.data(), 2);
  EXPECT_EQ(w[0], -2.f);
  EXPECT_EQ(w[1], 2.f);
}

}  // namespace
}  // namespace onyx
