// One-input elementwise ops (computed in float for float16), Cast and Fill.
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

template <typename T>
__device__ float LoadF(T v) { return static_cast<float>(v); }
template <>
__device__ float LoadF<__half>(__half v) { return __half2float(v); }
template <typename T>
__device__ T StoreF(float v) { return static_cast<T>(v); }
template <>
__device__ __half StoreF<__half>(float v) { return __float2half_rn(v); }

__device__ float Clamp01(float v) {
  v = v < 0.f ? 0.f : v;
  return v > 1.f ? 1.f : v;
}

// log(1 + exp(x)) without overflow.
__device__ float Softplus(float x) { return x > 0.f ? x + log1pf(expf(-x)) : log1pf(expf(x)); }

template <UnaryOp kOp>
__device__ float Apply(float x, const UnaryParams& q) {
  if constexpr (kOp == UnaryOp::Relu) return x < 0.f ? 0.f : x;  // NaN passes through
  else if constexpr (kOp == UnaryOp::Sigmoid) {
    if (x >= 0.f) return 1.f / (1.f + expf(-x));
    const float e = expf(x);
    return e / (1.f + e);
  }
  else if constexpr (kOp == UnaryOp::Tanh) return tanhf(x);
  else if constexpr (kOp == UnaryOp::Erf) return erff(x);
  else if constexpr (kOp == UnaryOp::Exp) return expf(x);
  else if constexpr (kOp == UnaryOp::Log) return logf(x);
  else if constexpr (kOp == UnaryOp::Sqrt) return sqrtf(x);
  else if constexpr (kOp == UnaryOp::Neg) return -x;
  else if constexpr (kOp == UnaryOp::Abs) return fabsf(x);
  else if constexpr (kOp == UnaryOp::Reciprocal) return 1.f / x;
  else if constexpr (kOp == UnaryOp::Floor) return floorf(x);
  else if constexpr (kOp == UnaryOp::Ceil) return ceilf(x);
  else if constexpr (kOp == UnaryOp::Round) return rintf(x);  // halves to even
  else if constexpr (kOp == UnaryOp::Sign) return x > 0.f ? 1.f : (x < 0.f ? -1.f : x);  // keeps 0 and NaN
  else if constexpr (kOp == UnaryOp::Sin) return sinf(x);
  else if constexpr (kOp == UnaryOp::Cos) return cosf(x);
  else if constexpr (kOp == UnaryOp::Tan) return tanf(x);
  else if constexpr (kOp == UnaryOp::Asin) return asinf(x);
  else if constexpr (kOp == UnaryOp::Acos) return acosf(x);
  else if constexpr (kOp == UnaryOp::Atan) return atanf(x);
  else if constexpr (kOp == UnaryOp::Sinh) return sinhf(x);
  else if constexpr (kOp == UnaryOp::Cosh) return coshf(x);
  else if constexpr (kOp == UnaryOp::Asinh) return asinhf(x);
  else if constexpr (kOp == UnaryOp::Acosh) return acoshf(x);
  else if constexpr (kOp == UnaryOp::Atanh) return atanhf(x);
  else if constexpr (kOp == UnaryOp::LeakyRelu) return x < 0.f ? q.alpha * x : x;
  else if constexpr (kOp == UnaryOp::Elu) return x < 0.f ? q.alpha * expm1f(x) : x;
  else if constexpr (kOp == UnaryOp::Selu) return x > 0.f ? q.gamma * x : q.gamma * q.alpha * expm1f(x);
  else if constexpr (kOp == UnaryOp::Celu) return x > 0.f ? x : q.alpha * expm1f(x / q.alpha);
  else if constexpr (kOp == UnaryOp::ThresholdedRelu) return x > q.alpha ? x : 0.f;
  else if constexpr (kOp == UnaryOp::HardSigmoid) return Clamp01(q.alpha * x + q.beta);
  else if constexpr (kOp == UnaryOp::HardSwish) return x * Clamp01(x * (1.f / 6.f) + 0.5f);
  else if constexpr (kOp == UnaryOp::Softplus) return Softplus(x);
  else if constexpr (kOp == UnaryOp::Softsign) return x / (1.f + fabsf(x));
  else if constexpr (kOp == UnaryOp::Mish) return x * tanhf(Softplus(x));
  else if constexpr (kOp == UnaryOp::Gelu) return 0.5f * x * (1.f + erff(x * 0.70710678118654752440f));
  else if constexpr (kOp == UnaryOp::GeluTanh) {
    const float k = 0.79788456080286535588f;  // sqrt(2/pi)
    return 0.5f * x * (1.f + tanhf(k * (x + 0.044715f * x * x * x)));
  }
  else if constexpr (kOp == UnaryOp::Clip) {
    x = x < q.alpha ? q.alpha : x;  // NaN passes through
    return x > q.beta ? q.beta : x;
  }
  else if constexpr (kOp == UnaryOp::Scale) return x * q.alpha;
  else return x;
}

template <typename T, UnaryOp kOp>
__global__ void UnaryKernel(const T* x, T* y, int64_t n, UnaryParams q) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    y[i] = StoreF<T>(Apply<kOp>(LoadF<T>(x[i]), q));
  }
}

__global__ void NotKernel(const bool* x, bool* y, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    y[i] = !x[i];
  }
}

template <UnaryOp kOp>
cudaError_t RunUnary(ElemType t, const void* x, void* y, int64_t n, const UnaryParams& q, cudaStream_t s) {
  if (t == ElemType::F32)
    UnaryKernel<float, kOp><<<BlocksFor(n), kThreads, 0, s>>>(static_cast<const float*>(x), static_cast<float*>(y), n, q);
  else if (t == ElemType::F16)
    UnaryKernel<__half, kOp><<<BlocksFor(n), kThreads, 0, s>>>(static_cast<const __half*>(x), static_cast<__half*>(y), n, q);
  else
    return cudaErrorNotSupported;
  return cudaGetLastError();
}

// ---- Cast -----------------------------------------------------------------------------------

template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<T> || std::is_same_v<T, __half>;

// The value in its arithmetic type: float for float16, itself otherwise.
template <typename T>
__device__ auto Value(T v) {
  if constexpr (std::is_same_v<T, __half>) return __half2float(v);
  else return v;
}

// As the CPU's FloatToInt: x86 conversion (out of range and NaN give the lowest int32/int64),
// then wrapped to narrower types.
template <typename I>
__device__ I FloatToInt(double d) {
  if constexpr (std::is_same_v<I, int32_t>) {
    return (d > -2147483649.0 && d < 2147483648.0) ? static_cast<int32_t>(d) : INT32_MIN;
  } else {
    const int64_t v = (d >= -9223372036854775808.0 && d < 9223372036854775808.0) ? static_cast<int64_t>(d) : INT64_MIN;
    return static_cast<I>(v);
  }
}

template <typename S, typename D>
__device__ D Convert(S s) {
  if constexpr (std::is_same_v<S, D>) {
    return s;
  } else if constexpr (std::is_same_v<D, bool>) {
    return Value(s) != 0;
  } else if constexpr (std::is_integral_v<D>) {
    if constexpr (kIsFloat<S>) return FloatToInt<D>(static_cast<double>(Value(s)));
    else return static_cast<D>(s);  // wraps
  } else if constexpr (std::is_same_v<D, __half>) {
    return __float2half_rn(static_cast<float>(Value(s)));
  } else {
    return static_cast<D>(Value(s));
  }
}

template <typename S, typename D>
__global__ void CastKernel(const S* x, D* y, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    y[i] = Convert<S, D>(x[i]);
  }
}

template <typename S, typename D>
cudaError_t RunCast(const void* x, void* y, int64_t n, cudaStream_t s) {
  CastKernel<S, D><<<BlocksFor(n), kThreads, 0, s>>>(static_cast<const S*>(x), static_cast<D*>(y), n);
  return cudaGetLastError();
}

template <typename S>
cudaError_t CastFrom(ElemType to, const void* x, void* y, int64_t n, cudaStream_t s) {
  switch (to) {
    case ElemType::F32: return RunCast<S, float>(x, y, n, s);
    case ElemType::F16: return RunCast<S, __half>(x, y, n, s);
    case ElemType::F64: return RunCast<S, double>(x, y, n, s);
    case ElemType::I8: return RunCast<S, int8_t>(x, y, n, s);
    case ElemType::U8: return RunCast<S, uint8_t>(x, y, n, s);
    case ElemType::I32: return RunCast<S, int32_t>(x, y, n, s);
    case ElemType::I64: return RunCast<S, int64_t>(x, y, n, s);
    case ElemType::Bool: return RunCast<S, bool>(x, y, n, s);
  }
  return cudaErrorNotSupported;
}

template <typename T>
__global__ void FillKernel(T* y, int64_t n, T v) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    y[i] = v;
  }
}

template <typename T>
cudaError_t RunFill(void* y, int64_t n, T v, cudaStream_t s) {
  FillKernel<T><<<BlocksFor(n), kThreads, 0, s>>>(static_cast<T*>(y), n, v);
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchUnary(UnaryOp op, ElemType t, const void* x, void* y, int64_t n, const UnaryParams& q,
                        cudaStream_t s) {
  if (n <= 0) return cudaSuccess;
#define ONYX_UNARY_CASE(OP) \
  case UnaryOp::OP: return RunUnary<UnaryOp::OP>(t, x, y, n, q, s);
  switch (op) {
    ONYX_UNARY_CASE(Relu) ONYX_UNARY_CASE(Sigmoid) ONYX_UNARY_CASE(Tanh) ONYX_UNARY_CASE(Erf)
    ONYX_UNARY_CASE(Exp) ONYX_UNARY_CASE(Log) ONYX_UNARY_CASE(Sqrt) ONYX_UNARY_CASE(Neg)
    ONYX_UNARY_CASE(Abs) ONYX_UNARY_CASE(Reciprocal) ONYX_UNARY_CASE(Floor) ONYX_UNARY_CASE(Ceil)
    ONYX_UNARY_CASE(Round) ONYX_UNARY_CASE(Sign) ONYX_UNARY_CASE(Sin) ONYX_UNARY_CASE(Cos)
    ONYX_UNARY_CASE(Tan) ONYX_UNARY_CASE(Asin) ONYX_UNARY_CASE(Acos) ONYX_UNARY_CASE(Atan)
    ONYX_UNARY_CASE(Sinh) ONYX_UNARY_CASE(Cosh) ONYX_UNARY_CASE(Asinh) ONYX_UNARY_CASE(Acosh)
    ONYX_UNARY_CASE(Atanh) ONYX_UNARY_CASE(LeakyRelu) ONYX_UNARY_CASE(Elu) ONYX_UNARY_CASE(Selu)
    ONYX_UNARY_CASE(Celu) ONYX_UNARY_CASE(ThresholdedRelu) ONYX_UNARY_CASE(HardSigmoid)
    ONYX_UNARY_CASE(HardSwish) ONYX_UNARY_CASE(Softplus) ONYX_UNARY_CASE(Softsign) ONYX_UNARY_CASE(Mish)
    ONYX_UNARY_CASE(Gelu) ONYX_UNARY_CASE(GeluTanh) ONYX_UNARY_CASE(Clip) ONYX_UNARY_CASE(Scale)
    case UnaryOp::Not:
      if (t != ElemType::Bool) return cudaErrorNotSupported;
      NotKernel<<<BlocksFor(n), kThreads, 0, s>>>(static_cast<const bool*>(x), static_cast<bool*>(y), n);
      return cudaGetLastError();
  }
#undef ONYX_UNARY_CASE
  return cudaErrorNotSupported;
}

cudaError_t LaunchCast(ElemType from, ElemType to, const void* x, void* y, int64_t n, cudaStream_t s) {
  if (n <= 0) return cudaSuccess;
  switch (from) {
    case ElemType::F32: return CastFrom<float>(to, x, y, n, s);
    case ElemType::F16: return CastFrom<__half>(to, x, y, n, s);
    case ElemType::F64: return CastFrom<double>(to, x, y, n, s);
    case ElemType::I8: return CastFrom<int8_t>(to, x, y, n, s);
    case ElemType::U8: return CastFrom<uint8_t>(to, x, y, n, s);
    case ElemType::I32: return CastFrom<int32_t>(to, x, y, n, s);
    case ElemType::I64: return CastFrom<int64_t>(to, x, y, n, s);
    case ElemType::Bool: return CastFrom<bool>(to, x, y, n, s);
  }
  return cudaErrorNotSupported;
}

cudaError_t LaunchFill(ElemType t, void* y, int64_t n, float v, cudaStream_t s) {
  if (n <= 0) return cudaSuccess;
  switch (t) {
    case ElemType::F32: return RunFill<float>(y, n, v, s);
    case ElemType::F16: return RunFill<__half>(y, n, __float2half_rn(v), s);
    case ElemType::F64: return RunFill<double>(y, n, static_cast<double>(v), s);
    case ElemType::Bool: return RunFill<bool>(y, n, v != 0.f, s);
    case ElemType::I32: return RunFill<int32_t>(y, n, static_cast<int32_t>(v), s);
    case ElemType::I64: return RunFill<int64_t>(y, n, static_cast<int64_t>(v), s);
    case ElemType::I8: return RunFill<int8_t>(y, n, static_cast<int8_t>(v), s);
    case ElemType::U8: return RunFill<uint8_t>(y, n, static_cast<uint8_t>(v), s);
  }
  return cudaErrorNotSupported;
}

}  // namespace onyx::cuda
