#pragma once
// 2-D max and sum pooling of one float plane. Taps in padding are skipped; average pooling
// divides the sums by its own counts afterwards.
#include <cstdint>

namespace onyx::mlas {

struct Pool2dShape {
  int64_t height, width;          // input plane
  int64_t kernel_h, kernel_w;
  int64_t stride_h, stride_w;
  int64_t dilation_h, dilation_w;
  int64_t pad_top, pad_left;
  int64_t out_h, out_w;           // output plane
};

// out = max over each window's valid taps (-inf for a window with none).
void MaxPool2d(const float* in, const Pool2dShape& s, float* out);
// out = sum over each window's valid taps.
void SumPool2d(const float* in, const Pool2dShape& s, float* out);

}  // namespace onyx::mlas
