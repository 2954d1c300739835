#pragma once
// Depthwise micro-kernels per ISA tier, each in its own translation unit compiled with that tier's
// flags (as sgemm_kernels.h: declarations only, so no inline code built with AVX flags can be
// picked by the linker for code that runs on older CPUs).
#include <cstdint>

namespace onyx::mlas {

// Square K x K kernels (K = 3 or 5), stride S = 1 or 2 in both directions, no dilation, any pads:
//   out[oh * out_w + ow] = min(hi, max(lo, bias + sum_ij filter[i * K + j] * x(oh*S + i - pad_top, ow*S + j - pad_left)))
// where x is the input plane (height x width), zero outside it, and NaN passes through the clamp.
// The input is first copied into `padded` (DepthwisePaddedSize floats, with slack, rows of `pitch` =
// DepthwisePaddedPitch floats) so the kernel reads whole vectors of 8 outputs without bounds tests.
inline int64_t DepthwisePaddedPitch(int64_t k, int64_t stride, int64_t out_w) {
  return (stride * 8 * ((out_w + 7) / 8) + k - 1 + 7) / 8 * 8;
}
inline int64_t DepthwisePaddedSize(int64_t k, int64_t stride, int64_t out_h, int64_t out_w) {
  return ((out_h - 1) * stride + k) * DepthwisePaddedPitch(k, stride, out_w) + 8;
}

#if defined(__x86_64__) || defined(_M_X64)
#define ONYX_MLAS_DEPTHWISE_AVX2 1
// Returns false (and writes nothing) when (k, stride) is not one it handles.
bool DepthwiseAvx2(const float* in, int64_t height, int64_t width, int64_t pad_top, int64_t pad_left,
                   const float* filter, float bias, int k, int stride, int64_t out_h, int64_t out_w, float lo, float hi,
                   int64_t pitch, float* padded, float* out);
#endif

}  // namespace onyx::mlas
