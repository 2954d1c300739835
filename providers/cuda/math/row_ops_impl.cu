// Row-wise kernels: Softmax/LogSoftmax and LayerNormalization. A row is handled by one warp
// (short rows: blockDim = (32, kRowsPerBlock)) or by one block (long rows: blockDim = (256, 1));
// reductions are in float, and deterministic (fixed order for a given launch shape).
#include <cuda_fp16.h>

#include <cmath>

#include "row_ops_impl.h"

namespace onyx::cuda {

namespace {

constexpr int kWarp = 32;
constexpr int kRowsPerBlock = 4;     // warps per block in warp-per-row mode
constexpr int kBlockThreads = 256;   // threads per row in block-per-row mode
constexpr int64_t kWarpRowLimit = 1024;
constexpr int64_t kMaxGrid = int64_t(1) << 16;

template <typename T>
__device__ float LoadF(T v) { return v; }
template <>
__device__ float LoadF<__half>(__half v) { return __half2float(v); }
template <typename T>
__device__ T StoreF(float v) { return v; }
template <>
__device__ __half StoreF<__half>(float v) { return __float2half_rn(v); }

__device__ float WarpSum(float v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ float WarpMax(float v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// The reduction over the threads of a row: the warp (kWarpRows) or the whole block, whose
// blockDim.x is a multiple of 32. Every thread of the row gets the result. smem holds 32 floats.
template <bool kWarpRows, bool kMax>
__device__ float RowReduce(float v, float* smem) {
  v = kMax ? WarpMax(v) : WarpSum(v);
  if constexpr (kWarpRows) {
    return v;
  } else {
    const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, nwarps = blockDim.x / kWarp;
    __syncthreads();  // smem may still be read from the previous reduction
    if (lane == 0) smem[warp] = v;
    __syncthreads();
    float r = smem[0];
    for (int w = 1; w < nwarps; ++w) r = kMax ? fmaxf(r, smem[w]) : r + smem[w];
    return r;
  }
}

// Rows are assigned by blockIdx and threadIdx.y only, so all threads of a row run the same
// iterations (required by the shuffles and barriers in RowReduce).
template <typename T, bool kLog, bool kWarpRows>
__global__ void SoftmaxRowsKernel(const T* x, T* y, int64_t rows, int64_t len) {
  __shared__ float smem[kWarp];
  for (int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.y) + threadIdx.y; row < rows;
       row += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const T* xr = x + row * len;
    T* yr = y + row * len;
    float mx = -INFINITY;
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) mx = fmaxf(mx, LoadF(xr[j]));
    mx = RowReduce<kWarpRows, true>(mx, smem);
    float sum = 0.f;
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) sum += expf(LoadF(xr[j]) - mx);
    sum = RowReduce<kWarpRows, false>(sum, smem);
    if constexpr (kLog) {
      const float ls = logf(sum);
      for (int64_t j = threadIdx.x; j < len; j += blockDim.x) yr[j] = StoreF<T>((LoadF(xr[j]) - mx) - ls);
    } else {
      const float inv = 1.f / sum;
      for (int64_t j = threadIdx.x; j < len; j += blockDim.x) yr[j] = StoreF<T>(expf(LoadF(xr[j]) - mx) * inv);
    }
  }
}

// Softmax along a non-innermost axis: one thread per (outer, inner) column, reading len
// elements inner apart (adjacent threads read adjacent elements).
template <typename T, bool kLog>
__global__ void SoftmaxColumnsKernel(const T* x, T* y, int64_t outer, int64_t len, int64_t inner) {
  const int64_t columns = outer * inner;
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < columns;
       c += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t o = c / inner, i = c - o * inner;
    const T* xc = x + o * len * inner + i;
    T* yc = y + o * len * inner + i;
    float mx = -INFINITY;
    for (int64_t j = 0; j < len; ++j) mx = fmaxf(mx, LoadF(xc[j * inner]));
    float sum = 0.f;
    for (int64_t j = 0; j < len; ++j) sum += expf(LoadF(xc[j * inner]) - mx);
    if constexpr (kLog) {
      const float ls = logf(sum);
      for (int64_t j = 0; j < len; ++j) yc[j * inner] = StoreF<T>((LoadF(xc[j * inner]) - mx) - ls);
    } else {
      const float inv = 1.f / sum;
      for (int64_t j = 0; j < len; ++j) yc[j * inner] = StoreF<T>(expf(LoadF(xc[j * inner]) - mx) * inv);
    }
  }
}

template <typename T, bool kLog>
cudaError_t RunSoftmax(const void* xv, void* yv, int64_t outer, int64_t len, int64_t inner, cudaStream_t s) {
  const T* x = static_cast<const T*>(xv);
  T* y = static_cast<T*>(yv);
  if (inner == 1) {
    if (len <= kWarpRowLimit) {
      const int64_t blocks = (outer + kRowsPerBlock - 1) / kRowsPerBlock;
      SoftmaxRowsKernel<T, kLog, true><<<static_cast<int>(blocks < kMaxGrid ? blocks : kMaxGrid), dim3(kWarp, kRowsPerBlock),
                                         0, s>>>(x, y, outer, len);
    } else {
      SoftmaxRowsKernel<T, kLog, false><<<static_cast<int>(outer < kMaxGrid ? outer : kMaxGrid), dim3(kBlockThreads, 1), 0,
                                          s>>>(x, y, outer, len);
    }
  } else {
    const int64_t blocks = (outer * inner + kBlockThreads - 1) / kBlockThreads;
    SoftmaxColumnsKernel<T, kLog><<<static_cast<int>(blocks < kMaxGrid ? blocks : kMaxGrid), kBlockThreads, 0, s>>>(
        x, y, outer, len, inner);
  }
  return cudaGetLastError();
}

template <typename T, typename P, bool kWarpRows>
__global__ void LayerNormKernel(const T* x, const P* scale, const P* bias, T* y, float* mean_out, float* inv_out,
                                int64_t rows, int64_t n, float epsilon) {
  __shared__ float smem[kWarp];
  const float inv_n = 1.f / static_cast<float>(n);
  for (int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.y) + threadIdx.y; row < rows;
       row += static_cast<int64_t>(gridDim.x) * blockDim.y) {
    const T* xr = x + row * n;
    T* yr = y + row * n;
    float sum = 0.f;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) sum += LoadF(xr[j]);
    const float mean = RowReduce<kWarpRows, false>(sum, smem) * inv_n;
    float ssd = 0.f;
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      const float d = LoadF(xr[j]) - mean;
      ssd += d * d;
    }
    const float var = RowReduce<kWarpRows, false>(ssd, smem) * inv_n;
    const float inv = 1.f / sqrtf(var + epsilon);
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      float v = (LoadF(xr[j]) - mean) * inv * LoadF(scale[j]);
      if (bias) v += LoadF(bias[j]);
      yr[j] = StoreF<T>(v);
    }
    if (threadIdx.x == 0) {
      if (mean_out) mean_out[row] = mean;
      if (inv_out) inv_out[row] = inv;
    }
  }
}

template <typename T, typename P>
cudaError_t RunLayerNorm(const void* x, const void* scale, const void* bias, void* y, float* mean, float* inv,
                         int64_t rows, int64_t n, float eps, cudaStream_t s) {
  const T* px = static_cast<const T*>(x);
  const P* ps = static_cast<const P*>(scale);
  const P* pb = static_cast<const P*>(bias);
  T* py = static_cast<T*>(y);
  if (n <= kWarpRowLimit) {
    const int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
    LayerNormKernel<T, P, true><<<static_cast<int>(blocks < kMaxGrid ? blocks : kMaxGrid), dim3(kWarp, kRowsPerBlock), 0, s>>>(
        px, ps, pb, py, mean, inv, rows, n, eps);
  } else {
    LayerNormKernel<T, P, false><<<static_cast<int>(rows < kMaxGrid ? rows : kMaxGrid), dim3(kBlockThreads, 1), 0, s>>>(
        px, ps, pb, py, mean, inv, rows, n, eps);
  }
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchSoftmax(bool half, bool log, const void* x, void* y, int64_t outer, int64_t len, int64_t inner,
                          cudaStream_t s) {
  if (outer <= 0 || len <= 0 || inner <= 0) return cudaSuccess;
  if (half) return log ? RunSoftmax<__half, true>(x, y, outer, len, inner, s) : RunSoftmax<__half, false>(x, y, outer, len, inner, s);
  return log ? RunSoftmax<float, true>(x, y, outer, len, inner, s) : RunSoftmax<float, false>(x, y, outer, len, inner, s);
}

cudaError_t LaunchLayerNorm(bool half, bool param_half, const void* x, const void* scale, const void* bias, void* y,
                            float* mean, float* inv_std_dev, int64_t rows, int64_t n, float epsilon, cudaStream_t s) {
  if (rows <= 0 || n <= 0) return cudaSuccess;
  if (half) {
    if (param_half) return RunLayerNorm<__half, __half>(x, scale, bias, y, mean, inv_std_dev, rows, n, epsilon, s);
    return RunLayerNorm<__half, float>(x, scale, bias, y, mean, inv_std_dev, rows, n, epsilon, s);
  }
  if (param_half) return RunLayerNorm<float, __half>(x, scale, bias, y, mean, inv_std_dev, rows, n, epsilon, s);
  return RunLayerNorm<float, float>(x, scale, bias, y, mean, inv_std_dev, rows, n, epsilon, s);
}

}  // namespace onyx::cuda
