#include "reduce_impl.h"

#include <cuda_fp16.h>

#include <cmath>

namespace onyx::cuda {
namespace {

constexpr int64_t kMaxBlocks = 1 << 18;  // grid-stride loops cover the rest

__device__ __forceinline__ float Load(const float* p) { return *p; }
__device__ __forceinline__ float Load(const __half* p) { return __half2float(*p); }
__device__ __forceinline__ void Store(float* p, float v) { *p = v; }
__device__ __forceinline__ void Store(__half* p, float v) { *p = __float2half_rn(v); }

template <ReduceKind K>
__device__ __forceinline__ float Init() {
  if constexpr (K == ReduceKind::Max) return -INFINITY;
  else if constexpr (K == ReduceKind::Min) return INFINITY;
  else if constexpr (K == ReduceKind::Prod) return 1.f;
  else return 0.f;
}

// Folds one element into a thread's accumulator (shift: LogSumExp's max).
template <ReduceKind K>
__device__ __forceinline__ float Step(float acc, float v, float shift) {
  if constexpr (K == ReduceKind::Max) return v > acc ? v : acc;
  else if constexpr (K == ReduceKind::Min) return v < acc ? v : acc;
  else if constexpr (K == ReduceKind::Prod) return acc * v;
  else if constexpr (K == ReduceKind::L1) return acc + fabsf(v);
  else if constexpr (K == ReduceKind::L2 || K == ReduceKind::SumSquare) return acc + v * v;
  else if constexpr (K == ReduceKind::LogSumExp) return acc + expf(v - shift);
  else return acc + v;
}

// Merges two accumulators.
template <ReduceKind K>
__device__ __forceinline__ float Combine(float a, float b) {
  if constexpr (K == ReduceKind::Max) return b > a ? b : a;
  else if constexpr (K == ReduceKind::Min) return b < a ? b : a;
  else if constexpr (K == ReduceKind::Prod) return a * b;
  else return a + b;
}

template <ReduceKind K>
__device__ __forceinline__ float Finish(float a, int64_t n, float shift) {
  if constexpr (K == ReduceKind::Mean) return a / static_cast<float>(n);
  else if constexpr (K == ReduceKind::L2) return sqrtf(a);
  else if constexpr (K == ReduceKind::LogSum) return logf(a);
  else if constexpr (K == ReduceKind::LogSumExp) return logf(a) + shift;
  else return a;
}

// LogSumExp's shift: the largest finite value (infinities stay out so that they come out as
// inf or -inf instead of nan), 0 when there is none.
__device__ __forceinline__ float FiniteMaxStep(float acc, float v) { return (v > acc && isfinite(v)) ? v : acc; }
__device__ __forceinline__ float ShiftOf(float finite_max) { return finite_max == -INFINITY ? 0.f : finite_max; }

template <ReduceKind K>
__device__ __forceinline__ float WarpCombine(float v) {
  for (int o = 16; o > 0; o /= 2) v = Combine<K>(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Offset of dims (size, stride) for a row-major index i over them.
__device__ __forceinline__ int64_t DimsOffset(int rank, const int64_t* size, const int64_t* stride, int64_t i) {
  if (rank == 1) return i * stride[0];
  int64_t off = 0;
  for (int d = rank - 1; d >= 0; --d) {
    const int64_t q = i / size[d];
    off += (i - q * size[d]) * stride[d];
    i = q;
  }
  return off;
}
__device__ __forceinline__ int64_t GroupOffset(const ReduceArgs& a, int64_t g) {
  return a.kept_rank == 0 ? 0 : DimsOffset(a.kept_rank, a.kept_size, a.kept_stride, g);
}
__device__ __forceinline__ int64_t ReducedOffset(const ReduceArgs& a, int64_t r) {
  return DimsOffset(a.reduced_rank, a.reduced_size, a.reduced_stride, r);
}

// inner == 1, few elements per output: one warp per output.
template <typename T, ReduceKind K>
__global__ void ReduceRowsWarp(const T* __restrict__ x, T* __restrict__ y, ReduceArgs a) {
  const int lane = threadIdx.x & 31;
  const int64_t warps_per_block = blockDim.x / 32;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * warps_per_block + threadIdx.x / 32;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * warps_per_block;
  for (int64_t g = first; g < a.groups; g += stride) {  // uniform over the warp
    const T* base = x + GroupOffset(a, g);
    float shift = 0.f;
    if constexpr (K == ReduceKind::LogSumExp) {
      float m = -INFINITY;
      for (int64_t r = lane; r < a.reduce_count; r += 32) m = FiniteMaxStep(m, Load(base + ReducedOffset(a, r)));
      shift = ShiftOf(WarpCombine<ReduceKind::Max>(m));
    }
    float acc = Init<K>();
    for (int64_t r = lane; r < a.reduce_count; r += 32) acc = Step<K>(acc, Load(base + ReducedOffset(a, r)), shift);
    acc = WarpCombine<K>(acc);
    if (lane == 0) Store(y + g, Finish<K>(acc, a.reduce_count, shift));
  }
}

// Combines v over the block (blockDim.x a multiple of 32, at most 1024); every thread gets the
// result.
template <ReduceKind K>
__device__ float BlockCombine(float v, float* partial /* [32] */, float* result) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = WarpCombine<K>(v);
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    float w = lane < warps ? partial[lane] : Init<K>();
    w = WarpCombine<K>(w);
    if (lane == 0) *result = w;
  }
  __syncthreads();
  const float r = *result;
  __syncthreads();  // partial and result may be written again right after
  return r;
}

// inner == 1, many elements per output: one block per output.
template <typename T, ReduceKind K>
__global__ void ReduceRowsBlock(const T* __restrict__ x, T* __restrict__ y, ReduceArgs a) {
  __shared__ float partial[32];
  __shared__ float result;
  for (int64_t g = blockIdx.x; g < a.groups; g += gridDim.x) {  // uniform over the block
    const T* base = x + GroupOffset(a, g);
    float shift = 0.f;
    if constexpr (K == ReduceKind::LogSumExp) {
      float m = -INFINITY;
      for (int64_t r = threadIdx.x; r < a.reduce_count; r += blockDim.x) m = FiniteMaxStep(m, Load(base + ReducedOffset(a, r)));
      shift = ShiftOf(BlockCombine<ReduceKind::Max>(m, partial, &result));
    }
    float acc = Init<K>();
    for (int64_t r = threadIdx.x; r < a.reduce_count; r += blockDim.x)
      acc = Step<K>(acc, Load(base + ReducedOffset(a, r)), shift);
    acc = BlockCombine<K>(acc, partial, &result);
    if (threadIdx.x == 0) Store(y + g, Finish<K>(acc, a.reduce_count, shift));
  }
}

constexpr int kColumns = 32;  // outputs per block (threadIdx.x), contiguous in memory
constexpr int kColumnRows = 16;  // threads splitting the reduced elements (threadIdx.y)

// inner > 1: a block takes 32 consecutive outputs of one group; its 16 rows of threads split
// the reduced elements, so reads are coalesced along the inner dim.
template <typename T, ReduceKind K>
__global__ void ReduceColumns(const T* __restrict__ x, T* __restrict__ y, ReduceArgs a, int64_t tiles) {
  __shared__ float part[kColumnRows][kColumns + 1];
  __shared__ float shifts[kColumns];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t total = a.groups * tiles;
  for (int64_t t = blockIdx.x; t < total; t += gridDim.x) {  // uniform over the block
    const int64_t g = t / tiles, j = (t - g * tiles) * kColumns + tx;
    const bool valid = j < a.inner;
    const T* base = x + GroupOffset(a, g) + j;
    float shift = 0.f;
    if constexpr (K == ReduceKind::LogSumExp) {
      float m = -INFINITY;
      if (valid)
        for (int64_t r = ty; r < a.reduce_count; r += kColumnRows) m = FiniteMaxStep(m, Load(base + ReducedOffset(a, r)));
      part[ty][tx] = m;
      __syncthreads();
      if (ty == 0) {
        for (int i = 1; i < kColumnRows; ++i) m = Combine<ReduceKind::Max>(m, part[i][tx]);
        shifts[tx] = ShiftOf(m);
      }
      __syncthreads();
      shift = shifts[tx];
    }
    float acc = Init<K>();
    if (valid)
      for (int64_t r = ty; r < a.reduce_count; r += kColumnRows) acc = Step<K>(acc, Load(base + ReducedOffset(a, r)), shift);
    part[ty][tx] = acc;
    __syncthreads();
    if (ty == 0 && valid) {
      for (int i = 1; i < kColumnRows; ++i) acc = Combine<K>(acc, part[i][tx]);
      Store(y + g * a.inner + j, Finish<K>(acc, a.reduce_count, shift));
    }
    __syncthreads();  // part and shifts are written again by the next tile
  }
}

int Blocks(int64_t n) { return static_cast<int>(n < 1 ? 1 : (n > kMaxBlocks ? kMaxBlocks : n)); }

template <typename T, ReduceKind K>
void Launch(const T* x, T* y, const ReduceArgs& a, cudaStream_t stream) {
  if (a.inner == 1) {
    if (a.reduce_count <= 1024) {
      constexpr int kThreads = 256;  // 8 warps, one output each
      ReduceRowsWarp<T, K><<<Blocks((a.groups + 7) / 8), kThreads, 0, stream>>>(x, y, a);
    } else {
      // Few long rows get wide blocks so that the whole device has work.
      const int threads = a.groups < 256 ? 1024 : 256;
      ReduceRowsBlock<T, K><<<Blocks(a.groups), threads, 0, stream>>>(x, y, a);
    }
  } else {
    const int64_t tiles = (a.inner + kColumns - 1) / kColumns;
    ReduceColumns<T, K><<<Blocks(a.groups * tiles), dim3(kColumns, kColumnRows), 0, stream>>>(x, y, a, tiles);
  }
}

template <typename T>
void LaunchTyped(ReduceKind kind, const T* x, T* y, const ReduceArgs& a, cudaStream_t stream) {
  switch (kind) {
    case ReduceKind::Sum: Launch<T, ReduceKind::Sum>(x, y, a, stream); break;
    case ReduceKind::Mean: Launch<T, ReduceKind::Mean>(x, y, a, stream); break;
    case ReduceKind::Max: Launch<T, ReduceKind::Max>(x, y, a, stream); break;
    case ReduceKind::Min: Launch<T, ReduceKind::Min>(x, y, a, stream); break;
    case ReduceKind::Prod: Launch<T, ReduceKind::Prod>(x, y, a, stream); break;
    case ReduceKind::L1: Launch<T, ReduceKind::L1>(x, y, a, stream); break;
    case ReduceKind::L2: Launch<T, ReduceKind::L2>(x, y, a, stream); break;
    case ReduceKind::LogSum: Launch<T, ReduceKind::LogSum>(x, y, a, stream); break;
    case ReduceKind::LogSumExp: Launch<T, ReduceKind::LogSumExp>(x, y, a, stream); break;
    case ReduceKind::SumSquare: Launch<T, ReduceKind::SumSquare>(x, y, a, stream); break;
  }
}

}  // namespace

void LaunchReduce(ReduceKind kind, bool half, const void* x, void* y, const ReduceArgs& args, cudaStream_t stream) {
  if (args.groups <= 0 || args.inner <= 0) return;
  if (half)
    LaunchTyped(kind, static_cast<const __half*>(x), static_cast<__half*>(y), args, stream);
  else
    LaunchTyped(kind, static_cast<const float*>(x), static_cast<float*>(y), args, stream);
}

}  // namespace onyx::cuda
