#include "mlas/math_activations.h"

#include "mlas/cpu_features.h"
#include "mlas/logistic_kernels.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif


// An AVX2 clone of each kernel, picked by the loader from the CPU's features; the default
// clone is plain x86-64 (SSE2). No -march flags: the same binary runs on any x86-64.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ONYX_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ONYX_CLONES
#endif
#define ONYX_INLINE static inline __attribute__((always_inline))

// Floating-point exceptions and errno are never inspected; without this GCC will not if-convert
// the clamps and selects, and the loops stay scalar. Functions compiled under these options
// cannot inline functions compiled without them (std:: wrappers from the headers above), so
// the kernels below use compiler builtins only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif

namespace onyx::mlas {

namespace {

// exp(x) after Cephes expf: x = m ln2 + r, exp(r) by a degree-6 polynomial, 2^m by building the
// exponent bits in two halves so that m in [-128, 128] stays representable. ~1-2 ulp.
ONYX_INLINE float ExpCore(float x) {
  const float kHi = 88.72283905206835f, kLo = -88.72283905206835f;
  float xc = x < kLo ? kLo : x;
  xc = xc > kHi ? kHi : xc;
  xc = (xc == xc) ? xc : 0.f;  // NaN: computed on 0, replaced below
  const float kRound = 12582912.f;  // 1.5 * 2^23: adding and subtracting it rounds to an integer
  float m = (xc * 1.44269504088896341f + kRound) - kRound;
  float r = xc - m * 0.693359375f;
  r = r - m * -2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  float y = p * r2 + r + 1.f;
  const int32_t e = static_cast<int32_t>(m);
  const int32_t e1 = e >> 1, e2 = e - e1;
  const float s1 = __builtin_bit_cast(float, static_cast<uint32_t>(e1 + 127) << 23);
  const float s2 = __builtin_bit_cast(float, static_cast<uint32_t>(e2 + 127) << 23);
  y = y * s1 * s2;
  y = x > kHi ? __builtin_inff() : y;
  y = x < -104.f ? 0.f : y;
  return (x == x) ? y : x;
}

// tanh as Eigen's rational approximation (odd 13 / even 6) on [-7.9, 7.9].
ONYX_INLINE float TanhCore(float a) {
  const float kClamp = 7.90531110763549805f;
  float x = a > kClamp ? kClamp : a;
  x = x < -kClamp ? -kClamp : x;
  const float x2 = x * x;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * x;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  const float y = p / q;
  const float ax = a < 0 ? -a : a;
  return ax < 0.0004f ? a : y;  // also passes NaN through
}

// erf as Eigen's rational approximation (odd 13 / even 8) on [-4, 4], a few ulp.
ONYX_INLINE float ErfCore(float a) {
  float x = a > 4.f ? 4.f : a;
  x = x < -4.f ? -4.f : x;
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  p = p * x;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  const float y = p / q;
  return (a == a) ? y : a;
}

}  // namespace

ONYX_CLONES void ExpF32(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = ExpCore(x[i]);
}

ONYX_CLONES void TanhF32(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = TanhCore(x[i]);
}

ONYX_CLONES void ErfF32(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = ErfCore(x[i]);
}

namespace {

// The portable logistic loops, for CPUs without AVX2 + FMA (logistic_kernels.h has the others).
ONYX_CLONES void SigmoidPortable(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = 1.f / (1.f + ExpCore(-x[i]));
}

ONYX_CLONES void QuickGeluPortable(const float* x, float* y, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = v * (1.f / (1.f + ExpCore(-(alpha * v))));
  }
}

}  // namespace

void SigmoidF32(const float* x, float* y, int64_t n) {
#if ONYX_MLAS_X86_LOGISTIC
  if (ActiveIsa() >= Isa::Avx2) return LogisticAvx2(x, y, n, 1.f);
#endif
  SigmoidPortable(x, y, n);
}

void QuickGeluF32(const float* x, float* y, int64_t n, float alpha) {
#if ONYX_MLAS_X86_LOGISTIC
  if (ActiveIsa() >= Isa::Avx2) return QuickGeluAvx2(x, y, n, alpha);
#endif
  QuickGeluPortable(x, y, n, alpha);
}

namespace {

// The body of GeluErfF32, inlined into each caller's clone. x and y must not overlap: the tail
// fix-up reads x after y is written.
ONYX_INLINE void GeluErfLoop(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.f + ErfCore(v * 0.70710678118654752f));
  }
  // Below -2.5, 1 + erf(x/sqrt2) cancels to a few ulps of 1; erfc keeps the tiny tail exact.
  // A branch-free (vectorised) scan first: most rows hold no such element.
  int any = 0;
  for (int64_t i = 0; i < n; ++i) any |= x[i] < -2.5f;
  if (!any) return;
  for (int64_t i = 0; i < n; ++i)
    if (x[i] < -2.5f) y[i] = 0.5f * x[i] * __builtin_erfcf(-x[i] * 0.70710678118654752f);
}

}  // namespace

// In place (x == y), a chunk at a time through a stack buffer, so that the tail fix-up sees x.
ONYX_CLONES void GeluErfF32(const float* x, float* y, int64_t n) {
  if (x != y) return GeluErfLoop(x, y, n);
  constexpr int64_t kChunk = 512;
  float buf[kChunk];
  for (int64_t i = 0; i < n; i += kChunk) {
    const int64_t m = n - i < kChunk ? n - i : kChunk;
    for (int64_t j = 0; j < m; ++j) buf[j] = x[i + j];
    GeluErfLoop(buf, y + i, m);
  }
}

// x + bias into a stack buffer a chunk at a time (in L1), then the GELU from there: one pass over
// memory, and the same rounding as Add then Gelu.
ONYX_CLONES void BiasGeluErfF32(const float* x, const float* bias, float* y, int64_t n) {
  constexpr int64_t kChunk = 512;
  float buf[kChunk];
  for (int64_t i = 0; i < n; i += kChunk) {
    const int64_t m = n - i < kChunk ? n - i : kChunk;
    for (int64_t j = 0; j < m; ++j) buf[j] = x[i + j] + bias[i + j];
    GeluErfLoop(buf, y + i, m);
  }
}

// 1 + tanh(u) = 2 / (1 + exp(-2u)): no cancellation for very negative x.
ONYX_CLONES void GeluTanhF32(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float u = 0.79788456080286536f * (v + 0.044715f * v * v * v);
    y[i] = v / (1.f + ExpCore(-2.f * u));
  }
}

// GCC keeps sqrtf's errno path (a scalar call for negative inputs) despite no-math-errno
// above, so the vector loop is written with SSE2, which every x86-64 CPU has.
ONYX_CLONES void SqrtF32(const float* x, float* y, int64_t n) {
  int64_t i = 0;
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(y + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) y[i] = x[i] < 0.f ? __builtin_nanf("") : __builtin_sqrtf(x[i]);
}

ONYX_CLONES void LeakyReluF32(const float* x, float* y, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0.f ? alpha * x[i] : x[i];
}

ONYX_CLONES float ReduceMaxF32(const float* x, int64_t n) {
  constexpr int kLanes = 16;
  float acc[kLanes];
  const float lowest = -__builtin_inff();
  for (int j = 0; j < kLanes; ++j) acc[j] = lowest;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
  float m = lowest;
  for (int j = 0; j < kLanes; ++j) m = acc[j] > m ? acc[j] : m;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  if (m == lowest) {  // all -inf or all NaN
    for (int64_t k = 0; k < n; ++k)
      if (x[k] != x[k]) return x[k];
  }
  return m;
}

ONYX_CLONES float ExpShiftSumF32(const float* x, float* y, int64_t n, float shift) {
  for (int64_t i = 0; i < n; ++i) y[i] = ExpCore(x[i] - shift);
  constexpr int kLanes = 16;
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += y[i + j];
  float s = 0;
  for (int j = 0; j < kLanes; ++j) s += acc[j];
  for (; i < n; ++i) s += y[i];
  return s;
}

ONYX_CLONES void ScaleF32(float* y, int64_t n, float s) {
  for (int64_t i = 0; i < n; ++i) y[i] *= s;
}

ONYX_CLONES void AddScalarF32(const float* x, float* y, int64_t n, float s) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] + s;
}

}  // namespace onyx::mlas
