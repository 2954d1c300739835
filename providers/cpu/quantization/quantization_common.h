#pragma once
// Helpers shared by the quantization kernels: reading scales and zero points of any allowed
// element type, the integer ranges of the quantized types, and how a scale/zero-point tensor
// maps onto the elements of the quantized tensor (per tensor, per axis, blocked).
#include <cmath>
#include <string>
#include <vector>

#include "cpu_kernels.h"
#include "kernel_utils.h"
#include "quantization/float8.h"

namespace onyx::quant {

void RegisterQuantizeLinearKernels(KernelRegistry& r);  // quantize_linear.cc
void RegisterQLinearKernels(KernelRegistry& r);         // qlinear_ops.cc

// Inclusive value range of an integer quantized type; false for other types.
inline bool IntegerRange(DataType t, int64_t& lo, int64_t& hi) {
  switch (t) {
    case DataType::UInt8: lo = 0; hi = 255; return true;
    case DataType::Int8: lo = -128; hi = 127; return true;
    case DataType::UInt16: lo = 0; hi = 65535; return true;
    case DataType::Int16: lo = -32768; hi = 32767; return true;
    case DataType::UInt4: lo = 0; hi = 15; return true;
    case DataType::Int4: lo = -8; hi = 7; return true;
    case DataType::UInt2: lo = 0; hi = 3; return true;
    case DataType::Int2: lo = -2; hi = 1; return true;
    case DataType::Int32: lo = INT32_MIN; hi = INT32_MAX; return true;
    default: return false;
  }
}

// Element i of an integer tensor (int4/uint4 stored one per byte) as int64.
inline int64_t LoadInteger(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::UInt8: case DataType::UInt4: case DataType::UInt2: return t.data<uint8_t>()[i];
    case DataType::Int8: case DataType::Int4: case DataType::Int2: return t.data<int8_t>()[i];
    case DataType::UInt16: return t.data<uint16_t>()[i];
    case DataType::Int16: return t.data<int16_t>()[i];
    case DataType::Int32: return t.data<int32_t>()[i];
    case DataType::Int64: return t.data<int64_t>()[i];
    case DataType::UInt32: return t.data<uint32_t>()[i];
    default: return 0;
  }
}

// All elements of a float/float16/bfloat16/double tensor as float; throws for other types.
inline std::vector<float> ReadFloats(const Tensor& t, const KernelContext& ctx, const char* what) {
  std::vector<float> v(static_cast<size_t>(t.size()));
  switch (t.dtype()) {
    case DataType::Float: for (size_t i = 0; i < v.size(); ++i) v[i] = t.data<float>()[i]; break;
    case DataType::Double: for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(t.data<double>()[i]); break;
    case DataType::Float16: for (size_t i = 0; i < v.size(); ++i) v[i] = HalfToFloat(t.data<uint16_t>()[i]); break;
    case DataType::BFloat16: for (size_t i = 0; i < v.size(); ++i) v[i] = BFloat16ToFloat(t.data<uint16_t>()[i]); break;
    default:
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " must be float, float16 or bfloat16, got " +
                                                          DataTypeName(t.dtype()));
  }
  return v;
}

// All elements of a zero-point tensor as float (integer or float8 types).
inline std::vector<float> ReadZeroPointsAsFloat(const Tensor& t, const KernelContext& ctx, const char* what) {
  std::vector<float> v(static_cast<size_t>(t.size()));
  int64_t lo, hi;
  if (float8::IsFloat8(t.dtype())) {
    const float8::Format f = float8::FormatOf(t.dtype());
    for (size_t i = 0; i < v.size(); ++i) v[i] = float8::ToFloat(t.data<uint8_t>()[i], f);
  } else if (t.dtype() == DataType::Float4E2M1) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = float8::Float4ToFloat(t.data<uint8_t>()[i]);
  } else if (IntegerRange(t.dtype(), lo, hi)) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(LoadInteger(t, static_cast<int64_t>(i)));
  } else {
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " has unsupported element type " +
                                                        DataTypeName(t.dtype()));
  }
  return v;
}

// How a scale / zero-point tensor of shape `param` applies to a tensor of shape `x` viewed as
// [outer, dim, inner] around `axis`: one value (per tensor), one per index along axis, or one per
// block of `block` indices along axis (param has x's rank, with ceil(dim / block) along axis).
struct QuantLayout {
  int64_t outer = 1, dim = 1, inner = 1;
  int64_t block = 0;      // 0: not blocked
  int64_t num_blocks = 1;
  bool per_tensor = true;

  // Index into the parameter tensor for element (o, d, 0) of x; element (o, d, i) adds
  // i * InnerStride().
  int64_t ParamIndex(int64_t o, int64_t d) const {
    if (per_tensor) return 0;
    if (block == 0) return d;
    return (o * num_blocks + d / block) * inner;
  }
  int64_t InnerStride() const { return block == 0 ? 0 : 1; }
};

inline QuantLayout MakeQuantLayout(const std::vector<int64_t>& x, const std::vector<int64_t>& param, int64_t axis,
                                   int64_t block_size, const KernelContext& ctx) {
  QuantLayout L;
  const int64_t rank = static_cast<int64_t>(x.size());
  int64_t psize = 1;
  for (int64_t d : param) psize *= d;
  if (psize == 1 && (param.size() <= 1 || block_size <= 0)) {
    L.outer = ShapeSize(x);
    return L;
  }
  if (rank == 0)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "a scalar input needs a scalar scale, got shape " + ShapeToString(param));
  const int64_t a = NormalizeAxis(axis, rank, ctx);
  L.per_tensor = false;
  L.dim = x[a];
  for (int64_t i = 0; i < a; ++i) L.outer *= x[i];
  for (int64_t i = a + 1; i < rank; ++i) L.inner *= x[i];
  if (block_size <= 0) {
    if (param.size() != 1 || param[0] != x[a])
      throw ctx.MakeError(ErrorCode::InvalidArgument, "per-axis scale must be 1-D of size " + std::to_string(x[a]) +
                                                          " (axis " + std::to_string(a) + " of " + ShapeToString(x) +
                                                          "), got shape " + ShapeToString(param));
    return L;
  }
  L.block = block_size;
  L.num_blocks = (x[a] + block_size - 1) / block_size;
  bool ok = param.size() == x.size();
  for (int64_t i = 0; ok && i < rank; ++i) ok = param[i] == (i == a ? L.num_blocks : x[i]);
  if (!ok)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "blocked scale for input " + ShapeToString(x) + ", axis " +
                                                        std::to_string(a) + ", block_size " + std::to_string(block_size) +
                                                        " must have shape with " + std::to_string(L.num_blocks) +
                                                        " along the axis, got " + ShapeToString(param));
  return L;
}

}  // namespace onyx::quant
