#pragma once
// Device helpers of the CUDA nn kernels.
#include <cuda_runtime.h>

#include <cstdint>

namespace onyx::cuda {

// For `planes` planes of up to 3 spatial dims (leading dims 1 when fewer):
// dst[p, o] = src[p, o + offset] where that lies inside src's dims, else zero. Copies raw
// elements of elem_size 2 or 4 bytes. Pads Conv inputs (negative offsets) and crops
// ConvTranspose outputs (positive offsets). Check the launch after.
void LaunchWindowCopy(int elem_size, const void* src, const int64_t src_dims[3], void* dst, const int64_t dst_dims[3],
                      const int64_t offset[3], int64_t planes, cudaStream_t stream);

// y[p] = mean (average) or max of the `n` contiguous elements of plane p; n == 0 gives 0
// (average) or -inf (max). half: float16 elements, else float.
void LaunchGlobalPool(bool half, bool max, const void* x, void* y, int64_t planes, int64_t n, cudaStream_t stream);

// BatchNormalization inference, folded per channel: a[c] = scale[c] / sqrt(var[c] + eps),
// b[c] = bias[c] - mean[c] * a[c] (float), then y = x * a[c] + b[c] with c = (i / inner) % C.
// Each parameter pointer is float16 when its *_half flag is set, else float.
void LaunchBatchNormFold(const void* scale, bool scale_half, const void* bias, bool bias_half, const void* mean,
                         bool mean_half, const void* var, bool var_half, float epsilon, float* a, float* b, int64_t C,
                         cudaStream_t stream);
void LaunchChannelAffine(bool half, const void* x, const float* a, const float* b, void* y, int64_t total, int64_t C,
                         int64_t inner, cudaStream_t stream);

}  // namespace onyx::cuda
