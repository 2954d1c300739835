#pragma once
// Depthwise micro-kernels per ISA tier, each in its own translation unit compiled with that tier's
// flags (as sgemm_kernels.h: declarations only, so no inline code built with AVX flags can be
// picked by the linker for code that runs on older CPUs).
#include <cstdint>

namespace onyx::mlas {

// The input planes' shape as the kernels read them: height x width floats (`in`: the first), and `zeros`, a row of zeros that
// stands in for the rows of the top and bottom pads, readable at offsets
// [-pad_left, DepthwiseZerosEnd(k, stride, out_w)).
struct DepthwisePlane {
  const float* in;
  const float* zeros;
  int64_t height, width;
  int64_t pad_top, pad_left;  // >= 0
  int64_t out_h, out_w;       // >= 1
};

inline int64_t DepthwiseZerosEnd(int64_t k, int64_t stride, int64_t out_w) {
  return (out_w > 8 ? out_w : 8) * stride + k + 16;
}

// `count` planes of that shape: plane q reads in + q * in_stride with filter + q * k * k and
// bias ? bias[q] : 0, and writes out + q * out_h * out_w.
struct DepthwiseBatch {
  int64_t count, in_stride;
  const float* filter;
  const float* bias;
  float* out;
};

#if defined(__x86_64__) || defined(_M_X64)
#define ONYX_MLAS_DEPTHWISE_AVX2 1
// Square k x k kernels (k = 3 or 5), the same stride (1 or 2) in both directions, no dilation:
//   out[oh * out_w + ow] = min(hi, max(lo, bias + sum_ij filter[i * k + j] * x(oh*stride + i - pad_top, ow*stride + j - pad_left)))
// where x is the input plane, zero outside it; NaN passes through the clamp. Returns false (and
// writes nothing) for another k or stride. Widths and pads must fit in int32 (column masks).
// `scratch`: DepthwiseAvx2ScratchSize floats (may be null where that is 0), the plane's copy.
int64_t DepthwiseAvx2ScratchSize(const DepthwisePlane& p, int k, int stride);
bool DepthwiseAvx2(const DepthwisePlane& p, const DepthwiseBatch& b, int k, int stride, float lo, float hi,
                   float* scratch);
#endif

}  // namespace onyx::mlas
