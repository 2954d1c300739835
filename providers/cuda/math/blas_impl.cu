#include "blas_impl.h"

#include <cuda_fp16.h>

#include <algorithm>

namespace onyx::cuda {

namespace {

__device__ inline float Load(const float* p, int64_t i) { return p[i]; }
__device__ inline float Load(const __half* p, int64_t i) { return __half2float(p[i]); }
__device__ inline void Store(float* p, int64_t i, float v) { p[i] = v; }
__device__ inline void Store(__half* p, int64_t i, float v) { p[i] = __float2half(v); }

template <typename T>
__global__ void BroadcastMatrixKernel(const T* c, int64_t sm, int64_t sn, float scale, T* y, int64_t M, int64_t N) {
  const int64_t total = M * N;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t m = i / N, n = i - m * N;
    Store(y, i, scale * Load(c, m * sm + n * sn));
  }
}

}  // namespace

void LaunchBroadcastMatrix(bool half, const void* c, int64_t c_stride_m, int64_t c_stride_n, float scale, void* y,
                           int64_t M, int64_t N, cudaStream_t stream) {
  const int64_t total = M * N;
  if (total <= 0) return;
  constexpr int kThreads = 256;
  const int blocks = static_cast<int>(std::min<int64_t>((total + kThreads - 1) / kThreads, 65535));
  if (half) {
    BroadcastMatrixKernel<__half><<<blocks, kThreads, 0, stream>>>(static_cast<const __half*>(c), c_stride_m, c_stride_n,
                                                                   scale, static_cast<__half*>(y), M, N);
  } else {
    BroadcastMatrixKernel<float><<<blocks, kThreads, 0, stream>>>(static_cast<const float*>(c), c_stride_m, c_stride_n,
                                                                  scale, static_cast<float*>(y), M, N);
  }
}

}  // namespace onyx::cuda
