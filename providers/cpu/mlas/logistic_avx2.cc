// AVX2 + FMA logistic kernels, compiled with -mavx2 -mfma and entered only after the run-time
// CPU check (math_activations.cc). Intrinsics only, as the sgemm kernels (see sgemm_kernels.h).
#include "mlas/logistic_kernels.h"

#if ONYX_MLAS_X86_LOGISTIC
#include <immintrin.h>

namespace onyx::mlas {

namespace {

// sigmoid(v) in each lane, without overflow: with e = exp(-|v|) in (0, 1],
// sigmoid(v) = 1 / (1 + e) for v >= 0 and e / (1 + e) for v < 0. exp as Cephes expf (the
// scalar ExpCore's polynomial): -|v| = m ln2 + r, a degree-6 polynomial in r, times 2^m built
// in two halves so that m down to -150 (subnormal results) stays exact. NaN passes through.
inline __m256 Logistic8(__m256 v) {
  const __m256 sign = _mm256_set1_ps(-0.f);
  const __m256 t = _mm256_max_ps(_mm256_or_ps(v, sign), _mm256_set1_ps(-104.f));  // -|v|, clamped
  const __m256 m = _mm256_round_ps(_mm256_mul_ps(t, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(m, _mm256_set1_ps(0.693359375f), t);
  r = _mm256_fnmadd_ps(m, _mm256_set1_ps(-2.12194440e-4f), r);
  const __m256 r2 = _mm256_mul_ps(r, r);
  __m256 p = _mm256_set1_ps(1.9875691500E-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
  __m256 e = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), _mm256_set1_ps(1.f));
  const __m256i mi = _mm256_cvtps_epi32(m);
  const __m256i e1 = _mm256_srai_epi32(mi, 1), e2 = _mm256_sub_epi32(mi, e1);
  const __m256i bias = _mm256_set1_epi32(127);
  e = _mm256_mul_ps(e, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e1, bias), 23)));
  e = _mm256_mul_ps(e, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e2, bias), 23)));
  // Beyond the clamp exp(-|v|) underflows to 0.
  e = _mm256_and_ps(e, _mm256_cmp_ps(t, _mm256_set1_ps(-103.9f), _CMP_GT_OQ));
  const __m256 num = _mm256_blendv_ps(_mm256_set1_ps(1.f), e, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
  const __m256 y = _mm256_div_ps(num, _mm256_add_ps(_mm256_set1_ps(1.f), e));
  return _mm256_blendv_ps(y, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

template <bool kTimesX>
void Run(const float* x, float* y, int64_t n, float alpha) {
  const __m256 va = _mm256_set1_ps(alpha);
  auto one = [&](__m256 xv) {
    const __m256 s = Logistic8(_mm256_mul_ps(xv, va));
    return kTimesX ? _mm256_mul_ps(xv, s) : s;
  };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, one(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - i)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(y + i, mask, one(_mm256_maskload_ps(x + i, mask)));
  }
}

}  // namespace

void LogisticAvx2(const float* x, float* y, int64_t n, float alpha) { Run<false>(x, y, n, alpha); }
void QuickGeluAvx2(const float* x, float* y, int64_t n, float alpha) { Run<true>(x, y, n, alpha); }

}  // namespace onyx::mlas
#endif
