// AVX2 + FMA depthwise kernels, compiled with -mavx2 -mfma. Intrinsics and raw loops only
// (see nn_depthwise_kernels.h).
//
// Kernel rows above or below the plane read a shared row of zeros. The other rows are read either
// from a copy of the plane with zeros on both sides of each row (stride 1, and narrow stride-2
// planes: PaddedPitch), where every column group loads plainly, or in place, where the column
// groups that reach past a row's ends (a couple per row) mask the lanes outside it.
#include "mlas/nn_depthwise_kernels.h"

#if ONYX_MLAS_DEPTHWISE_AVX2
#include <immintrin.h>

namespace onyx::mlas {

namespace {

#define DW_INLINE inline __attribute__((always_inline))
// Stride-2 planes wider than this many outputs are read in place (see PaddedPitch).
#ifndef DW_PADDED_MAX_WIDTH_S2
#define DW_PADDED_MAX_WIDTH_S2 32
#endif
constexpr int64_t kPaddedMaxWidthS2 = DW_PADDED_MAX_WIDTH_S2;

// Output rows per pass (R) and partial sums per row (P) for each kernel size and stride, as
// measured best on an AVX2 Zen machine; -D overrides them for tuning.
#ifndef DW_R31
#define DW_R31 4
#endif
#ifndef DW_P31
#define DW_P31 1
#endif
#ifndef DW_R32
#define DW_R32 2
#endif
#ifndef DW_P32
#define DW_P32 2
#endif
#ifndef DW_R51
#define DW_R51 4
#endif
#ifndef DW_P51
#define DW_P51 1
#endif
#ifndef DW_R52
#define DW_R52 3
#endif
#ifndef DW_P52
#define DW_P52 2
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

// How a column group loads: Plain inside the row; Anded where the loads stay inside the plane
// (or the zero row) but lanes outside the row must read as zero; Masked where they could leave it.
enum class Load { Plain, Anded, Masked };

// The K taps of one kernel row for 8 consecutive outputs whose first input column is p.
// Stride 2 deinterleaves pairs of vectors: shuffle_ps keeps each 128-bit half apart, so lanes come
// out in the order of outputs 0 1 4 5 2 3 6 7 — the same for every tap, so the accumulators carry
// that order and one permute per 8 outputs restores it.
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
template <int K, int S, int R, int P, bool kPadded>
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
    if (kPadded || (col0 >= 0 && col0 + kSpan <= a.width)) {
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

// Hides v's value from the optimiser, so that the loops below stay vector loops rather than
// becoming memset/memcpy calls, whose overhead dominates on short rows.
DW_INLINE __m256 Opaque(__m256 v) {
  asm("" : "+x"(v));
  return v;
}

template <int K, int S>
constexpr int64_t Span() {
  return LoadOffset<K, S>(kLoads<K, S> - 1) + 8;
}

// Column groups at a row's ends cost more than a copy of the row, except where a row holds many
// groups and the copy much input per output: so stride 1 planes, and stride 2 ones up to 32 outputs
// wide, are first copied into rows of `pitch` floats, the input row at offset pad_left and zeros
// around it, wide enough for every group's loads. Returns 0 for planes read in place.
template <int K, int S>
int64_t PaddedPitch(const DepthwisePlane& p) {
  if (S == 2 && p.out_w > kPaddedMaxWidthS2) return 0;
  const int64_t last_group = p.out_w > 8 ? p.out_w - 8 : 0;
  const int64_t data = p.pad_left + (p.width + 7) / 8 * 8;
  const int64_t reads = last_group * S + Span<K, S>();
  return ((data > reads ? data : reads) + 7) / 8 * 8;
}

void ZeroRows(int64_t rows, int64_t pitch, float* scratch) {
  for (int64_t c = 0; c < rows * pitch; c += 8) _mm256_storeu_ps(scratch + c, Opaque(_mm256_setzero_ps()));
}

// Copies the plane's rows into the padded rows, whose other columns ZeroRows cleared: the copy
// writes zeros past each row's end (up to the next multiple of 8), so they stay clear.
void CopyRows(const float* in, int64_t height, int64_t width, int64_t pad_left, int64_t pitch, float* scratch) {
  const int64_t n = width;
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n % 8)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int64_t ih = 0; ih < height; ++ih) {
    const float* src = in + ih * n;
    float* d = scratch + ih * pitch + pad_left;
    int64_t q = 0;
    for (; q + 8 <= n; q += 8) _mm256_storeu_ps(d + q, Opaque(_mm256_loadu_ps(src + q)));
    if (q < n) {
      // Reading past the row is safe while it stays in the plane; past it, a masked load (which
      // never faults on masked-off lanes) instead.
      const __m256 v = (ih * n + q + 8 <= height * n)
                           ? _mm256_and_ps(_mm256_loadu_ps(src + q), _mm256_castsi256_ps(tail))
                           : _mm256_maskload_ps(src + q, tail);
      _mm256_storeu_ps(d + q, v);
    }
  }
}

// Output rows [oh, oh + R) of the plane.
template <int K, int S, int R, int P, bool kPadded>
DW_INLINE void Block(const DepthwisePlane& p, const float* in, int64_t in_stride, const __m256 (&f)[K * K],
                     const PlaneArgs& a, int64_t oh, float* out) {
  constexpr int kRows = (R - 1) * S + K;
  const int64_t top = oh * S - p.pad_top;
  const float* rows[kRows];
  for (int r = 0; r < kRows; ++r) {
    const int64_t ih = top + r;
    rows[r] = ih >= 0 && ih < p.height ? in + ih * in_stride : p.zeros;
  }
  auto clamp = [](int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); };
  RowBlock<K, S, R, P, kPadded>(rows, clamp(top, 0, p.height), clamp(top + kRows - 1, -1, p.height - 1), f, a,
                                p.out_h - oh, out + oh * p.out_w);
}

// The last rem < R rows as one block of rem rows, so small planes share input rows to the end.
template <int K, int S, int R, int P, bool kPadded>
DW_INLINE void LastRows(const DepthwisePlane& p, const float* in, int64_t in_stride, const __m256 (&f)[K * K],
                        const PlaneArgs& a, int64_t oh, int64_t rem, float* out) {
  if constexpr (R > 1) {
    if (rem == R - 1) return Block<K, S, R - 1, P, kPadded>(p, in, in_stride, f, a, oh, out);
    LastRows<K, S, R - 1, P, kPadded>(p, in, in_stride, f, a, oh, rem, out);
  }
}

// 5x5 kernels keep the last rows out of line, where they leave the main loop's registers alone.
template <int K, int S, int R, int P, bool kPadded>
__attribute__((noinline)) void LastRowsOutOfLine(const DepthwisePlane& p, const float* in, int64_t in_stride,
                                                 const __m256 (&f)[K * K], const PlaneArgs& a, int64_t oh,
                                                 int64_t rem, float* out) {
  LastRows<K, S, R, P, kPadded>(p, in, in_stride, f, a, oh, rem, out);
}

template <int K, int S, int R, int P, bool kPadded>
void Rows(const DepthwisePlane& p, const float* in, int64_t in_stride, const __m256 (&f)[K * K], const PlaneArgs& a,
          float* out) {
  int64_t oh = 0;
  for (; oh + R <= p.out_h; oh += R) Block<K, S, R, P, kPadded>(p, in, in_stride, f, a, oh, out);
  if (oh == p.out_h) return;
  if constexpr (K >= 5)
    LastRowsOutOfLine<K, S, R, P, kPadded>(p, in, in_stride, f, a, oh, p.out_h - oh, out);
  else
    LastRows<K, S, R, P, kPadded>(p, in, in_stride, f, a, oh, p.out_h - oh, out);
}

template <int K, int S, int R, int P>
void Planes(const DepthwisePlane& p, const DepthwiseBatch& b, float lo, float hi, float* scratch) {
  const int64_t pitch = PaddedPitch<K, S>(p);
  if (pitch > 0) ZeroRows(p.height, pitch, scratch);
  for (int64_t q = 0; q < b.count; ++q) {
    __m256 f[K * K];
    for (int i = 0; i < K * K; ++i) f[i] = _mm256_set1_ps(b.filter[q * K * K + i]);
    const PlaneArgs a{p.height, p.width, p.pad_left, p.out_w, _mm256_set1_ps(b.bias ? b.bias[q] : 0.f),
                      _mm256_set1_ps(lo), _mm256_set1_ps(hi)};
    const float* in = p.in + q * b.in_stride;
    float* out = b.out + q * p.out_h * p.out_w;
    if constexpr (S == 2) {
      if (pitch == 0) {
        DepthwisePlane pq = p;
        pq.in = in;
        Rows<K, S, R, P, false>(pq, in, p.width, f, a, out);
        continue;
      }
    }
    CopyRows(in, p.height, p.width, p.pad_left, pitch, scratch);
    Rows<K, S, R, P, true>(p, scratch + p.pad_left, pitch, f, a, out);
  }
}

}  // namespace

int64_t DepthwiseAvx2ScratchSize(const DepthwisePlane& p, int k, int stride) {
  int64_t pitch = 0;
  if (k == 3 && stride == 1) pitch = PaddedPitch<3, 1>(p);
  if (k == 3 && stride == 2) pitch = PaddedPitch<3, 2>(p);
  if (k == 5 && stride == 1) pitch = PaddedPitch<5, 1>(p);
  if (k == 5 && stride == 2) pitch = PaddedPitch<5, 2>(p);
  return pitch * p.height;
}

bool DepthwiseAvx2(const DepthwisePlane& p, const DepthwiseBatch& b, int k, int stride, float lo, float hi,
                   float* scratch) {
  if (k == 3 && stride == 1) return Planes<3, 1, DW_R31, DW_P31>(p, b, lo, hi, scratch), true;
  if (k == 3 && stride == 2) return Planes<3, 2, DW_R32, DW_P32>(p, b, lo, hi, scratch), true;
  if (k == 5 && stride == 1) return Planes<5, 1, DW_R51, DW_P51>(p, b, lo, hi, scratch), true;
  if (k == 5 && stride == 2) return Planes<5, 2, DW_R52, DW_P52>(p, b, lo, hi, scratch), true;
  return false;
}

}  // namespace onyx::mlas

#endif
