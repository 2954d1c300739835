#include "mlas/nn_reduce.h"

#include <algorithm>
#include <cmath>

#include "mlas/nn_cpu.h"

#if ONYX_NN_X86
#include <immintrin.h>
#endif

namespace onyx::mlas {

#if ONYX_NN_X86

namespace sse2 {
struct V {
  using R = __m128;
  static constexpr int kWidth = 4;
  static inline R Zero() { return _mm_setzero_ps(); }
  static inline R Set(float v) { return _mm_set1_ps(v); }
  static inline R Load(const float* p) { return _mm_loadu_ps(p); }
  static inline void Store(float* p, R v) { _mm_storeu_ps(p, v); }
  static inline R Add(R a, R b) { return _mm_add_ps(a, b); }
  static inline R Sub(R a, R b) { return _mm_sub_ps(a, b); }
  static inline R Mul(R a, R b) { return _mm_mul_ps(a, b); }
  static inline R MulAdd(R a, R b, R c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
  static inline R Max(R a, R b) { return _mm_max_ps(a, b); }
  static inline R Min(R a, R b) { return _mm_min_ps(a, b); }
  static inline R Abs(R a) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), a); }
  static inline void ToArray(R v, float* out) { _mm_storeu_ps(out, v); }
};
#include "mlas/nn_reduce_body.h"
}  // namespace sse2

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
namespace avx2 {
struct V {
  using R = __m256;
  static constexpr int kWidth = 8;
  static inline R Zero() { return _mm256_setzero_ps(); }
  static inline R Set(float v) { return _mm256_set1_ps(v); }
  static inline R Load(const float* p) { return _mm256_loadu_ps(p); }
  static inline void Store(float* p, R v) { _mm256_storeu_ps(p, v); }
  static inline R Add(R a, R b) { return _mm256_add_ps(a, b); }
  static inline R Sub(R a, R b) { return _mm256_sub_ps(a, b); }
  static inline R Mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static inline R MulAdd(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static inline R Max(R a, R b) { return _mm256_max_ps(a, b); }
  static inline R Min(R a, R b) { return _mm256_min_ps(a, b); }
  static inline R Abs(R a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static inline void ToArray(R v, float* out) { _mm256_storeu_ps(out, v); }
};
#include "mlas/nn_reduce_body.h"
}  // namespace avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#define ONYX_NN_PICK(name, ...) (NnUseAvx2() ? avx2::name(__VA_ARGS__) : sse2::name(__VA_ARGS__))

#else  // other architectures: the same bodies over a scalar "vector" of width 1

namespace scalar {
struct V {
  using R = float;
  static constexpr int kWidth = 1;
  static inline R Zero() { return 0.0f; }
  static inline R Set(float v) { return v; }
  static inline R Load(const float* p) { return *p; }
  static inline void Store(float* p, R v) { *p = v; }
  static inline R Add(R a, R b) { return a + b; }
  static inline R Sub(R a, R b) { return a - b; }
  static inline R Mul(R a, R b) { return a * b; }
  static inline R MulAdd(R a, R b, R c) { return a * b + c; }
  static inline R Max(R a, R b) { return std::max(a, b); }
  static inline R Min(R a, R b) { return std::min(a, b); }
  static inline R Abs(R a) { return std::fabs(a); }
  static inline void ToArray(R v, float* out) { *out = v; }
};
#include "mlas/nn_reduce_body.h"
}  // namespace scalar

#define ONYX_NN_PICK(name, ...) scalar::name(__VA_ARGS__)

#endif

float RowSum(const float* x, int64_t n) { return ONYX_NN_PICK(Sum, x, n); }
float RowSumSquares(const float* x, int64_t n) { return ONYX_NN_PICK(SumSquares, x, n); }
float RowSumAbs(const float* x, int64_t n) { return ONYX_NN_PICK(SumAbs, x, n); }
float RowSumSquaredDiff(const float* x, int64_t n, float center) { return ONYX_NN_PICK(SumSquaredDiff, x, n, center); }
float RowMax(const float* x, int64_t n) { return ONYX_NN_PICK(Max, x, n); }
float RowMin(const float* x, int64_t n) { return ONYX_NN_PICK(Min, x, n); }
void RowNormalize(const float* x, int64_t n, float mean, float inv_std, const float* scale, const float* bias,
                  float* y) {
  ONYX_NN_PICK(Normalize, x, n, mean, inv_std, scale, bias, y);
}
void RowAffine(const float* x, int64_t n, float a, float b, float* y) { ONYX_NN_PICK(Affine, x, n, a, b, y); }

}  // namespace onyx::mlas
