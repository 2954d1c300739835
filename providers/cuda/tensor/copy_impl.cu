#include "copy_impl.h"

#include <cstring>

namespace onyx::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 1 << 18;  // grid-stride loops cover the rest

int BlocksFor(int64_t count) {
  int64_t b = (count + kThreads - 1) / kThreads;
  if (b > kMaxBlocks) b = kMaxBlocks;
  if (b < 1) b = 1;
  return static_cast<int>(b);
}

// Unit types of each width; plain struct assignment moves them with one load and one store.
template <int kBytes> struct Unit;
template <> struct Unit<1> { using type = uint8_t; };
template <> struct Unit<2> { using type = uint16_t; };
template <> struct Unit<4> { using type = uint32_t; };
template <> struct Unit<8> { using type = uint2; };
template <> struct Unit<16> { using type = uint4; };

// Calls fn(Unit<bytes>{}) for a runtime width.
template <typename Fn>
void DispatchUnit(int bytes, Fn&& fn) {
  switch (bytes) {
    case 1: fn(Unit<1>{}); break;
    case 2: fn(Unit<2>{}); break;
    case 4: fn(Unit<4>{}); break;
    case 8: fn(Unit<8>{}); break;
    case 16: fn(Unit<16>{}); break;
    default: break;
  }
}

__device__ __forceinline__ int64_t GlobalThread() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t GridThreads() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

template <typename T, typename I>
__global__ void StridedCopyKernel(T* __restrict__ dst, const T* __restrict__ src, StridedCopyArgs a, int64_t count) {
  for (int64_t i = GlobalThread(); i < count; i += GridThreads()) {
    I rem = static_cast<I>(i);
    I off = 0;
    for (int k = a.rank - 1; k > 0; --k) {
      const I d = static_cast<I>(a.shape[k]);
      const I q = rem / d;
      off += (rem - q * d) * static_cast<I>(a.strides[k]);
      rem = q;
    }
    off += rem * static_cast<I>(a.strides[0]);
    dst[i] = src[off];
  }
}

constexpr int kTile = 32;
constexpr int kTileRows = 8;

template <typename T>
__global__ void TransposeTilesKernel(T* __restrict__ dst, const T* __restrict__ src, int64_t batch, int64_t n_size,
                                     int64_t m_size, int64_t batch_stride, int64_t m_stride, int64_t tiles_n,
                                     int64_t tiles_m) {
  __shared__ T tile[kTile][kTile + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t total = batch * tiles_n * tiles_m;
  for (int64_t t = blockIdx.x; t < total; t += gridDim.x) {
    const int64_t tm = t % tiles_m, rest = t / tiles_m;
    const int64_t tn = rest % tiles_n, b = rest / tiles_n;
    const int64_t n0 = tn * kTile, m0 = tm * kTile;
    const T* s = src + b * batch_stride;
    // Read rows m of the source (contiguous along n).
    for (int r = ty; r < kTile; r += kTileRows) {
      const int64_t m = m0 + r, n = n0 + tx;
      if (m < m_size && n < n_size) tile[r][tx] = s[m * m_stride + n];
    }
    __syncthreads();
    // Write rows n of the destination (contiguous along m).
    T* d = dst + b * n_size * m_size;
    for (int r = ty; r < kTile; r += kTileRows) {
      const int64_t n = n0 + r, m = m0 + tx;
      if (m < m_size && n < n_size) d[n * m_size + m] = tile[tx][r];
    }
    __syncthreads();
  }
}

template <typename T, typename I>
__global__ void Copy2DKernel(T* __restrict__ dst, int64_t dst_ld, const T* __restrict__ src, int64_t src_ld, int64_t width,
                             int64_t count) {
  for (int64_t i = GlobalThread(); i < count; i += GridThreads()) {
    const I e = static_cast<I>(i), w = static_cast<I>(width);
    const I r = e / w, k = e - r * w;
    dst[static_cast<int64_t>(r) * dst_ld + k] = src[static_cast<int64_t>(r) * src_ld + k];
  }
}

template <typename T, typename I>
__global__ void GatherKernel(T* __restrict__ dst, const T* __restrict__ src, const int64_t* __restrict__ idx, int64_t n,
                             int64_t dim, int64_t inner, int64_t count) {
  for (int64_t e = GlobalThread(); e < count; e += GridThreads()) {
    const I ei = static_cast<I>(e), ni = static_cast<I>(inner), nn = static_cast<I>(n);
    const I t = ei / ni, i = ei - t * ni;
    const I o = t / nn, j = t - o * nn;
    int64_t v = idx[j];
    if (v < 0) v += dim;
    if (v < 0 || v >= dim) {
      dst[e] = T{};
    } else {
      dst[e] = src[(static_cast<int64_t>(o) * dim + v) * inner + i];
    }
  }
}

template <typename T>
__global__ void PadKernel(T* __restrict__ dst, const T* __restrict__ src, PadArgs a, int64_t count, T fill) {
  for (int64_t e = GlobalThread(); e < count; e += GridThreads()) {
    int64_t rem = e, off = 0;
    bool outside = false;
    for (int k = a.rank - 1; k >= 0; --k) {
      const int64_t d = a.out_shape[k];
      const int64_t q = rem / d, c = rem - q * d;
      rem = q;
      int64_t i = c - a.pad_begin[k];
      const int64_t n = a.size[k];
      if (i < 0 || i >= n) {
        switch (a.mode) {
          case PadModeKind::Constant: outside = true; break;
          case PadModeKind::Edge: i = i < 0 ? 0 : n - 1; break;
          case PadModeKind::Wrap: i = ((i % n) + n) % n; break;
          case PadModeKind::Reflect:
            if (n == 1) {
              i = 0;
            } else {
              const int64_t period = 2 * (n - 1);
              i = ((i % period) + period) % period;
              if (i >= n) i = period - i;
            }
            break;
        }
      }
      off += (i + a.crop_begin[k]) * a.in_stride[k];
    }
    dst[e] = outside ? fill : src[off];
  }
}

}  // namespace

void LaunchStridedCopy(int unit_bytes, void* dst, const void* src, const StridedCopyArgs& args, int64_t count, bool index32,
                       cudaStream_t stream) {
  if (count <= 0) return;
  DispatchUnit(unit_bytes, [&](auto u) {
    using T = typename decltype(u)::type;
    if (index32)
      StridedCopyKernel<T, int32_t><<<BlocksFor(count), kThreads, 0, stream>>>(static_cast<T*>(dst), static_cast<const T*>(src),
                                                                               args, count);
    else
      StridedCopyKernel<T, int64_t><<<BlocksFor(count), kThreads, 0, stream>>>(static_cast<T*>(dst), static_cast<const T*>(src),
                                                                               args, count);
  });
}

void LaunchTransposeTiles(int elem_bytes, void* dst, const void* src, int64_t batch, int64_t n_size, int64_t m_size,
                          int64_t batch_stride, int64_t m_stride, cudaStream_t stream) {
  if (batch <= 0 || n_size <= 0 || m_size <= 0) return;
  const int64_t tiles_n = (n_size + kTile - 1) / kTile, tiles_m = (m_size + kTile - 1) / kTile;
  int64_t blocks = batch * tiles_n * tiles_m;
  if (blocks > kMaxBlocks) blocks = kMaxBlocks;
  const dim3 threads(kTile, kTileRows);
  DispatchUnit(elem_bytes, [&](auto u) {
    using T = typename decltype(u)::type;
    if constexpr (sizeof(T) <= 8)
      TransposeTilesKernel<T><<<static_cast<int>(blocks), threads, 0, stream>>>(
          static_cast<T*>(dst), static_cast<const T*>(src), batch, n_size, m_size, batch_stride, m_stride, tiles_n, tiles_m);
  });
}

void LaunchCopy2D(int unit_bytes, void* dst, int64_t dst_ld, const void* src, int64_t src_ld, int64_t rows, int64_t width,
                  cudaStream_t stream) {
  const int64_t count = rows * width;
  if (rows <= 0 || width <= 0) return;
  const bool index32 = count < (int64_t(1) << 31);
  DispatchUnit(unit_bytes, [&](auto u) {
    using T = typename decltype(u)::type;
    if (index32)
      Copy2DKernel<T, int32_t><<<BlocksFor(count), kThreads, 0, stream>>>(static_cast<T*>(dst), dst_ld,
                                                                          static_cast<const T*>(src), src_ld, width, count);
    else
      Copy2DKernel<T, int64_t><<<BlocksFor(count), kThreads, 0, stream>>>(static_cast<T*>(dst), dst_ld,
                                                                          static_cast<const T*>(src), src_ld, width, count);
  });
}

void LaunchGather(int unit_bytes, void* dst, const void* src, const int64_t* idx, int64_t outer, int64_t n, int64_t dim,
                  int64_t inner, cudaStream_t stream) {
  const int64_t count = outer * n * inner;
  if (count <= 0) return;
  const bool index32 = count < (int64_t(1) << 31);
  DispatchUnit(unit_bytes, [&](auto u) {
    using T = typename decltype(u)::type;
    if (index32)
      GatherKernel<T, int32_t><<<BlocksFor(count), kThreads, 0, stream>>>(static_cast<T*>(dst), static_cast<const T*>(src),
                                                                          idx, n, dim, inner, count);
    else
      GatherKernel<T, int64_t><<<BlocksFor(count), kThreads, 0, stream>>>(static_cast<T*>(dst), static_cast<const T*>(src),
                                                                          idx, n, dim, inner, count);
  });
}

void LaunchPad(int elem_bytes, void* dst, const void* src, const PadArgs& args, int64_t count, const unsigned char fill[8],
               cudaStream_t stream) {
  if (count <= 0) return;
  DispatchUnit(elem_bytes, [&](auto u) {
    using T = typename decltype(u)::type;
    if constexpr (sizeof(T) <= 8) {
      T f;
      std::memcpy(&f, fill, sizeof(T));
      PadKernel<T><<<BlocksFor(count), kThreads, 0, stream>>>(static_cast<T*>(dst), static_cast<const T*>(src), args, count, f);
    }
  });
}

}  // namespace onyx::cuda
