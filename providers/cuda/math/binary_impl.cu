// Binary elementwise ops with numpy broadcasting, Where, and broadcast copies.
#include <cuda_fp16.h>

#include <climits>
#include <type_traits>

#include "elementwise_impl.h"

namespace onyx::cuda {

namespace {

constexpr int kThreads = 256;

int BlocksFor(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<int>(b < (int64_t(1) << 16) ? b : (int64_t(1) << 16));
}

// Storage <-> compute type: float16 computes in float, the rest in their own type.
template <typename T>
struct Io {
  using C = T;
  __device__ static T Load(T v) { return v; }
  __device__ static T Store(T v) { return v; }
};
template <>
struct Io<__half> {
  using C = float;
  __device__ static float Load(__half v) { return __half2float(v); }
  __device__ static __half Store(float v) { return __float2half_rn(v); }
};

template <typename C>
__device__ C WrapAdd(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    using U = std::make_unsigned_t<C>;
    return static_cast<C>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}

struct AddOp {
  template <typename C> __device__ C operator()(C a, C b) const { return WrapAdd(a, b); }
};
struct SubOp {
  template <typename C> __device__ C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      using U = std::make_unsigned_t<C>;
      return static_cast<C>(static_cast<U>(a) - static_cast<U>(b));
    } else {
      return a - b;
    }
  }
};
struct MulOp {
  template <typename C> __device__ C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      using U = std::make_unsigned_t<C>;
      return static_cast<C>(static_cast<U>(a) * static_cast<U>(b));
    } else {
      return a * b;
    }
  }
};
struct DivOp {
  template <typename C> __device__ C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      using U = std::make_unsigned_t<C>;
      if (b == 0) return C(0);  // the CPU kernel rejects this; the device cannot, so defines it
      if (b == C(-1)) return static_cast<C>(U(0) - static_cast<U>(a));  // lowest / -1 wraps
      return static_cast<C>(a / b);
    } else {
      return a / b;
    }
  }
};
struct PowOp {
  __device__ float operator()(float a, float b) const { return powf(a, b); }
};
struct EqualOp {
  template <typename C> __device__ bool operator()(C a, C b) const { return a == b; }
};
struct LessOp {
  template <typename C> __device__ bool operator()(C a, C b) const { return a < b; }
};
struct GreaterOp {
  template <typename C> __device__ bool operator()(C a, C b) const { return a > b; }
};
struct LessOrEqualOp {
  template <typename C> __device__ bool operator()(C a, C b) const { return a <= b; }
};
struct GreaterOrEqualOp {
  template <typename C> __device__ bool operator()(C a, C b) const { return a >= b; }
};
struct MaxOp {
  template <typename C> __device__ C operator()(C a, C b) const {
    if (a != a) return a;  // NaN propagates (never true for integers)
    if (b != b) return b;
    return a < b ? b : a;
  }
};
struct MinOp {
  template <typename C> __device__ C operator()(C a, C b) const {
    if (a != a) return a;
    if (b != b) return b;
    return b < a ? b : a;
  }
};
struct PReluOp {
  template <typename C> __device__ C operator()(C x, C s) const { return x < C(0) ? x * s : x; }
};
struct AndOp {
  __device__ bool operator()(bool a, bool b) const { return a && b; }
};
struct OrOp {
  __device__ bool operator()(bool a, bool b) const { return a || b; }
};
struct XorOp {
  __device__ bool operator()(bool a, bool b) const { return a != b; }
};

// Rank-1 plan: each input advances (stride 1) or repeats one element (stride 0).
template <typename TA, typename TB, typename TO, typename Op>
__global__ void BinaryFlatKernel(const TA* a, int64_t sa, const TB* b, int64_t sb, TO* out, int64_t n, Op op) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    out[i] = Io<TO>::Store(op(Io<TA>::Load(a[i * sa]), Io<TB>::Load(b[i * sb])));
  }
}

// Offsets of K inputs for output index i, in Index arithmetic (32-bit when everything fits).
template <int K, typename Index>
__device__ void BroadcastOffsets(Index i, const BroadcastParams& p, Index (&off)[K]) {
#pragma unroll
  for (int k = 0; k < K; ++k) off[k] = 0;
  for (int d = p.rank - 1; d >= 0; --d) {
    const Index dim = static_cast<Index>(p.dims[d]);
    const Index q = i / dim;
    const Index r = i - q * dim;
    i = q;
#pragma unroll
    for (int k = 0; k < K; ++k) off[k] += r * static_cast<Index>(p.strides[k][d]);
  }
}

template <typename TA, typename TB, typename TO, typename Op, typename Index>
__global__ void BinaryGeneralKernel(const TA* a, const TB* b, TO* out, int64_t n, BroadcastParams p, Op op) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    Index off[2];
    BroadcastOffsets<2, Index>(static_cast<Index>(i), p, off);
    out[i] = Io<TO>::Store(op(Io<TA>::Load(a[off[0]]), Io<TB>::Load(b[off[1]])));
  }
}

template <typename TA, typename TB, typename TO, typename Op>
cudaError_t RunBinary(const void* a, const void* b, void* out, int64_t n, const BroadcastParams& p, cudaStream_t s,
                      Op op) {
  if (n <= 0) return cudaSuccess;
  const TA* pa = static_cast<const TA*>(a);
  const TB* pb = static_cast<const TB*>(b);
  TO* po = static_cast<TO*>(out);
  if (p.rank == 1) {
    BinaryFlatKernel<TA, TB, TO, Op><<<BlocksFor(n), kThreads, 0, s>>>(pa, p.strides[0][0], pb, p.strides[1][0], po, n, op);
  } else if (n <= INT32_MAX) {
    BinaryGeneralKernel<TA, TB, TO, Op, uint32_t><<<BlocksFor(n), kThreads, 0, s>>>(pa, pb, po, n, p, op);
  } else {
    BinaryGeneralKernel<TA, TB, TO, Op, int64_t><<<BlocksFor(n), kThreads, 0, s>>>(pa, pb, po, n, p, op);
  }
  return cudaGetLastError();
}

// Same-type op with output type T (kBool: bool) over the listed types.
template <typename Op, bool kBool, bool kInts, bool kBoolIn = false>
cudaError_t SameType(ElemType t, const void* a, const void* b, void* out, int64_t n, const BroadcastParams& p,
                     cudaStream_t s) {
  switch (t) {
    case ElemType::F32:
      return RunBinary<float, float, std::conditional_t<kBool, bool, float>>(a, b, out, n, p, s, Op{});
    case ElemType::F16:
      return RunBinary<__half, __half, std::conditional_t<kBool, bool, __half>>(a, b, out, n, p, s, Op{});
    case ElemType::I32:
      if constexpr (kInts) return RunBinary<int32_t, int32_t, std::conditional_t<kBool, bool, int32_t>>(a, b, out, n, p, s, Op{});
      break;
    case ElemType::I64:
      if constexpr (kInts) return RunBinary<int64_t, int64_t, std::conditional_t<kBool, bool, int64_t>>(a, b, out, n, p, s, Op{});
      break;
    case ElemType::Bool:
      if constexpr (kBoolIn) return RunBinary<bool, bool, bool>(a, b, out, n, p, s, Op{});
      break;
    default: break;
  }
  return cudaErrorNotSupported;
}

template <typename Op>
cudaError_t BoolOnly(ElemType t, const void* a, const void* b, void* out, int64_t n, const BroadcastParams& p,
                     cudaStream_t s) {
  if (t != ElemType::Bool) return cudaErrorNotSupported;
  return RunBinary<bool, bool, bool>(a, b, out, n, p, s, Op{});
}

template <typename TA>
cudaError_t PowWithBase(ElemType tb, const void* a, const void* b, void* out, int64_t n, const BroadcastParams& p,
                        cudaStream_t s) {
  if (tb == ElemType::F32) return RunBinary<TA, float, TA>(a, b, out, n, p, s, PowOp{});
  if (tb == ElemType::F16) return RunBinary<TA, __half, TA>(a, b, out, n, p, s, PowOp{});
  return cudaErrorNotSupported;
}

// ---- Where and broadcast copy -------------------------------------------------------------

template <typename T>
__global__ void WhereFlatKernel(const bool* c, int64_t sc, const T* x, int64_t sx, const T* y, int64_t sy, T* out,
                                int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    out[i] = c[i * sc] ? x[i * sx] : y[i * sy];
  }
}

template <typename T, typename Index>
__global__ void WhereGeneralKernel(const bool* c, const T* x, const T* y, T* out, int64_t n, BroadcastParams p) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    Index off[3];
    BroadcastOffsets<3, Index>(static_cast<Index>(i), p, off);
    out[i] = c[off[0]] ? x[off[1]] : y[off[2]];
  }
}

template <typename T>
cudaError_t RunWhere(const bool* c, const void* x, const void* y, void* out, int64_t n, const BroadcastParams& p,
                     cudaStream_t s) {
  if (n <= 0) return cudaSuccess;
  const T* px = static_cast<const T*>(x);
  const T* py = static_cast<const T*>(y);
  T* po = static_cast<T*>(out);
  if (p.rank == 1) {
    WhereFlatKernel<T><<<BlocksFor(n), kThreads, 0, s>>>(c, p.strides[0][0], px, p.strides[1][0], py, p.strides[2][0], po, n);
  } else if (n <= INT32_MAX) {
    WhereGeneralKernel<T, uint32_t><<<BlocksFor(n), kThreads, 0, s>>>(c, px, py, po, n, p);
  } else {
    WhereGeneralKernel<T, int64_t><<<BlocksFor(n), kThreads, 0, s>>>(c, px, py, po, n, p);
  }
  return cudaGetLastError();
}

template <typename T, typename Index>
__global__ void BroadcastCopyKernel(const T* in, T* out, int64_t n, BroadcastParams p) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    Index off[1];
    BroadcastOffsets<1, Index>(static_cast<Index>(i), p, off);
    out[i] = in[off[0]];
  }
}

template <typename T>
cudaError_t RunBroadcastCopy(const void* in, void* out, int64_t n, const BroadcastParams& p, cudaStream_t s) {
  if (n <= 0) return cudaSuccess;
  if (n <= INT32_MAX)
    BroadcastCopyKernel<T, uint32_t><<<BlocksFor(n), kThreads, 0, s>>>(static_cast<const T*>(in), static_cast<T*>(out), n, p);
  else
    BroadcastCopyKernel<T, int64_t><<<BlocksFor(n), kThreads, 0, s>>>(static_cast<const T*>(in), static_cast<T*>(out), n, p);
  return cudaGetLastError();
}

bool ValidParams(const BroadcastParams& p) { return p.rank >= 1 && p.rank <= kMaxBroadcastDims; }

}  // namespace

cudaError_t LaunchBinary(BinaryOp op, ElemType ta, ElemType tb, const void* a, const void* b, void* out, int64_t n,
                         const BroadcastParams& p, cudaStream_t s) {
  if (!ValidParams(p)) return cudaErrorInvalidValue;
  if (op != BinaryOp::Pow && ta != tb) return cudaErrorNotSupported;
  switch (op) {
    case BinaryOp::Add: return SameType<AddOp, false, true>(ta, a, b, out, n, p, s);
    case BinaryOp::Sub: return SameType<SubOp, false, true>(ta, a, b, out, n, p, s);
    case BinaryOp::Mul: return SameType<MulOp, false, true>(ta, a, b, out, n, p, s);
    case BinaryOp::Div: return SameType<DivOp, false, true>(ta, a, b, out, n, p, s);
    case BinaryOp::Pow:
      if (ta == ElemType::F32) return PowWithBase<float>(tb, a, b, out, n, p, s);
      if (ta == ElemType::F16) return PowWithBase<__half>(tb, a, b, out, n, p, s);
      return cudaErrorNotSupported;
    case BinaryOp::Equal: return SameType<EqualOp, true, true, true>(ta, a, b, out, n, p, s);
    case BinaryOp::Less: return SameType<LessOp, true, true>(ta, a, b, out, n, p, s);
    case BinaryOp::Greater: return SameType<GreaterOp, true, true>(ta, a, b, out, n, p, s);
    case BinaryOp::LessOrEqual: return SameType<LessOrEqualOp, true, true>(ta, a, b, out, n, p, s);
    case BinaryOp::GreaterOrEqual: return SameType<GreaterOrEqualOp, true, true>(ta, a, b, out, n, p, s);
    case BinaryOp::Max: return SameType<MaxOp, false, true>(ta, a, b, out, n, p, s);
    case BinaryOp::Min: return SameType<MinOp, false, true>(ta, a, b, out, n, p, s);
    case BinaryOp::PRelu: return SameType<PReluOp, false, false>(ta, a, b, out, n, p, s);
    case BinaryOp::And: return BoolOnly<AndOp>(ta, a, b, out, n, p, s);
    case BinaryOp::Or: return BoolOnly<OrOp>(ta, a, b, out, n, p, s);
    case BinaryOp::Xor: return BoolOnly<XorOp>(ta, a, b, out, n, p, s);
  }
  return cudaErrorNotSupported;
}

cudaError_t LaunchWhere(int elem_size, const bool* cond, const void* x, const void* y, void* out, int64_t n,
                        const BroadcastParams& p, cudaStream_t s) {
  if (!ValidParams(p)) return cudaErrorInvalidValue;
  switch (elem_size) {
    case 1: return RunWhere<uint8_t>(cond, x, y, out, n, p, s);
    case 2: return RunWhere<uint16_t>(cond, x, y, out, n, p, s);
    case 4: return RunWhere<uint32_t>(cond, x, y, out, n, p, s);
    case 8: return RunWhere<uint64_t>(cond, x, y, out, n, p, s);
    default: return cudaErrorNotSupported;
  }
}

cudaError_t LaunchBroadcastCopy(int elem_size, const void* in, void* out, int64_t n, const BroadcastParams& p,
                                cudaStream_t s) {
  if (!ValidParams(p)) return cudaErrorInvalidValue;
  switch (elem_size) {
    case 1: return RunBroadcastCopy<uint8_t>(in, out, n, p, s);
    case 2: return RunBroadcastCopy<uint16_t>(in, out, n, p, s);
    case 4: return RunBroadcastCopy<uint32_t>(in, out, n, p, s);
    case 8: return RunBroadcastCopy<uint64_t>(in, out, n, p, s);
    default: return cudaErrorNotSupported;
  }
}

}  // namespace onyx::cuda
