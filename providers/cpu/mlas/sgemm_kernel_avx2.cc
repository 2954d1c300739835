// AVX2 + FMA tier, compiled with -mavx2 -mfma. Intrinsics and raw loops only (see sgemm_kernels.h).
#include "mlas/sgemm_kernels.h"

#if ONYX_MLAS_X86_KERNELS
#include <immintrin.h>

namespace onyx::mlas {

namespace {

// Lanes [0, n) set; n may be <= 0 (none) or >= 8 (all).
inline __m256i TailMask(int64_t n) {
  const int nn = n < 0 ? 0 : (n > 8 ? 8 : static_cast<int>(n));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(nn), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline void StoreRow(float* c, __m256 x0, __m256 x1, __m256 va, __m256 vb, bool read_c) {
  x0 = _mm256_mul_ps(x0, va);
  x1 = _mm256_mul_ps(x1, va);
  if (read_c) {
    x0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), x0);
    x1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), x1);
  }
  _mm256_storeu_ps(c, x0);
  _mm256_storeu_ps(c + 8, x1);
}

inline void StoreRowMasked(float* c, __m256 x0, __m256 x1, __m256 va, __m256 vb, bool read_c, __m256i m0,
                           __m256i m1) {
  x0 = _mm256_mul_ps(x0, va);
  x1 = _mm256_mul_ps(x1, va);
  if (read_c) {
    x0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c, m0), x0);
    x1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c + 8, m1), x1);
  }
  _mm256_maskstore_ps(c, m0, x0);
  _mm256_maskstore_ps(c + 8, m1, x1);
}

// The tile epilogue on row i of the tile (mlas/sgemm_kernels.h), lanes m0/m1 of the two halves.
inline void EpilogueRow(const TileEpilogue& ep, int64_t i, __m256& x0, __m256& x1, __m256i m0, __m256i m1,
                        bool full) {
  if (ep.addend) {
    const float* add = ep.addend + i * ep.ld_addend;
    x0 = _mm256_add_ps(x0, full ? _mm256_loadu_ps(add) : _mm256_maskload_ps(add, m0));
    x1 = _mm256_add_ps(x1, full ? _mm256_loadu_ps(add + 8) : _mm256_maskload_ps(add + 8, m1));
  }
  if (ep.row_bias) {
    const __m256 bias = _mm256_broadcast_ss(ep.row_bias + i);
    x0 = _mm256_add_ps(x0, bias);
    x1 = _mm256_add_ps(x1, bias);
  }
  // max(lo, v) and min(hi, v) return v when it is NaN (the second operand), as Relu and Clip do.
  if (ep.clamp_lo) {
    const __m256 lo = _mm256_set1_ps(ep.lo);
    x0 = _mm256_max_ps(lo, x0);
    x1 = _mm256_max_ps(lo, x1);
  }
  if (ep.clamp_hi) {
    const __m256 hi = _mm256_set1_ps(ep.hi);
    x0 = _mm256_min_ps(hi, x0);
    x1 = _mm256_min_ps(hi, x1);
  }
}

// A row with the epilogue: alpha/beta, then ep, then the (masked) store.
inline void StoreRowEpilogue(float* c, int64_t i, __m256 x0, __m256 x1, __m256 va, __m256 vb, bool read_c,
                             const TileEpilogue& ep, __m256i m0, __m256i m1, bool full) {
  x0 = _mm256_mul_ps(x0, va);
  x1 = _mm256_mul_ps(x1, va);
  if (read_c) {
    x0 = _mm256_fmadd_ps(vb, full ? _mm256_loadu_ps(c) : _mm256_maskload_ps(c, m0), x0);
    x1 = _mm256_fmadd_ps(vb, full ? _mm256_loadu_ps(c + 8) : _mm256_maskload_ps(c + 8, m1), x1);
  }
  EpilogueRow(ep, i, x0, x1, m0, m1, full);
  if (full) {
    _mm256_storeu_ps(c, x0);
    _mm256_storeu_ps(c + 8, x1);
  } else {
    _mm256_maskstore_ps(c, m0, x0);
    _mm256_maskstore_ps(c + 8, m1, x1);
  }
}

}  // namespace

void SgemmKernelAvx2(const float* a, const float* b, int64_t k, float* c, int64_t ldc, int64_t m, int64_t n,
                     float alpha, float beta, const TileEpilogue* ep) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(),
         c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
         c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps(),
         c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#define ONYX_AVX2_STEP(P)                                           \
  {                                                                 \
    const __m256 b0 = _mm256_loadu_ps(b + (P) * 16);                \
    const __m256 b1 = _mm256_loadu_ps(b + (P) * 16 + 8);            \
    const float* ap = a + (P) * 6;                                  \
    __m256 av = _mm256_broadcast_ss(ap + 0);                        \
    c00 = _mm256_fmadd_ps(av, b0, c00);                             \
    c01 = _mm256_fmadd_ps(av, b1, c01);                             \
    av = _mm256_broadcast_ss(ap + 1);                               \
    c10 = _mm256_fmadd_ps(av, b0, c10);                             \
    c11 = _mm256_fmadd_ps(av, b1, c11);                             \
    av = _mm256_broadcast_ss(ap + 2);                               \
    c20 = _mm256_fmadd_ps(av, b0, c20);                             \
    c21 = _mm256_fmadd_ps(av, b1, c21);                             \
    av = _mm256_broadcast_ss(ap + 3);                               \
    c30 = _mm256_fmadd_ps(av, b0, c30);                             \
    c31 = _mm256_fmadd_ps(av, b1, c31);                             \
    av = _mm256_broadcast_ss(ap + 4);                               \
    c40 = _mm256_fmadd_ps(av, b0, c40);                             \
    c41 = _mm256_fmadd_ps(av, b1, c41);                             \
    av = _mm256_broadcast_ss(ap + 5);                               \
    c50 = _mm256_fmadd_ps(av, b0, c50);                             \
    c51 = _mm256_fmadd_ps(av, b1, c51);                             \
  }
  // The tile of C is read or written only after the whole depth loop; fetching it now hides
  // the miss (C rows are often far apart and out of L2).
  for (int64_t i = 0; i < m; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 15), _MM_HINT_T0);
  }
  if (n <= 8) {
    // A last panel of at most 8 columns (e.g. N = 49): the right half of the tile would be all
    // padding, so skip its FMAs.
    for (int64_t p = 0; p < k; ++p) {
      const __m256 b0 = _mm256_loadu_ps(b);
      c00 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 0), b0, c00);
      c10 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 1), b0, c10);
      c20 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 2), b0, c20);
      c30 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 3), b0, c30);
      c40 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 4), b0, c40);
      c50 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + 5), b0, c50);
      a += 6;
      b += 16;
    }
  } else {
    // One step per iteration: unrolling lets GCC hoist later B loads, which then spills
    // accumulators through the stack; the loop overhead is 3 instructions per 12 FMAs.
    for (int64_t p = 0; p < k; ++p) {
      ONYX_AVX2_STEP(0)
      a += 6;
      b += 16;
    }
  }
#undef ONYX_AVX2_STEP

  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  const bool read_c = beta != 0.f;
  if (ep) {
    const bool full = n == 16;
    const __m256i m0 = TailMask(n), m1 = TailMask(n - 8);
    if (m == 6) {
      // Registers named one by one: indexing an array of them would go through the stack.
      StoreRowEpilogue(c, 0, c00, c01, va, vb, read_c, *ep, m0, m1, full);
      StoreRowEpilogue(c + ldc, 1, c10, c11, va, vb, read_c, *ep, m0, m1, full);
      StoreRowEpilogue(c + 2 * ldc, 2, c20, c21, va, vb, read_c, *ep, m0, m1, full);
      StoreRowEpilogue(c + 3 * ldc, 3, c30, c31, va, vb, read_c, *ep, m0, m1, full);
      StoreRowEpilogue(c + 4 * ldc, 4, c40, c41, va, vb, read_c, *ep, m0, m1, full);
      StoreRowEpilogue(c + 5 * ldc, 5, c50, c51, va, vb, read_c, *ep, m0, m1, full);
      return;
    }
    const __m256 rows[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    for (int64_t i = 0; i < m; ++i)
      StoreRowEpilogue(c + i * ldc, i, rows[i][0], rows[i][1], va, vb, read_c, *ep, m0, m1, full);
    return;
  }
  if (m == 6 && n == 16) {
    StoreRow(c, c00, c01, va, vb, read_c);
    StoreRow(c + ldc, c10, c11, va, vb, read_c);
    StoreRow(c + 2 * ldc, c20, c21, va, vb, read_c);
    StoreRow(c + 3 * ldc, c30, c31, va, vb, read_c);
    StoreRow(c + 4 * ldc, c40, c41, va, vb, read_c);
    StoreRow(c + 5 * ldc, c50, c51, va, vb, read_c);
    return;
  }
  const __m256i m0 = TailMask(n), m1 = TailMask(n - 8);
  const __m256 rows[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int64_t i = 0; i < m; ++i) StoreRowMasked(c + i * ldc, rows[i][0], rows[i][1], va, vb, read_c, m0, m1);
}

void SgemvRowsAvx2(const float* x, int64_t ldx, const float* v, int64_t k, int64_t rows, float* y, int64_t incy,
                   float alpha, float beta) {
  const int64_t k8 = k & ~int64_t{7};
  const __m256i tail = TailMask(k - k8);
  int64_t i = 0;
  // Four rows at a time share each load of v.
  for (; i + 4 <= rows; i += 4) {
    const float* x0 = x + i * ldx;
    const float* x1 = x0 + ldx;
    const float* x2 = x1 + ldx;
    const float* x3 = x2 + ldx;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    for (int64_t p = 0; p < k8; p += 8) {
      const __m256 vv = _mm256_loadu_ps(v + p);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x0 + p), vv, s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x1 + p), vv, s1);
      s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x2 + p), vv, s2);
      s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x3 + p), vv, s3);
    }
    if (k8 < k) {
      const __m256 vv = _mm256_maskload_ps(v + k8, tail);
      s0 = _mm256_fmadd_ps(_mm256_maskload_ps(x0 + k8, tail), vv, s0);
      s1 = _mm256_fmadd_ps(_mm256_maskload_ps(x1 + k8, tail), vv, s1);
      s2 = _mm256_fmadd_ps(_mm256_maskload_ps(x2 + k8, tail), vv, s2);
      s3 = _mm256_fmadd_ps(_mm256_maskload_ps(x3 + k8, tail), vv, s3);
    }
    const float r[4] = {HorizontalSum(s0), HorizontalSum(s1), HorizontalSum(s2), HorizontalSum(s3)};
    for (int j = 0; j < 4; ++j) {
      float& out = y[(i + j) * incy];
      out = beta == 0.f ? alpha * r[j] : alpha * r[j] + beta * out;
    }
  }
  for (; i < rows; ++i) {
    const float* xi = x + i * ldx;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 16 <= k8; p += 16) {
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(xi + p), _mm256_loadu_ps(v + p), s0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(xi + p + 8), _mm256_loadu_ps(v + p + 8), s1);
    }
    for (; p < k8; p += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(xi + p), _mm256_loadu_ps(v + p), s0);
    if (k8 < k) s1 = _mm256_fmadd_ps(_mm256_maskload_ps(xi + k8, tail), _mm256_maskload_ps(v + k8, tail), s1);
    const float r = HorizontalSum(_mm256_add_ps(s0, s1));
    float& out = y[i * incy];
    out = beta == 0.f ? alpha * r : alpha * r + beta * out;
  }
}

void SgemvColsAvx2(const float* x, int64_t ldx, const float* v, int64_t k, int64_t cols, float* y, float alpha,
                   float beta) {
  const int64_t n8 = cols & ~int64_t{7};
  const __m256i tail = TailMask(cols - n8);
  const __m256 vb = _mm256_set1_ps(beta);
  for (int64_t j = 0; j < n8; j += 8)
    _mm256_storeu_ps(y + j, beta == 0.f ? _mm256_setzero_ps() : _mm256_mul_ps(vb, _mm256_loadu_ps(y + j)));
  if (n8 < cols)
    _mm256_maskstore_ps(y + n8, tail,
                        beta == 0.f ? _mm256_setzero_ps() : _mm256_mul_ps(vb, _mm256_maskload_ps(y + n8, tail)));
  int64_t p = 0;
  // Four rows of x per pass over y: y stays in L1 and is loaded and stored once per four rows.
  for (; p + 4 <= k; p += 4) {
    const float* x0 = x + p * ldx;
    const float* x1 = x0 + ldx;
    const float* x2 = x1 + ldx;
    const float* x3 = x2 + ldx;
    const __m256 v0 = _mm256_set1_ps(alpha * v[p]), v1 = _mm256_set1_ps(alpha * v[p + 1]),
                 v2 = _mm256_set1_ps(alpha * v[p + 2]), v3 = _mm256_set1_ps(alpha * v[p + 3]);
    for (int64_t j = 0; j < n8; j += 8) {
      __m256 acc = _mm256_loadu_ps(y + j);
      acc = _mm256_fmadd_ps(v0, _mm256_loadu_ps(x0 + j), acc);
      acc = _mm256_fmadd_ps(v1, _mm256_loadu_ps(x1 + j), acc);
      acc = _mm256_fmadd_ps(v2, _mm256_loadu_ps(x2 + j), acc);
      acc = _mm256_fmadd_ps(v3, _mm256_loadu_ps(x3 + j), acc);
      _mm256_storeu_ps(y + j, acc);
    }
    if (n8 < cols) {
      __m256 acc = _mm256_maskload_ps(y + n8, tail);
      acc = _mm256_fmadd_ps(v0, _mm256_maskload_ps(x0 + n8, tail), acc);
      acc = _mm256_fmadd_ps(v1, _mm256_maskload_ps(x1 + n8, tail), acc);
      acc = _mm256_fmadd_ps(v2, _mm256_maskload_ps(x2 + n8, tail), acc);
      acc = _mm256_fmadd_ps(v3, _mm256_maskload_ps(x3 + n8, tail), acc);
      _mm256_maskstore_ps(y + n8, tail, acc);
    }
  }
  for (; p < k; ++p) {
    const float* xp = x + p * ldx;
    const __m256 vp = _mm256_set1_ps(alpha * v[p]);
    for (int64_t j = 0; j < n8; j += 8)
      _mm256_storeu_ps(y + j, _mm256_fmadd_ps(vp, _mm256_loadu_ps(xp + j), _mm256_loadu_ps(y + j)));
    if (n8 < cols)
      _mm256_maskstore_ps(
          y + n8, tail, _mm256_fmadd_ps(vp, _mm256_maskload_ps(xp + n8, tail), _mm256_maskload_ps(y + n8, tail)));
  }
}

void SgemvPanelAvx2(const float* panel, const float* v, int64_t k, float* y, int64_t n, float alpha, float beta) {
  static_assert(kAvx2Nr == 16, "two ymm per panel row");
  // Four phases of p, two halves of the row: eight independent FMA chains.
  __m256 acc[4][2];
  for (auto& a : acc) a[0] = a[1] = _mm256_setzero_ps();
  int64_t p = 0;
  for (; p + 4 <= k; p += 4) {
    const float* r = panel + p * 16;
    // The panels stream from memory once: fetch the rows 64 ahead (4 KiB), one line each.
    for (int q = 0; q < 4; ++q) _mm_prefetch(reinterpret_cast<const char*>(r + (64 + q) * 16), _MM_HINT_T0);
    for (int q = 0; q < 4; ++q) {
      const __m256 vq = _mm256_set1_ps(v[p + q]);
      acc[q][0] = _mm256_fmadd_ps(vq, _mm256_loadu_ps(r + q * 16), acc[q][0]);
      acc[q][1] = _mm256_fmadd_ps(vq, _mm256_loadu_ps(r + q * 16 + 8), acc[q][1]);
    }
  }
  for (; p < k; ++p) {
    const __m256 vp = _mm256_set1_ps(v[p]);
    acc[0][0] = _mm256_fmadd_ps(vp, _mm256_loadu_ps(panel + p * 16), acc[0][0]);
    acc[0][1] = _mm256_fmadd_ps(vp, _mm256_loadu_ps(panel + p * 16 + 8), acc[0][1]);
  }
  alignas(32) float s[16];
  for (int h = 0; h < 2; ++h)
    _mm256_store_ps(s + 8 * h, _mm256_add_ps(_mm256_add_ps(acc[0][h], acc[1][h]), _mm256_add_ps(acc[2][h], acc[3][h])));
  for (int64_t j = 0; j < n; ++j) y[j] = beta == 0.f ? alpha * s[j] : alpha * s[j] + beta * y[j];
}

}  // namespace onyx::mlas

#endif  // ONYX_MLAS_X86_KERNELS
