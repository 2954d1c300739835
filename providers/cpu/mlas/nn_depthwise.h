#pragma once
// Direct 2-D convolution of one channel plane with one filter (the depthwise case, where
// im2col + GEMM would be a matrix-vector product per channel).
#include <cstdint>

#include "mlas/fused_activation.h"

namespace onyx::mlas {

struct DepthwiseShape {
  int64_t height, width;          // input plane
  int64_t kernel_h, kernel_w;
  int64_t stride_h, stride_w;
  int64_t dilation_h, dilation_w;
  int64_t pad_top, pad_left;
  int64_t out_h, out_w;           // output plane
};

// out (out_h x out_w) = bias + sum over the window of in (height x width) * filter
// (kernel_h x kernel_w); taps that fall into padding contribute nothing. With `activation`, out is
// then act(out) — Relu and Clip fused into the kernel's stores where it can, other kinds applied to
// the finished plane.
void DepthwiseConv2d(const float* in, const float* filter, float bias, const DepthwiseShape& s, float* out,
                     const Activation* activation = nullptr);
void DepthwiseConv2d(const double* in, const double* filter, double bias, const DepthwiseShape& s, double* out,
                     const Activation* activation = nullptr);

// `count` planes at once, all of shape s: plane q reads in + q * in_stride, filter
// + q * kernel_h * kernel_w and bias ? bias[q] : 0, and writes out + q * out_h * out_w.
void DepthwiseConv2dPlanes(const float* in, int64_t in_stride, const float* filter, const float* bias, int64_t count,
                           const DepthwiseShape& s, float* out, const Activation* activation = nullptr);
void DepthwiseConv2dPlanes(const double* in, int64_t in_stride, const double* filter, const double* bias,
                           int64_t count, const DepthwiseShape& s, double* out, const Activation* activation = nullptr);

}  // namespace onyx::mlas
