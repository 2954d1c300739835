#include "nn_impl.h"

#include <cuda_fp16.h>

#include <algorithm>
#include <cmath>

namespace onyx::cuda {

namespace {

constexpr int kThreads = 256;

int Blocks(int64_t n) { return static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65535)); }

__device__ inline float Load(const float* p, int64_t i) { return p[i]; }
__device__ inline float Load(const __half* p, int64_t i) { return __half2float(p[i]); }
__device__ inline void Store(float* p, int64_t i, float v) { p[i] = v; }
__device__ inline void Store(__half* p, int64_t i, float v) { p[i] = __float2half(v); }
__device__ inline float LoadAs(const void* p, bool half, int64_t i) {
  return half ? __half2float(static_cast<const __half*>(p)[i]) : static_cast<const float*>(p)[i];
}

struct Dims3 {
  int64_t d[3];
};

template <typename T>
__global__ void WindowCopyKernel(const T* src, Dims3 sd, T* dst, Dims3 dd, Dims3 off, int64_t total) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t r = i;
    const int64_t o2 = r % dd.d[2];
    r /= dd.d[2];
    const int64_t o1 = r % dd.d[1];
    r /= dd.d[1];
    const int64_t o0 = r % dd.d[0];
    const int64_t p = r / dd.d[0];
    const int64_t s0 = o0 + off.d[0], s1 = o1 + off.d[1], s2 = o2 + off.d[2];
    const bool inside = s0 >= 0 && s0 < sd.d[0] && s1 >= 0 && s1 < sd.d[1] && s2 >= 0 && s2 < sd.d[2];
    dst[i] = inside ? src[((p * sd.d[0] + s0) * sd.d[1] + s1) * sd.d[2] + s2] : T(0);
  }
}

template <typename T>
__global__ void GlobalPoolKernel(const T* x, T* y, int64_t planes, int64_t n, bool max) {
  __shared__ float partial[kThreads];
  for (int64_t p = blockIdx.x; p < planes; p += gridDim.x) {
    const T* xp = x + p * n;
    float acc = max ? -INFINITY : 0.f;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
      const float v = Load(xp, i);
      acc = max ? fmaxf(acc, v) : acc + v;
    }
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) {
        const float o = partial[threadIdx.x + s];
        partial[threadIdx.x] = max ? fmaxf(partial[threadIdx.x], o) : partial[threadIdx.x] + o;
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      const float r = partial[0];
      Store(y, p, max ? r : (n > 0 ? r / static_cast<float>(n) : 0.f));
    }
    __syncthreads();  // partial is reused by the next plane
  }
}

__global__ void BatchNormFoldKernel(const void* scale, bool scale_half, const void* bias, bool bias_half,
                                    const void* mean, bool mean_half, const void* var, bool var_half, float epsilon,
                                    float* a, float* b, int64_t C) {
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < C;
       c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const double ac = static_cast<double>(LoadAs(scale, scale_half, c)) /
                      sqrt(static_cast<double>(LoadAs(var, var_half, c)) + static_cast<double>(epsilon));
    a[c] = static_cast<float>(ac);
    b[c] = static_cast<float>(static_cast<double>(LoadAs(bias, bias_half, c)) -
                              static_cast<double>(LoadAs(mean, mean_half, c)) * ac);
  }
}

template <typename T>
__global__ void ChannelAffineKernel(const T* x, const float* a, const float* b, T* y, int64_t total, int64_t C,
                                    int64_t inner) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = (i / inner) % C;
    Store(y, i, fmaf(Load(x, i), a[c], b[c]));
  }
}

}  // namespace

void LaunchWindowCopy(int elem_size, const void* src, const int64_t src_dims[3], void* dst, const int64_t dst_dims[3],
                      const int64_t offset[3], int64_t planes, cudaStream_t stream) {
  const int64_t total = planes * dst_dims[0] * dst_dims[1] * dst_dims[2];
  if (total <= 0) return;
  const Dims3 sd{{src_dims[0], src_dims[1], src_dims[2]}}, dd{{dst_dims[0], dst_dims[1], dst_dims[2]}},
      off{{offset[0], offset[1], offset[2]}};
  if (elem_size == 2) {
    WindowCopyKernel<uint16_t><<<Blocks(total), kThreads, 0, stream>>>(static_cast<const uint16_t*>(src), sd,
                                                                       static_cast<uint16_t*>(dst), dd, off, total);
  } else {
    WindowCopyKernel<uint32_t><<<Blocks(total), kThreads, 0, stream>>>(static_cast<const uint32_t*>(src), sd,
                                                                       static_cast<uint32_t*>(dst), dd, off, total);
  }
}

void LaunchGlobalPool(bool half, bool max, const void* x, void* y, int64_t planes, int64_t n, cudaStream_t stream) {
  if (planes <= 0) return;
  const int blocks = static_cast<int>(std::min<int64_t>(planes, 65535));
  if (half) {
    GlobalPoolKernel<__half><<<blocks, kThreads, 0, stream>>>(static_cast<const __half*>(x), static_cast<__half*>(y),
                                                              planes, n, max);
  } else {
    GlobalPoolKernel<float><<<blocks, kThreads, 0, stream>>>(static_cast<const float*>(x), static_cast<float*>(y), planes,
                                                             n, max);
  }
}

void LaunchBatchNormFold(const void* scale, bool scale_half, const void* bias, bool bias_half, const void* mean,
                         bool mean_half, const void* var, bool var_half, float epsilon, float* a, float* b, int64_t C,
                         cudaStream_t stream) {
  if (C <= 0) return;
  BatchNormFoldKernel<<<Blocks(C), kThreads, 0, stream>>>(scale, scale_half, bias, bias_half, mean, mean_half, var,
                                                          var_half, epsilon, a, b, C);
}

void LaunchChannelAffine(bool half, const void* x, const float* a, const float* b, void* y, int64_t total, int64_t C,
                         int64_t inner, cudaStream_t stream) {
  if (total <= 0 || C <= 0 || inner <= 0) return;
  if (half) {
    ChannelAffineKernel<__half><<<Blocks(total), kThreads, 0, stream>>>(static_cast<const __half*>(x), a, b,
                                                                        static_cast<__half*>(y), total, C, inner);
  } else {
    ChannelAffineKernel<float><<<Blocks(total), kThreads, 0, stream>>>(static_cast<const float*>(x), a, b,
                                                                       static_cast<float*>(y), total, C, inner);
  }
}

}  // namespace onyx::cuda
