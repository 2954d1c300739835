// AVX-512F tier, compiled with -mavx512f -mfma. Intrinsics and raw loops only (see sgemm_kernels.h).
// Selected only when cpuid and XCR0 report AVX-512F with ZMM state enabled.
#include "mlas/sgemm_kernels.h"

#if ONYX_MLAS_X86_KERNELS
#ifdef ONYX_MLAS_EMULATE_AVX512
// tests/emulated: the same kernels on plain C++ vectors, to check their logic without the CPU.
#include "avx512_emulation.h"
#else
// GCC 12 warns inside its own _mm512_reduce_add_ps (an intentionally undefined register).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif

namespace onyx::mlas {

namespace {

// Lanes [0, n) set; n may be <= 0 (none) or >= 16 (all).
inline __mmask16 TailMask(int64_t n) {
  if (n <= 0) return 0;
  if (n >= 16) return 0xffff;
  return static_cast<__mmask16>((1u << n) - 1u);
}

inline void StoreRow(float* c, __m512 x0, __m512 x1, __m512 va, __m512 vb, bool read_c, __mmask16 m0,
                     __mmask16 m1) {
  x0 = _mm512_mul_ps(x0, va);
  x1 = _mm512_mul_ps(x1, va);
  if (read_c) {
    x0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), x0);
    x1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), x1);
  }
  _mm512_mask_storeu_ps(c, m0, x0);
  _mm512_mask_storeu_ps(c + 16, m1, x1);
}

// A row with the tile epilogue (mlas/sgemm_kernels.h): alpha/beta, addend, bias, clamps, store.
// max(lo, v) and min(hi, v) return v when it is NaN (the second operand), as Relu and Clip do.
inline void StoreRowEpilogue(float* c, int64_t i, __m512 x0, __m512 x1, __m512 va, __m512 vb, bool read_c,
                             const TileEpilogue& ep, __mmask16 m0, __mmask16 m1) {
  x0 = _mm512_mul_ps(x0, va);
  x1 = _mm512_mul_ps(x1, va);
  if (read_c) {
    x0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), x0);
    x1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), x1);
  }
  if (ep.addend) {
    const float* add = ep.addend + i * ep.ld_addend;
    x0 = _mm512_add_ps(x0, _mm512_maskz_loadu_ps(m0, add));
    x1 = _mm512_add_ps(x1, _mm512_maskz_loadu_ps(m1, add + 16));
  }
  if (ep.row_bias) {
    const __m512 bias = _mm512_set1_ps(ep.row_bias[i]);
    x0 = _mm512_add_ps(x0, bias);
    x1 = _mm512_add_ps(x1, bias);
  }
  if (ep.clamp_lo) {
    const __m512 lo = _mm512_set1_ps(ep.lo);
    x0 = _mm512_max_ps(lo, x0);
    x1 = _mm512_max_ps(lo, x1);
  }
  if (ep.clamp_hi) {
    const __m512 hi = _mm512_set1_ps(ep.hi);
    x0 = _mm512_min_ps(hi, x0);
    x1 = _mm512_min_ps(hi, x1);
  }
  _mm512_mask_storeu_ps(c, m0, x0);
  _mm512_mask_storeu_ps(c + 16, m1, x1);
}

}  // namespace

void SgemmKernelAvx512(const float* a, const float* b, int64_t k, float* c, int64_t ldc, int64_t m, int64_t n,
                       float alpha, float beta, const TileEpilogue* ep) {
  __m512 acc[12][2];
  // Written as an array with fully unrolled constant indices so that GCC keeps all 24
  // accumulators in zmm registers.
#pragma GCC unroll 12
  for (int i = 0; i < 12; ++i) {
    acc[i][0] = _mm512_setzero_ps();
    acc[i][1] = _mm512_setzero_ps();
  }
  // The tile of C is read or written only after the whole depth loop; fetching it now hides
  // the miss (C rows are often far apart and out of L2).
  for (int64_t i = 0; i < m; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 31), _MM_HINT_T0);
  }
  for (int64_t p = 0; p < k; ++p) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) {
      const __m512 av = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
    a += 12;
    b += 32;
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const bool read_c = beta != 0.f;
  const __mmask16 m0 = TailMask(n), m1 = TailMask(n - 16);
  // Constant indices only (no acc[i] with a run-time i), or acc would live in memory.
  if (ep) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i)
      if (i < m) StoreRowEpilogue(c + i * ldc, i, acc[i][0], acc[i][1], va, vb, read_c, *ep, m0, m1);
    return;
  }
#pragma GCC unroll 12
  for (int i = 0; i < 12; ++i)
    if (i < m) StoreRow(c + i * ldc, acc[i][0], acc[i][1], va, vb, read_c, m0, m1);
}

void SgemvRowsAvx512(const float* x, int64_t ldx, const float* v, int64_t k, int64_t rows, float* y, int64_t incy,
                     float alpha, float beta) {
  const int64_t k16 = k & ~int64_t{15};
  const __mmask16 tail = TailMask(k - k16);
  int64_t i = 0;
  for (; i + 4 <= rows; i += 4) {
    const float* x0 = x + i * ldx;
    const float* x1 = x0 + ldx;
    const float* x2 = x1 + ldx;
    const float* x3 = x2 + ldx;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    for (int64_t p = 0; p < k16; p += 16) {
      const __m512 vv = _mm512_loadu_ps(v + p);
      s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x0 + p), vv, s0);
      s1 = _mm512_fmadd_ps(_mm512_loadu_ps(x1 + p), vv, s1);
      s2 = _mm512_fmadd_ps(_mm512_loadu_ps(x2 + p), vv, s2);
      s3 = _mm512_fmadd_ps(_mm512_loadu_ps(x3 + p), vv, s3);
    }
    if (k16 < k) {
      const __m512 vv = _mm512_maskz_loadu_ps(tail, v + k16);
      s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x0 + k16), vv, s0);
      s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x1 + k16), vv, s1);
      s2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x2 + k16), vv, s2);
      s3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x3 + k16), vv, s3);
    }
    const float r[4] = {_mm512_reduce_add_ps(s0), _mm512_reduce_add_ps(s1), _mm512_reduce_add_ps(s2),
                        _mm512_reduce_add_ps(s3)};
    for (int j = 0; j < 4; ++j) {
      float& out = y[(i + j) * incy];
      out = beta == 0.f ? alpha * r[j] : alpha * r[j] + beta * out;
    }
  }
  for (; i < rows; ++i) {
    const float* xi = x + i * ldx;
    __m512 s0 = _mm512_setzero_ps();
    for (int64_t p = 0; p < k16; p += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(xi + p), _mm512_loadu_ps(v + p), s0);
    if (k16 < k)
      s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, xi + k16), _mm512_maskz_loadu_ps(tail, v + k16), s0);
    const float r = _mm512_reduce_add_ps(s0);
    float& out = y[i * incy];
    out = beta == 0.f ? alpha * r : alpha * r + beta * out;
  }
}

void SgemvColsAvx512(const float* x, int64_t ldx, const float* v, int64_t k, int64_t cols, float* y, float alpha,
                     float beta) {
  const int64_t n16 = cols & ~int64_t{15};
  const __mmask16 tail = TailMask(cols - n16);
  const __m512 vb = _mm512_set1_ps(beta);
  for (int64_t j = 0; j < cols; j += 16) {
    const __mmask16 mk = j < n16 ? static_cast<__mmask16>(0xffff) : tail;
    _mm512_mask_storeu_ps(y + j, mk, beta == 0.f ? _mm512_setzero_ps() : _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(mk, y + j)));
  }
  int64_t p = 0;
  for (; p + 4 <= k; p += 4) {
    const float* x0 = x + p * ldx;
    const float* x1 = x0 + ldx;
    const float* x2 = x1 + ldx;
    const float* x3 = x2 + ldx;
    const __m512 v0 = _mm512_set1_ps(alpha * v[p]), v1 = _mm512_set1_ps(alpha * v[p + 1]),
                 v2 = _mm512_set1_ps(alpha * v[p + 2]), v3 = _mm512_set1_ps(alpha * v[p + 3]);
    for (int64_t j = 0; j < cols; j += 16) {
      const __mmask16 mk = j < n16 ? static_cast<__mmask16>(0xffff) : tail;
      __m512 acc = _mm512_maskz_loadu_ps(mk, y + j);
      acc = _mm512_fmadd_ps(v0, _mm512_maskz_loadu_ps(mk, x0 + j), acc);
      acc = _mm512_fmadd_ps(v1, _mm512_maskz_loadu_ps(mk, x1 + j), acc);
      acc = _mm512_fmadd_ps(v2, _mm512_maskz_loadu_ps(mk, x2 + j), acc);
      acc = _mm512_fmadd_ps(v3, _mm512_maskz_loadu_ps(mk, x3 + j), acc);
      _mm512_mask_storeu_ps(y + j, mk, acc);
    }
  }
  for (; p < k; ++p) {
    const float* xp = x + p * ldx;
    const __m512 vp = _mm512_set1_ps(alpha * v[p]);
    for (int64_t j = 0; j < cols; j += 16) {
      const __mmask16 mk = j < n16 ? static_cast<__mmask16>(0xffff) : tail;
      _mm512_mask_storeu_ps(y + j, mk,
                            _mm512_fmadd_ps(vp, _mm512_maskz_loadu_ps(mk, xp + j), _mm512_maskz_loadu_ps(mk, y + j)));
    }
  }
}

void SgemvPanelAvx512(const float* panel, const float* v, int64_t k, float* y, int64_t n, float alpha, float beta) {
  static_assert(kAvx512Nr == 32, "two zmm per panel row");
  // Four phases of p, two halves of the row: eight independent FMA chains.
  __m512 acc[4][2];
  for (auto& a : acc) a[0] = a[1] = _mm512_setzero_ps();
  int64_t p = 0;
  for (; p + 4 <= k; p += 4) {
    const float* r = panel + p * 32;
    for (int q = 0; q < 4; ++q) {
      const __m512 vq = _mm512_set1_ps(v[p + q]);
      acc[q][0] = _mm512_fmadd_ps(vq, _mm512_loadu_ps(r + q * 32), acc[q][0]);
      acc[q][1] = _mm512_fmadd_ps(vq, _mm512_loadu_ps(r + q * 32 + 16), acc[q][1]);
    }
  }
  for (; p < k; ++p) {
    const __m512 vp = _mm512_set1_ps(v[p]);
    acc[0][0] = _mm512_fmadd_ps(vp, _mm512_loadu_ps(panel + p * 32), acc[0][0]);
    acc[0][1] = _mm512_fmadd_ps(vp, _mm512_loadu_ps(panel + p * 32 + 16), acc[0][1]);
  }
  alignas(64) float s[32];
  for (int h = 0; h < 2; ++h)
    _mm512_storeu_ps(s + 16 * h, _mm512_add_ps(_mm512_add_ps(acc[0][h], acc[1][h]), _mm512_add_ps(acc[2][h], acc[3][h])));
  for (int64_t j = 0; j < n; ++j) y[j] = beta == 0.f ? alpha * s[j] : alpha * s[j] + beta * y[j];
}

}  // namespace onyx::mlas

#endif  // ONYX_MLAS_X86_KERNELS
