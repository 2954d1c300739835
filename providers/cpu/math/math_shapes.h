#pragma once
// Shape logic of the math kernels that the CPU kernels (math/) share with the CUDA ones
// (providers/cuda/math/): MatMul and Gemm operand checks, the Softmax row layout. Pure functions
// of shapes and attributes; errors are thrown through ctx.MakeError.
#include <cstdint>
#include <vector>

#include "kernel_utils.h"

namespace onyx {

// MatMul as numpy defines it: a 1-D A is promoted to (1, K) and a 1-D B to (K, 1) (those dims
// are dropped from the output again), the other leading dims are batch dims that broadcast.
struct MatMulDims {
  bool a_vector = false, b_vector = false;  // A (B) was 1-D
  int64_t M = 0, K = 0, N = 0;
  std::vector<int64_t> batch_a, batch_b;  // the leading dims of the promoted A and B
};
// Checks ranks (>= 1) and the inner dims.
MatMulDims ResolveMatMulDims(const std::vector<int64_t>& a, const std::vector<int64_t>& b, const KernelContext& ctx);
// batch + (M unless A was 1-D) + (N unless B was 1-D).
std::vector<int64_t> MatMulOutputShape(const MatMulDims& d, const std::vector<int64_t>& batch);

// Gemm: op(A) is M x K and op(B) is K x N, op transposing when trans_a (trans_b) is set.
struct GemmDims {
  int64_t M = 0, K = 0, N = 0;
};
// Checks that A and B are 2-D and that the inner dims agree.
GemmDims ResolveGemmDims(const std::vector<int64_t>& a, const std::vector<int64_t>& b, bool trans_a, bool trans_b,
                         const KernelContext& ctx);

// Softmax, LogSoftmax and Hardmax view the input as (outer, len, inner) and work along len:
// before opset 13 (legacy) len covers every dim from axis on (the input coerced to 2-D), since
// then only `axis`. A scalar is one row of one element.
struct SoftmaxDims {
  int64_t outer = 1, len = 1, inner = 1;
};
SoftmaxDims ResolveSoftmaxDims(const std::vector<int64_t>& shape, int64_t axis, bool legacy, const KernelContext& ctx);

}  // namespace onyx
