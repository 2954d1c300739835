// AVX2 + FMA depthwise kernels, compiled with -mavx2 -mfma. Intrinsics and raw loops only
// (see nn_depthwise_kernels.h).
#include "mlas/nn_depthwise_kernels.h"

#if ONYX_MLAS_DEPTHWISE_AVX2
#include <immintrin.h>

namespace onyx::mlas {

namespace {

#define DW_INLINE inline __attribute__((always_inline))

// The K taps of one kernel row for 8 consecutive outputs starting at p (input column of output 0).
// Stride 2 deinterleaves pairs of vectors: shuffle_ps keeps each 128-bit half apart, so lanes come
// out in the order of outputs 0 1 4 5 2 3 6 7 — the same for every tap, so the accumulators carry
// that order and one permute per 8 outputs restores it.
template <int K, int S>
DW_INLINE void LoadTaps(const float* p, __m256 (&x)[K]) {
  if constexpr (S == 1) {
#pragma GCC unroll 8
    for (int j = 0; j < K; ++j) x[j] = _mm256_loadu_ps(p + j);
  } else {
#pragma GCC unroll 8
    for (int j = 0; j < K; j += 2) {
      const __m256 a = _mm256_loadu_ps(p + j), b = _mm256_loadu_ps(p + j + 8);
      x[j] = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
      if (j + 1 < K) x[j + 1] = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    }
  }
}

// R output rows at once: each input row's taps are loaded once and feed every output row whose
// window covers it. Columns go 8 at a time, always whole vectors (a masked store is slow on some
// CPUs); rows_left counts the plane's rows from this block's first on, so that the plane's last
// rows avoid writing past its end.
template <int K, int S, int R>
DW_INLINE void RowBlock(const float* in, int64_t pitch, const __m256 (&f)[K * K], __m256 vbias, __m256 lo, __m256 hi,
                        int64_t out_w, int64_t rows_left, float* out) {
  constexpr int kRows = (R - 1) * S + K;
  for (int64_t ow0 = 0; ow0 < out_w; ow0 += 8) {
    // The last group of a row at least 8 wide ends at the row's end, overlapping the one before.
    const int64_t ow = ow0 + 8 > out_w && out_w >= 8 ? out_w - 8 : ow0;
    __m256 acc[R];
#pragma GCC unroll 8
    for (int t = 0; t < R; ++t) acc[t] = vbias;
#pragma GCC unroll 16
    for (int r = 0; r < kRows; ++r) {
      __m256 x[K];
      LoadTaps<K, S>(in + r * pitch + ow * S, x);
#pragma GCC unroll 8
      for (int t = 0; t < R; ++t) {
        const int i = r - t * S;
        if (i < 0 || i >= K) continue;
#pragma GCC unroll 8
        for (int j = 0; j < K; ++j) acc[t] = _mm256_fmadd_ps(f[i * K + j], x[j], acc[t]);
      }
    }
#pragma GCC unroll 8
    for (int t = 0; t < R; ++t) {
      __m256 v = acc[t];
      if constexpr (S == 2) v = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
      v = _mm256_min_ps(hi, _mm256_max_ps(lo, v));
      float* o = out + t * out_w + ow;
      if (out_w >= 8 || (rows_left - t) * out_w >= 8) {
        // A row narrower than 8 spills into the rows after it, which are stored later.
        _mm256_storeu_ps(o, v);
      } else {
        alignas(32) float tmp[8];
        _mm256_store_ps(tmp, v);
        for (int64_t q = 0; q < out_w; ++q) o[q] = tmp[q];
      }
    }
  }
}

// Hides v's value from the optimiser, so that the loops below stay vector loops rather than
// becoming memset/memcpy calls, whose overhead dominates on the short rows of small planes.
DW_INLINE __m256 Opaque(__m256 v) {
  asm("" : "+x"(v));
  return v;
}

// Rows [0, rows) x columns [0, pitch) of padded (pitch a multiple of 8) = the input shifted by the
// pads, zero outside it. May write zeros up to 8 floats past the last row.
void FillPadded(const float* in, int64_t height, int64_t width, int64_t pad_top, int64_t pad_left, int64_t rows,
                int64_t pitch, float* padded) {
  // Input columns that land inside the row.
  const int64_t n = pad_left >= pitch ? 0 : (width < pitch - pad_left ? width : pitch - pad_left);
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n % 8)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int64_t r = 0; r < rows; ++r) {
    float* dst = padded + r * pitch;
    const int64_t ih = r - pad_top;
    int64_t c = 0;  // columns [0, c) are written
    if (ih >= 0 && ih < height && n > 0) {
      for (; c < pad_left; c += 8) _mm256_storeu_ps(dst + c, Opaque(_mm256_setzero_ps()));
      const float* src = in + ih * width;
      float* d = dst + pad_left;
      int64_t q = 0;
      for (; q + 8 <= n; q += 8) _mm256_storeu_ps(d + q, Opaque(_mm256_loadu_ps(src + q)));
      // The last partial vector, zeros past the row's end, is stored whole. Reading past the row
      // is safe while it stays in the plane; past it, a masked load (which never faults on
      // masked-off lanes, but is slower on some CPUs) is used instead.
      if (q < n) {
        const __m256 v = (ih * width + q + 8 <= height * width)
                             ? _mm256_and_ps(_mm256_loadu_ps(src + q), _mm256_castsi256_ps(tail))
                             : _mm256_maskload_ps(src + q, tail);
        _mm256_storeu_ps(d + q, v);
        q += 8;
      }
      c = pad_left + q;
    }
    for (; c < pitch; c += 8) _mm256_storeu_ps(dst + c, Opaque(_mm256_setzero_ps()));
  }
}

template <int K, int S, int R>
void Plane(const float* padded, int64_t pitch, const float* filter, float bias, int64_t out_h, int64_t out_w,
           float lo, float hi, float* out) {
  __m256 f[K * K];
  for (int i = 0; i < K * K; ++i) f[i] = _mm256_set1_ps(filter[i]);
  const __m256 vbias = _mm256_set1_ps(bias), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
  int64_t oh = 0;
  for (; oh + R <= out_h; oh += R)
    RowBlock<K, S, R>(padded + oh * S * pitch, pitch, f, vbias, vlo, vhi, out_w, out_h - oh, out + oh * out_w);
  for (; oh < out_h; ++oh)
    RowBlock<K, S, 1>(padded + oh * S * pitch, pitch, f, vbias, vlo, vhi, out_w, out_h - oh, out + oh * out_w);
}

}  // namespace

bool DepthwiseAvx2(const float* in, int64_t height, int64_t width, int64_t pad_top, int64_t pad_left,
                   const float* filter, float bias, int k, int stride, int64_t out_h, int64_t out_w, float lo, float hi,
                   int64_t pitch, float* padded, float* out) {
  if (!((k == 3 || k == 5) && (stride == 1 || stride == 2))) return false;
  FillPadded(in, height, width, pad_top, pad_left, (out_h - 1) * stride + k, pitch, padded);
  if (k == 3 && stride == 1) return Plane<3, 1, 2>(padded, pitch, filter, bias, out_h, out_w, lo, hi, out), true;
  if (k == 3 && stride == 2) return Plane<3, 2, 2>(padded, pitch, filter, bias, out_h, out_w, lo, hi, out), true;
  if (k == 5 && stride == 1) return Plane<5, 1, 2>(padded, pitch, filter, bias, out_h, out_w, lo, hi, out), true;
  if (k == 5 && stride == 2) return Plane<5, 2, 1>(padded, pitch, filter, bias, out_h, out_w, lo, hi, out), true;
  return false;
}

}  // namespace onyx::mlas

#endif
