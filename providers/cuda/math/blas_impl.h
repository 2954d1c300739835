#pragma once
// Device helpers of the cuBLAS kernels (MatMul, Gemm).
#include <cuda_runtime.h>

#include <cstdint>

namespace onyx::cuda {

// y[m, n] = scale * c[m * c_stride_m + n * c_stride_n] for a row-major (M, N) y: Gemm's C
// broadcast to the output. half: elements are float16, else float. Check the launch after.
void LaunchBroadcastMatrix(bool half, const void* c, int64_t c_stride_m, int64_t c_stride_n, float scale, void* y,
                           int64_t M, int64_t N, cudaStream_t stream);

}  // namespace onyx::cuda
