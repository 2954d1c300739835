#pragma once
// Launch functions of the elementwise CUDA kernels (binary with broadcasting, Where, unary,
// Cast, fill). Plain pointers and sizes; no onyx headers. Each returns the launch status
// (cudaSuccess, or the error of the launch); nothing is launched for n == 0.
#include <cuda_runtime.h>

#include <cstdint>

namespace onyx::cuda {

// Element types the kernels know. float16 is IEEE half stored as 16 bits.
enum class ElemType : int { F32, F16, F64, I8, U8, I32, I64, Bool };

inline constexpr int kMaxBroadcastDims = 8;
inline constexpr int kMaxBroadcastInputs = 3;

// A broadcast over merged output dims: input k's element for output index (i_0..i_{rank-1}) is
// at sum_d i_d * strides[k][d] (0 where the input repeats along d). rank is 1..8; rank 1 means
// every input either advances with the output (stride 1) or is a single element (stride 0).
struct BroadcastParams {
  int rank = 1;
  int64_t dims[kMaxBroadcastDims] = {};
  int64_t strides[kMaxBroadcastInputs][kMaxBroadcastDims] = {};
};

enum class BinaryOp : int {
  Add, Sub, Mul, Div, Pow,                                  // arithmetic (Pow: float types only)
  Equal, Less, Greater, LessOrEqual, GreaterOrEqual,        // bool output
  Max, Min, PRelu,                                          // NaN propagates in Max/Min
  And, Or, Xor,                                             // bool only
};

// out[i] = op(a[offset_0(i)], b[offset_1(i)]) for i < n (n = product of p.dims). Types: a and b
// share `ta` except for Pow, whose exponent type `tb` may be F32 or F16 for an F32/F16 base.
// Integer Div by zero gives 0; integer overflow wraps.
cudaError_t LaunchBinary(BinaryOp op, ElemType ta, ElemType tb, const void* a, const void* b, void* out, int64_t n,
                         const BroadcastParams& p, cudaStream_t stream);

// out[i] = cond[offset_0(i)] ? x[offset_1(i)] : y[offset_2(i)], for elements of elem_size bytes
// (1, 2, 4 or 8).
cudaError_t LaunchWhere(int elem_size, const bool* cond, const void* x, const void* y, void* out, int64_t n,
                        const BroadcastParams& p, cudaStream_t stream);

// out[i] = in[offset_0(i)] for elements of elem_size bytes (1, 2, 4 or 8).
cudaError_t LaunchBroadcastCopy(int elem_size, const void* in, void* out, int64_t n, const BroadcastParams& p,
                                cudaStream_t stream);

enum class UnaryOp : int {
  Relu, Sigmoid, Tanh, Erf, Exp, Log, Sqrt, Neg, Abs, Reciprocal, Floor, Ceil, Round, Sign,
  Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh,
  LeakyRelu, Elu, Selu, Celu, ThresholdedRelu, HardSigmoid, HardSwish, Softplus, Softsign, Mish,
  Gelu, GeluTanh,
  Clip,   // alpha = low bound, beta = high bound
  Scale,  // x * alpha
  Not,    // bool only
};

struct UnaryParams {
  float alpha = 0.f, beta = 0.f, gamma = 0.f;
};

// y[i] = op(x[i]) for F32 and F16 (computed in float), Not for Bool.
cudaError_t LaunchUnary(UnaryOp op, ElemType type, const void* x, void* y, int64_t n, const UnaryParams& params,
                        cudaStream_t stream);

// y[i] = x[i] converted, between any two ElemTypes, with the CPU kernel's rules: float to
// integer truncates toward zero, out-of-range and NaN give the lowest int32/int64 value (then
// wrap to narrower types); integer to integer wraps; to bool is x != 0.
cudaError_t LaunchCast(ElemType from, ElemType to, const void* x, void* y, int64_t n, cudaStream_t stream);

// y[i] = value converted to `type`.
cudaError_t LaunchFill(ElemType type, void* y, int64_t n, float value, cudaStream_t stream);

}  // namespace onyx::cuda
