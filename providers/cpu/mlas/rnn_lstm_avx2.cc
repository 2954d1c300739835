// AVX2 + FMA kernels of rnn_lstm.h, compiled with -mavx2 -mfma and entered only after the
// run-time CPU check (rnn_lstm.cc).
#include "mlas/rnn_lstm_kernels.h"

#if ONYX_MLAS_X86_RNN
#include <immintrin.h>

namespace onyx::mlas {

namespace {

inline __m256i TailMask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// The four sums of s0..s3, one per lane of the result.
inline __m128 Sum4(__m256 s0, __m256 s1, __m256 s2, __m256 s3) {
  const __m256 a = _mm256_hadd_ps(s0, s1), b = _mm256_hadd_ps(s2, s3);
  const __m256 c = _mm256_hadd_ps(a, b);  // per 128-bit half: s0 s1 s2 s3
  return _mm_add_ps(_mm256_castps256_ps128(c), _mm256_extractf128_ps(c, 1));
}

inline float Sum1(__m256 s) {
  __m128 a = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  a = _mm_add_ps(a, _mm_movehl_ps(a, a));
  a = _mm_add_ss(a, _mm_movehdup_ps(a));
  return _mm_cvtss_f32(a);
}

// exp(x) for x <= 0 (NaN excluded by the callers' blends): x = m ln2 + r, |r| <= ln2 / 2, a
// degree-6 polynomial for exp(r) (Cephes expf) and 2^m from the exponent bits. x is clamped at
// -87, where exp is below anything a gate resolves next to 1.
inline __m256 ExpNonPositive(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.f));
  const __m256 m = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(m, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(m, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500E-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(m), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

inline __m256 KeepNan(__m256 y, __m256 v) { return _mm256_blendv_ps(y, v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q)); }

// sigmoid(v) = 1 / (1 + e) for v >= 0 and e / (1 + e) below, e = exp(-|v|): no overflow.
inline __m256 Sigmoid8(__m256 v) {
  const __m256 neg_abs = _mm256_or_ps(v, _mm256_set1_ps(-0.f));
  const __m256 e = ExpNonPositive(neg_abs);
  const __m256 s = _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_add_ps(_mm256_set1_ps(1.f), e));
  const __m256 y = _mm256_blendv_ps(s, _mm256_mul_ps(e, s), _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
  return KeepNan(y, v);
}

// tanh(v) = sign(v) (1 - e) / (1 + e), e = exp(-2|v|); the odd Taylor series near 0, where
// 1 - e would cancel.
inline __m256 Tanh8(__m256 v) {
  const __m256 sign = _mm256_set1_ps(-0.f);
  const __m256 a = _mm256_andnot_ps(sign, v);
  const __m256 e = ExpNonPositive(_mm256_mul_ps(a, _mm256_set1_ps(-2.f)));
  __m256 y = _mm256_div_ps(_mm256_sub_ps(_mm256_set1_ps(1.f), e), _mm256_add_ps(_mm256_set1_ps(1.f), e));
  y = _mm256_or_ps(y, _mm256_and_ps(v, sign));
  const __m256 v2 = _mm256_mul_ps(v, v);
  __m256 q = _mm256_fmadd_ps(v2, _mm256_set1_ps(-0.0539682540f), _mm256_set1_ps(0.133333333f));
  q = _mm256_fmadd_ps(v2, q, _mm256_set1_ps(-0.333333333f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(v, v2), q, v);
  y = _mm256_blendv_ps(y, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.0625f), _CMP_LT_OQ));
  return KeepNan(y, v);
}

// Loads, stores and the cell for 8 lanes, or fewer under a mask.
struct Lanes {
  bool masked;
  __m256i mask;
  __m256 Load(const float* p) const { return masked ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p); }
  void Store(float* p, __m256 v) const {
    if (masked) _mm256_maskstore_ps(p, mask, v);
    else _mm256_storeu_ps(p, v);
  }
};

inline void Cell8(const LstmCellArgs& a, int64_t j, const Lanes& l) {
  const bool clip = a.clip > 0.f;
  const __m256 hi = _mm256_set1_ps(a.clip), lo = _mm256_set1_ps(-a.clip);
  auto clamp = [&](__m256 x) { return clip ? _mm256_min_ps(hi, _mm256_max_ps(lo, x)) : x; };
  const __m256 c_prev = l.Load(a.c + j);
  __m256 xi = l.Load(a.gi + j), xf = l.Load(a.gf + j);
  if (a.p_i) {
    xi = _mm256_fmadd_ps(l.Load(a.p_i + j), c_prev, xi);
    xf = _mm256_fmadd_ps(l.Load(a.p_f + j), c_prev, xf);
  }
  const __m256 i = Sigmoid8(clamp(xi)), f = Sigmoid8(clamp(xf));
  const __m256 g = Tanh8(clamp(l.Load(a.gc + j)));
  const __m256 c = _mm256_fmadd_ps(f, c_prev, _mm256_mul_ps(i, g));
  __m256 xo = l.Load(a.go + j);
  if (a.p_o) xo = _mm256_fmadd_ps(l.Load(a.p_o + j), c, xo);
  const __m256 h = _mm256_mul_ps(Sigmoid8(clamp(xo)), Tanh8(c));
  l.Store(a.c + j, c);
  l.Store(a.h_out + j, h);
  if (a.y_out) l.Store(a.y_out + j, h);
}

}  // namespace

void RnnGemvAvx2(const float* r, int64_t ldr, int64_t rows, int64_t k, const float* h, const float* init, float* out) {
  const int64_t k16 = k & ~int64_t{15}, k8 = k & ~int64_t{7};
  const __m256i tail = TailMask(k - k8);
  int64_t i = 0;
  // Four rows share each load of h. R streams from L2 or L3 (a layer's R rarely fits in L1):
  // prefetching the next four rows while these are summed keeps more lines in flight than the
  // hardware prefetcher alone does.
  for (; i + 4 <= rows; i += 4) {
    const float* r0 = r + i * ldr;
    const float* r1 = r0 + ldr;
    const float* r2 = r1 + ldr;
    const float* r3 = r2 + ldr;
    const int64_t ahead = 4 * ldr;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p < k16; p += 16) {
      _mm_prefetch(reinterpret_cast<const char*>(r0 + p + ahead), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(r1 + p + ahead), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(r2 + p + ahead), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(r3 + p + ahead), _MM_HINT_T0);
      __m256 v = _mm256_loadu_ps(h + p);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + p), v, s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + p), v, s1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + p), v, s2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + p), v, s3);
      v = _mm256_loadu_ps(h + p + 8);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + p + 8), v, s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + p + 8), v, s1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + p + 8), v, s2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + p + 8), v, s3);
    }
    for (; p < k8; p += 8) {
      const __m256 v = _mm256_loadu_ps(h + p);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + p), v, s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + p), v, s1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + p), v, s2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + p), v, s3);
    }
    if (k8 < k) {
      const __m256 v = _mm256_maskload_ps(h + k8, tail);
      s0 = _mm256_fmadd_ps(_mm256_maskload_ps(r0 + k8, tail), v, s0);
      s1 = _mm256_fmadd_ps(_mm256_maskload_ps(r1 + k8, tail), v, s1);
      s2 = _mm256_fmadd_ps(_mm256_maskload_ps(r2 + k8, tail), v, s2);
      s3 = _mm256_fmadd_ps(_mm256_maskload_ps(r3 + k8, tail), v, s3);
    }
    _mm_storeu_ps(out + i, _mm_add_ps(_mm_loadu_ps(init + i), Sum4(s0, s1, s2, s3)));
  }
  for (; i < rows; ++i) {
    const float* ri = r + i * ldr;
    __m256 s = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p < k8; p += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(ri + p), _mm256_loadu_ps(h + p), s);
    if (k8 < k) s = _mm256_fmadd_ps(_mm256_maskload_ps(ri + k8, tail), _mm256_maskload_ps(h + k8, tail), s);
    out[i] = init[i] + Sum1(s);
  }
}

void LstmCellAvx2(const LstmCellArgs& a, int64_t n) {
  const Lanes full{false, _mm256_setzero_si256()};
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) Cell8(a, j, full);
  if (j < n) Cell8(a, j, Lanes{true, TailMask(n - j)});
}

}  // namespace onyx::mlas
#endif
