#pragma once
// Launch functions of the row-wise CUDA kernels: Softmax/LogSoftmax and LayerNormalization.
// Plain pointers and sizes; no onyx headers. Each returns the launch status; nothing is
// launched for an empty tensor.
#include <cuda_runtime.h>

#include <cstdint>

namespace onyx::cuda {

// x and y are [outer, len, inner]; the softmax runs along len for every (outer, inner).
// half: float16 storage (computed in float), else float.
cudaError_t LaunchSoftmax(bool half, bool log, const void* x, void* y, int64_t outer, int64_t len, int64_t inner,
                          cudaStream_t stream);

// x and y are [rows, n]; y = (x - mean) / sqrt(var + epsilon) * scale + bias per row, with
// scale/bias of n elements (bias may be null) of float16 (param_half) or float. mean and
// inv_std_dev (float, rows elements) are written when not null.
cudaError_t LaunchLayerNorm(bool half, bool param_half, const void* x, const void* scale, const void* bias, void* y,
                            float* mean, float* inv_std_dev, int64_t rows, int64_t n, float epsilon,
                            cudaStream_t stream);

}  // namespace onyx::cuda
