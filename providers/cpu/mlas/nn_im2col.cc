#include "mlas/nn_im2col.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/thread_pool.h"

namespace onyx::mlas {

namespace {

// Range of output positions o in [0, out) whose tap (offset = k * dilation - pad) lands inside
// [0, size): o * stride + offset in [0, size).
inline void ValidRange(int64_t offset, int64_t stride, int64_t size, int64_t out, int64_t* lo, int64_t* hi) {
  int64_t l = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = size - 1 - offset;  // o * stride <= last
  int64_t h = last < 0 ? 0 : last / stride + 1;
  l = std::min(l, out);
  h = std::clamp(h, l, out);
  *lo = l;
  *hi = h;
}

// One row of a 2-D im2col: tap (ki, kj) of channel plane `plane` for positions [ob, oe). Image
// rows lie row_stride apart (0: width).
template <typename T>
void Im2colRow2d(const T* plane, int64_t height, int64_t width, int64_t out_w, int64_t stride_h, int64_t stride_w,
                 int64_t off_h, int64_t off_w, int64_t ob, int64_t oe, T* dst, int64_t row_stride = 0) {
  if (row_stride == 0) row_stride = width;
  int64_t lo_w, hi_w;
  ValidRange(off_w, stride_w, width, out_w, &lo_w, &hi_w);
  int64_t o = ob;
  while (o < oe) {
    const int64_t oh = o / out_w, ow0 = o - oh * out_w;
    const int64_t ow1 = std::min(out_w, ow0 + (oe - o));
    const int64_t n = ow1 - ow0;
    const int64_t ih = oh * stride_h + off_h;
    if (ih < 0 || ih >= height) {
      std::fill(dst, dst + n, T(0));
    } else {
      const int64_t a = std::clamp(lo_w, ow0, ow1), b = std::clamp(hi_w, a, ow1);
      std::fill(dst, dst + (a - ow0), T(0));
      const T* src = plane + ih * row_stride + off_w;
      T* d = dst + (a - ow0);
      if (stride_w == 1) {
        if (b > a) std::memcpy(d, src + a, static_cast<size_t>(b - a) * sizeof(T));
      } else {
        for (int64_t ow = a; ow < b; ++ow) *d++ = src[ow * stride_w];
      }
      std::fill(dst + (b - ow0), dst + n, T(0));
    }
    dst += n;
    o += n;
  }
}

// Per-dim table: for output index o and tap k, the image coordinate or -1 when in padding.
std::vector<std::vector<int64_t>> CoordinateTables(const WindowShape& s) {
  std::vector<std::vector<int64_t>> t(static_cast<size_t>(s.rank));
  for (int64_t d = 0; d < s.rank; ++d) {
    auto& v = t[d];
    v.resize(static_cast<size_t>(s.output[d] * s.kernel[d]));
    for (int64_t o = 0; o < s.output[d]; ++o)
      for (int64_t k = 0; k < s.kernel[d]; ++k) {
        int64_t c = o * s.strides[d] - s.pad_begin[d] + k * s.dilations[d];
        v[o * s.kernel[d] + k] = (c >= 0 && c < s.input[d]) ? c : -1;
      }
  }
  return t;
}

// Calls fn(position_index, image_offset or -1) for positions [ob, oe) of one kernel tap.
template <typename Fn>
void ForEachPosition(const WindowShape& s, const std::vector<std::vector<int64_t>>& tables, const int64_t* tap,
                     const int64_t* in_strides, int64_t ob, int64_t oe, Fn&& fn) {
  const int64_t rank = s.rank;
  std::vector<int64_t> idx(static_cast<size_t>(rank));
  int64_t rem = ob;
  for (int64_t d = rank - 1; d >= 0; --d) {
    idx[d] = rem % s.output[d];
    rem /= s.output[d];
  }
  const int64_t last = rank - 1;
  int64_t p = ob;
  while (p < oe) {
    // Offset contributed by all dims but the last; -1 marks padding.
    int64_t base = 0;
    bool valid = true;
    for (int64_t d = 0; d < last; ++d) {
      int64_t c = tables[d][idx[d] * s.kernel[d] + tap[d]];
      if (c < 0) { valid = false; break; }
      base += c * in_strides[d];
    }
    const int64_t run = std::min(s.output[last] - idx[last], oe - p);
    const auto& tl = tables[last];
    const int64_t kl = s.kernel[last], tl_tap = tap[last];
    for (int64_t i = 0; i < run; ++i) {
      int64_t c = valid ? tl[(idx[last] + i) * kl + tl_tap] : -1;
      fn(p + i, c < 0 ? -1 : base + c);
    }
    p += run;
    idx[last] += run;
    for (int64_t d = last; d > 0 && idx[d] >= s.output[d]; --d) {
      idx[d] = 0;
      ++idx[d - 1];
    }
  }
}

template <typename T>
void Im2colImpl(const T* image, int64_t channels, const WindowShape& s, int64_t ob, int64_t oe, T* col,
                ThreadPool* pool) {
  int64_t ksize = 1, in_size = 1;
  for (int64_t d = 0; d < s.rank; ++d) {
    ksize *= s.kernel[d];
    in_size *= s.input[d];
  }
  const int64_t rows = channels * ksize, cols = oe - ob;
  if (rows == 0 || cols <= 0) return;
  if (s.rank == 2 || s.rank == 1) {
    const int64_t H = s.rank == 2 ? s.input[0] : 1, W = s.input[s.rank - 1];
    const int64_t KW = s.kernel[s.rank - 1], OW = s.output[s.rank - 1];
    const int64_t SH = s.rank == 2 ? s.strides[0] : 1, SW = s.strides[s.rank - 1];
    const int64_t DH = s.rank == 2 ? s.dilations[0] : 1, DW = s.dilations[s.rank - 1];
    const int64_t PH = s.rank == 2 ? s.pad_begin[0] : 0, PW = s.pad_begin[s.rank - 1];
    ParallelFor(pool, rows, static_cast<double>(cols), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t c = r / ksize, k = r % ksize, ki = k / KW, kj = k % KW;
        Im2colRow2d(image + c * in_size, H, W, OW, SH, SW, ki * DH - PH, kj * DW - PW, ob, oe, col + r * cols);
      }
    });
    return;
  }
  const auto tables = CoordinateTables(s);
  std::vector<int64_t> in_strides(static_cast<size_t>(s.rank));
  for (int64_t d = s.rank - 1, st = 1; d >= 0; --d) {
    in_strides[d] = st;
    st *= s.input[d];
  }
  ParallelFor(pool, rows, static_cast<double>(cols) * 4, [&](int64_t r0, int64_t r1) {
    std::vector<int64_t> tap(static_cast<size_t>(s.rank));
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t c = r / ksize;
      int64_t k = r % ksize;
      for (int64_t d = s.rank - 1; d >= 0; --d) {
        tap[d] = k % s.kernel[d];
        k /= s.kernel[d];
      }
      const T* plane = image + c * in_size;
      T* dst = col + r * cols - ob;
      ForEachPosition(s, tables, tap.data(), in_strides.data(), ob, oe,
                      [&](int64_t p, int64_t off) { dst[p] = off < 0 ? T(0) : plane[off]; });
    }
  });
}

template <typename T>
void Col2imImpl(const T* col, int64_t channels, const WindowShape& s, int64_t ob, int64_t oe, T* image,
                ThreadPool* pool) {
  int64_t ksize = 1, in_size = 1;
  for (int64_t d = 0; d < s.rank; ++d) {
    ksize *= s.kernel[d];
    in_size *= s.input[d];
  }
  const int64_t cols = oe - ob;
  if (channels == 0 || ksize == 0 || cols <= 0) return;
  const auto tables = CoordinateTables(s);
  std::vector<int64_t> in_strides(static_cast<size_t>(s.rank));
  for (int64_t d = s.rank - 1, st = 1; d >= 0; --d) {
    in_strides[d] = st;
    st *= s.input[d];
  }
  ParallelFor(pool, channels, static_cast<double>(cols) * ksize * 4, [&](int64_t c0, int64_t c1) {
    std::vector<int64_t> tap(static_cast<size_t>(s.rank));
    for (int64_t c = c0; c < c1; ++c) {
      T* plane = image + c * in_size;
      for (int64_t k = 0; k < ksize; ++k) {
        int64_t rem = k;
        for (int64_t d = s.rank - 1; d >= 0; --d) {
          tap[d] = rem % s.kernel[d];
          rem /= s.kernel[d];
        }
        const T* src = col + (c * ksize + k) * cols - ob;
        ForEachPosition(s, tables, tap.data(), in_strides.data(), ob, oe, [&](int64_t p, int64_t off) {
          if (off >= 0) plane[off] += src[p];
        });
      }
    }
  });
}

}  // namespace

Im2colPanels::Im2colPanels(const float* image, int64_t channels, const WindowShape& s) : image_(image) {
  const bool two_d = s.rank == 2;
  in_h_ = two_d ? s.input[0] : 1, in_w_ = s.input[s.rank - 1];
  out_w_ = s.output[s.rank - 1];
  kernel_h_ = two_d ? s.kernel[0] : 1, kernel_w_ = s.kernel[s.rank - 1];
  stride_h_ = two_d ? s.strides[0] : 1, stride_w_ = s.strides[s.rank - 1];
  dilation_h_ = two_d ? s.dilations[0] : 1, dilation_w_ = s.dilations[s.rank - 1];
  pad_h_ = two_d ? s.pad_begin[0] : 0, pad_w_ = s.pad_begin[s.rank - 1];
  // A strided window reads every stride_w-th column: a gather per value. When the patches hold
  // more than twice the image (a 7x7 or 3x3 window at stride 2), each image row is first split
  // into its stride_w phases (columns q, q + stride_w, ...), so that every patch row is a
  // contiguous run of one phase.
  const int64_t out_h = two_d ? s.output[0] : 1;
  if (stride_w_ > 1 && kernel_h_ * kernel_w_ * out_h * out_w_ > 2 * in_h_ * in_w_) {
    phase_begin_.resize(static_cast<size_t>(stride_w_) + 1, 0);
    for (int64_t q = 0; q < stride_w_; ++q)
      phase_begin_[q + 1] = phase_begin_[q] + (in_w_ > q ? (in_w_ - q + stride_w_ - 1) / stride_w_ : 0);
    phased_.resize(static_cast<size_t>(channels * in_h_ * in_w_));
    for (int64_t r = 0; r < channels * in_h_; ++r) {
      const float* src = image + r * in_w_;
      float* dst = phased_.data() + r * in_w_;
      for (int64_t q = 0; q < stride_w_; ++q)
        for (int64_t i = q, o = phase_begin_[q]; i < in_w_; i += stride_w_) dst[o++] = src[i];
    }
  }
}

void Im2colPanels::Pack(int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t nr, float* out) const {
  // Each row goes through a buffer that stays in L1, then into its panels.
  thread_local std::vector<float> row;
  if (row.size() < static_cast<size_t>(nc)) row.resize(static_cast<size_t>(nc));
  const int64_t ksize = kernel_h_ * kernel_w_, in_size = in_h_ * in_w_;
  for (int64_t p = 0; p < kc; ++p) {
    const int64_t r = p0 + p, c = r / ksize, k = r % ksize, ki = k / kernel_w_, kj = k % kernel_w_;
    const int64_t off_h = ki * dilation_h_ - pad_h_, off_w = kj * dilation_w_ - pad_w_;
    if (!phased_.empty()) {
      // Column ow * stride + off_w is element ow + base of phase q.
      const int64_t q = ((off_w % stride_w_) + stride_w_) % stride_w_, base = (off_w - q) / stride_w_;
      Im2colRow2d(phased_.data() + c * in_size + phase_begin_[q], in_h_, phase_begin_[q + 1] - phase_begin_[q], out_w_,
                  stride_h_, int64_t{1}, off_h, base, j0, j0 + nc, row.data(), in_w_);
    } else {
      Im2colRow2d(image_ + c * in_size, in_h_, in_w_, out_w_, stride_h_, stride_w_, off_h, off_w, j0, j0 + nc, row.data());
    }
    RowToPanels(row.data(), nc, nr, kc, out + p * nr);
  }
}

void Im2col(const float* image, int64_t channels, const WindowShape& shape, int64_t out_begin, int64_t out_end,
            float* col, ThreadPool* pool) {
  Im2colImpl(image, channels, shape, out_begin, out_end, col, pool);
}
void Im2col(const double* image, int64_t channels, const WindowShape& shape, int64_t out_begin, int64_t out_end,
            double* col, ThreadPool* pool) {
  Im2colImpl(image, channels, shape, out_begin, out_end, col, pool);
}
void Col2imAdd(const float* col, int64_t channels, const WindowShape& shape, int64_t out_begin, int64_t out_end,
               float* image, ThreadPool* pool) {
  Col2imImpl(col, channels, shape, out_begin, out_end, image, pool);
}
void Col2imAdd(const double* col, int64_t channels, const WindowShape& shape, int64_t out_begin, int64_t out_end,
               double* image, ThreadPool* pool) {
  Col2imImpl(col, channels, shape, out_begin, out_end, image, pool);
}

}  // namespace onyx::mlas
