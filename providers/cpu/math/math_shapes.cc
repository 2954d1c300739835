// Shape logic of the math kernels (see math_shapes.h).
#include "math/math_shapes.h"

#include <string>

namespace onyx {

MatMulDims ResolveMatMulDims(const std::vector<int64_t>& a, const std::vector<int64_t>& b, const KernelContext& ctx) {
  if (a.empty() || b.empty())
    throw ctx.MakeError(ErrorCode::InvalidArgument, "inputs must have rank >= 1, got shapes " + ShapeToString(a) + " and " +
                                                        ShapeToString(b));
  MatMulDims d;
  d.a_vector = a.size() == 1;
  d.b_vector = b.size() == 1;
  const std::vector<int64_t> as = d.a_vector ? std::vector<int64_t>{1, a[0]} : a;
  const std::vector<int64_t> bs = d.b_vector ? std::vector<int64_t>{b[0], 1} : b;
  d.M = as[as.size() - 2];
  d.K = as.back();
  d.N = bs.back();
  if (bs[bs.size() - 2] != d.K)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "shapes " + ShapeToString(a) + " and " + ShapeToString(b) +
                                                        " cannot be multiplied (inner dims " + std::to_string(d.K) + " vs " +
                                                        std::to_string(bs[bs.size() - 2]) + ")");
  d.batch_a.assign(as.begin(), as.end() - 2);
  d.batch_b.assign(bs.begin(), bs.end() - 2);
  return d;
}

std::vector<int64_t> MatMulOutputShape(const MatMulDims& d, const std::vector<int64_t>& batch) {
  std::vector<int64_t> out_shape = batch;
  if (!d.a_vector) out_shape.push_back(d.M);
  if (!d.b_vector) out_shape.push_back(d.N);
  return out_shape;
}

GemmDims ResolveGemmDims(const std::vector<int64_t>& a, const std::vector<int64_t>& b, bool trans_a, bool trans_b,
                         const KernelContext& ctx) {
  if (a.size() != 2 || b.size() != 2)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "A and B must be 2-D, got shapes " + ShapeToString(a) + " and " +
                                                        ShapeToString(b));
  GemmDims d;
  d.M = trans_a ? a[1] : a[0];
  d.K = trans_a ? a[0] : a[1];
  const int64_t Kb = trans_b ? b[1] : b[0];
  d.N = trans_b ? b[0] : b[1];
  if (d.K != Kb)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "inner dims differ: op(A) is " + std::to_string(d.M) + "x" +
                                                        std::to_string(d.K) + ", op(B) is " + std::to_string(Kb) + "x" +
                                                        std::to_string(d.N));
  return d;
}

SoftmaxDims ResolveSoftmaxDims(const std::vector<int64_t>& shape, int64_t axis_attr, bool legacy, const KernelContext& ctx) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t axis = rank == 0 ? 0 : NormalizeAxis(axis_attr, rank, ctx);
  SoftmaxDims r;
  for (int64_t d = 0; d < rank; ++d) {
    if (d < axis) r.outer *= shape[d];
    else if (d == axis || legacy) r.len *= shape[d];
    else r.inner *= shape[d];
  }
  return r;
}

}  // namespace onyx
