// AVX2 + FMA depthwise kernels, compiled with -mavx2 -mfma. Intrinsics and raw loops only
// (see nn_depthwise_kernels.h).
//
// The kernels read the input plane in place. Kernel rows above or below the plane read a row of
// zeros instead. Column groups whose taps all fall inside the row load plainly; the others (at most
// a couple per row, next to the pads) use masked loads, which read zeros outside [0, width) and
// never fault there.
#include "mlas/nn_depthwise_kernels.h"

#if ONYX_MLAS_DEPTHWISE_AVX2
#include <immintrin.h>

namespace onyx::mlas {

namespace {

#define DW_INLINE inline __attribute__((always_inline))
#ifndef DW_P31
#define DW_P31 2
#define DW_P32 2
#define DW_P51 2
#define DW_P52 4
#endif

// Loads per kernel row for 8 outputs: one per tap at stride 1; at stride 2 a pair of vectors per
// even tap (the pair at j also yields tap j + 1).
template <int K, int S>
inline constexpr int kLoads = S == 1 ? K : 2 * ((K + 1) / 2);

// Offset from the group's first input column of each load.
template <int K, int S>
constexpr int LoadOffset(int l) {
  return S == 1 ? l : (l / 2) * 2 + (l % 2) * 8;
}

// Lanes whose input column (col0 + lane) lies in [0, width).
DW_INLINE __m256i ColumnMask(int64_t col0, int64_t width) {
  const __m256i c = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(col0)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  return _mm256_and_si256(_mm256_cmpgt_epi32(c, _mm256_set1_epi32(-1)),
                          _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(width)), c));
}

// The K taps of one kernel row for 8 consecutive outputs whose first input column is p.
// Stride 2 deinterleaves pairs of vectors: shuffle_ps keeps each 128-bit half apart, so lanes come
// out in the order of outputs 0 1 4 5 2 3 6 7 — the same for every tap, so the accumulators carry
// that order and one permute per 8 outputs restores it.
// How a column group loads: Plain inside the row; Anded where the loads stay inside the plane
// (or the zero row) but lanes outside the row must read as zero; Masked where they could leave it.
enum class Load { Plain, Anded, Masked };

template <int K, int S, Load kLoad>
DW_INLINE void LoadTaps(const float* p, const __m256i* masks, __m256 (&x)[K]) {
  __m256 v[kLoads<K, S>];
#pragma GCC unroll 8
  for (int l = 0; l < kLoads<K, S>; ++l) {
    if constexpr (kLoad == Load::Masked)
      v[l] = _mm256_maskload_ps(p + LoadOffset<K, S>(l), masks[l]);
    else if constexpr (kLoad == Load::Anded)
      v[l] = _mm256_and_ps(_mm256_loadu_ps(p + LoadOffset<K, S>(l)), _mm256_castsi256_ps(masks[l]));
    else
      v[l] = _mm256_loadu_ps(p + LoadOffset<K, S>(l));
  }
  if constexpr (S == 1) {
#pragma GCC unroll 8
    for (int j = 0; j < K; ++j) x[j] = v[j];
  } else {
#pragma GCC unroll 8
    for (int j = 0; j < K; j += 2) {
      x[j] = _mm256_shuffle_ps(v[j], v[j + 1], _MM_SHUFFLE(2, 0, 2, 0));
      if (j + 1 < K) x[j + 1] = _mm256_shuffle_ps(v[j], v[j + 1], _MM_SHUFFLE(3, 1, 3, 1));
    }
  }
}

// Each output row's sum is split over P partial accumulators (tap q of the window goes to
// q % P), so that R * P independent FMA chains hide the FMA latency.
template <int K, int S, int R, int P, Load kLoad>
DW_INLINE void Group(const float* const* rows, int64_t col0, const __m256i* masks, const __m256 (&f)[K * K],
                     __m256 (&acc)[R * P]) {
  constexpr int kRows = (R - 1) * S + K;
#pragma GCC unroll 16
  for (int r = 0; r < kRows; ++r) {
    __m256 x[K];
    LoadTaps<K, S, kLoad>(rows[r] + col0, masks, x);
#pragma GCC unroll 8
    for (int t = 0; t < R; ++t) {
      const int i = r - t * S;
      if (i < 0 || i >= K) continue;
#pragma GCC unroll 8
      for (int j = 0; j < K; ++j) {
        __m256& a = acc[t * P + (i * K + j) % P];
        a = _mm256_fmadd_ps(f[i * K + j], x[j], a);
      }
    }
  }
}

// A column group that reaches past the row's ends. Kept out of line: the few edge groups then
// leave the registers of the main loop alone.
template <int K, int S, int R, int P>
__attribute__((noinline)) void EdgeGroup(const float* const* rows, int64_t col0, int64_t width, bool in_plane,
                                         const __m256 (&f)[K * K], __m256 (&acc)[R * P]) {
  __m256i masks[kLoads<K, S>];
  for (int l = 0; l < kLoads<K, S>; ++l) masks[l] = ColumnMask(col0 + LoadOffset<K, S>(l), width);
  if (in_plane)
    Group<K, S, R, P, Load::Anded>(rows, col0, masks, f, acc);
  else
    Group<K, S, R, P, Load::Masked>(rows, col0, masks, f, acc);
}

struct PlaneArgs {
  int64_t height, width, pad_left, out_w;
  __m256 bias, lo, hi;
};

// R output rows at once (rows[r]: input row r of their windows): each input row's taps are loaded
// once and feed every output row whose window covers it. Columns go 8 at a time, always stored as
// whole vectors (a masked store is slow on some CPUs); rows_left counts the plane's rows from this
// block's first on, so that the plane's last rows avoid writing past its end.
// ih0, ih1: the block's first and last input rows inside the plane (ih0 > ih1: none).
template <int K, int S, int R, int P>
DW_INLINE void RowBlock(const float* const* rows, int64_t ih0, int64_t ih1, const __m256 (&f)[K * K],
                        const PlaneArgs& a, int64_t rows_left, float* out) {
  constexpr int64_t kSpan = LoadOffset<K, S>(kLoads<K, S> - 1) + 8;  // columns one group reads
  const int64_t out_w = a.out_w;
  for (int64_t ow0 = 0; ow0 < out_w; ow0 += 8) {
    // The last group of a row at least 8 wide ends at the row's end, overlapping the one before.
    const int64_t ow = ow0 + 8 > out_w && out_w >= 8 ? out_w - 8 : ow0;
    const int64_t col0 = ow * S - a.pad_left;
    __m256 acc[R * P];
#pragma GCC unroll 16
    for (int q = 0; q < R * P; ++q) acc[q] = q % P == 0 ? a.bias : _mm256_setzero_ps();
    if (col0 >= 0 && col0 + kSpan <= a.width) {
      Group<K, S, R, P, Load::Plain>(rows, col0, nullptr, f, acc);
    } else {
      // Loads past a row's ends read its neighbours, harmless (masked off) while inside the plane.
      const bool in_plane =
          ih0 > ih1 || (ih0 * a.width + col0 >= 0 && ih1 * a.width + col0 + kSpan <= a.height * a.width);
      EdgeGroup<K, S, R, P>(rows, col0, a.width, in_plane, f, acc);
    }
#pragma GCC unroll 8
    for (int t = 0; t < R; ++t) {
      __m256 v = acc[t * P];
#pragma GCC unroll 8
      for (int q = 1; q < P; ++q) v = _mm256_add_ps(v, acc[t * P + q]);
      if constexpr (S == 2) v = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
      v = _mm256_min_ps(a.hi, _mm256_max_ps(a.lo, v));
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

template <int K, int S, int R, int P>
void Plane(const DepthwisePlane& p, const float* filter, float bias, float lo, float hi, float* out) {
  __m256 f[K * K];
  for (int i = 0; i < K * K; ++i) f[i] = _mm256_set1_ps(filter[i]);
  const PlaneArgs a{p.height, p.width, p.pad_left, p.out_w, _mm256_set1_ps(bias), _mm256_set1_ps(lo), _mm256_set1_ps(hi)};
  auto row = [&](int64_t ih) { return ih >= 0 && ih < p.height ? p.in + ih * p.width : p.zeros; };
  auto clamp = [](int64_t v, int64_t lo_, int64_t hi_) { return v < lo_ ? lo_ : (v > hi_ ? hi_ : v); };
  int64_t oh = 0;
  for (; oh + R <= p.out_h; oh += R) {
    constexpr int kRows = (R - 1) * S + K;
    const int64_t top = oh * S - p.pad_top;
    const float* rows[kRows];
    for (int r = 0; r < kRows; ++r) rows[r] = row(top + r);
    RowBlock<K, S, R, P>(rows, clamp(top, 0, p.height), clamp(top + kRows - 1, -1, p.height - 1), f, a, p.out_h - oh,
                      out + oh * p.out_w);
  }
  for (; oh < p.out_h; ++oh) {
    const int64_t top = oh * S - p.pad_top;
    const float* rows[K];
    for (int r = 0; r < K; ++r) rows[r] = row(top + r);
    RowBlock<K, S, 1, P>(rows, clamp(top, 0, p.height), clamp(top + K - 1, -1, p.height - 1), f, a, p.out_h - oh,
                      out + oh * p.out_w);
  }
}

}  // namespace

bool DepthwiseAvx2(const DepthwisePlane& p, const float* filter, float bias, int k, int stride, float lo, float hi,
                   float* out) {
  if (k == 3 && stride == 1) return Plane<3, 1, 2, DW_P31>(p, filter, bias, lo, hi, out), true;
  if (k == 3 && stride == 2) return Plane<3, 2, 2, DW_P32>(p, filter, bias, lo, hi, out), true;
  if (k == 5 && stride == 1) return Plane<5, 1, 2, DW_P51>(p, filter, bias, lo, hi, out), true;
  if (k == 5 && stride == 2) return Plane<5, 2, 1, DW_P52>(p, filter, bias, lo, hi, out), true;
  return false;
}

}  // namespace onyx::mlas

#endif
