#pragma once
// Small helpers shared by CPU op kernels: dtype dispatch, axes, broadcasting, reading shape-like
// inputs. ONNX semantics live in the kernels; these only remove repetition.
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "core/float16.h"
#include "core/op_kernel.h"

namespace onyx {

// Storage types for the 16-bit floats; arithmetic goes through float.
struct Half { uint16_t bits; };
struct BFloat16 { uint16_t bits; };
inline float ToFloat(Half h) { return HalfToFloat(h.bits); }
inline float ToFloat(BFloat16 h) { return BFloat16ToFloat(h.bits); }
template <typename T> T FromFloat(float f);
template <> inline Half FromFloat<Half>(float f) { return Half{FloatToHalf(f)}; }
template <> inline BFloat16 FromFloat<BFloat16>(float f) { return BFloat16{FloatToBFloat16(f)}; }

template <typename T> struct TypeTag { using type = T; };

// Calls fn(TypeTag<T>{}) for the C++ type of dtype. Unsupported types throw NotImplemented
// naming the node. Variants cover the sets kernels commonly accept.
template <typename Fn>
void DispatchAll(DataType dt, const KernelContext& ctx, Fn&& fn) {
  switch (dt) {
    case DataType::Float: fn(TypeTag<float>{}); return;
    case DataType::Double: fn(TypeTag<double>{}); return;
    case DataType::Int8: fn(TypeTag<int8_t>{}); return;
    case DataType::Int16: fn(TypeTag<int16_t>{}); return;
    case DataType::Int32: fn(TypeTag<int32_t>{}); return;
    case DataType::Int64: fn(TypeTag<int64_t>{}); return;
    case DataType::UInt8: fn(TypeTag<uint8_t>{}); return;
    case DataType::UInt16: fn(TypeTag<uint16_t>{}); return;
    case DataType::UInt32: fn(TypeTag<uint32_t>{}); return;
    case DataType::UInt64: fn(TypeTag<uint64_t>{}); return;
    case DataType::Bool: fn(TypeTag<bool>{}); return;
    case DataType::Float16: fn(TypeTag<Half>{}); return;
    case DataType::BFloat16: fn(TypeTag<BFloat16>{}); return;
    case DataType::String: fn(TypeTag<std::string>{}); return;
    default:
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(dt) + " is not supported");
  }
}

// Same but only for types with native arithmetic (no 16-bit floats, bool, string).
template <typename Fn>
void DispatchArithmetic(DataType dt, const KernelContext& ctx, Fn&& fn) {
  switch (dt) {
    case DataType::Float: fn(TypeTag<float>{}); return;
    case DataType::Double: fn(TypeTag<double>{}); return;
    case DataType::Int8: fn(TypeTag<int8_t>{}); return;
    case DataType::Int16: fn(TypeTag<int16_t>{}); return;
    case DataType::Int32: fn(TypeTag<int32_t>{}); return;
    case DataType::Int64: fn(TypeTag<int64_t>{}); return;
    case DataType::UInt8: fn(TypeTag<uint8_t>{}); return;
    case DataType::UInt16: fn(TypeTag<uint16_t>{}); return;
    case DataType::UInt32: fn(TypeTag<uint32_t>{}); return;
    case DataType::UInt64: fn(TypeTag<uint64_t>{}); return;
    default:
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(dt) + " is not supported");
  }
}

// Calls fn(TypeTag<T>{}) for the floating element types (float, double, float16, bfloat16).
template <typename Fn>
void DispatchFloating(DataType dt, const KernelContext& ctx, Fn&& fn) {
  switch (dt) {
    case DataType::Float: fn(TypeTag<float>{}); return;
    case DataType::Double: fn(TypeTag<double>{}); return;
    case DataType::Float16: fn(TypeTag<Half>{}); return;
    case DataType::BFloat16: fn(TypeTag<BFloat16>{}); return;
    default:
      throw ctx.MakeError(ErrorCode::NotImplemented,
                          std::string("expected a float, double, float16 or bfloat16 tensor, got ") + DataTypeName(dt));
  }
}

// Maps a possibly negative axis into [0, rank); throws InvalidArgument naming the node.
inline int64_t NormalizeAxis(int64_t axis, int64_t rank, const KernelContext& ctx) {
  if (axis < -rank || axis >= (rank == 0 ? 1 : rank))
    throw ctx.MakeError(ErrorCode::InvalidArgument, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

// Reads an int32/int64 tensor (e.g. a shape, axes, pads input) as int64 values.
inline std::vector<int64_t> ReadInt64s(const Tensor& t, const KernelContext& ctx) {
  std::vector<int64_t> v(static_cast<size_t>(t.size()));
  if (t.dtype() == DataType::Int64) {
    for (int64_t i = 0; i < t.size(); ++i) v[i] = t.data<int64_t>()[i];
  } else if (t.dtype() == DataType::Int32) {
    for (int64_t i = 0; i < t.size(); ++i) v[i] = t.data<int32_t>()[i];
  } else {
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("expected an int64 or int32 tensor, got ") + DataTypeName(t.dtype()));
  }
  return v;
}

// Numpy-style broadcast of two shapes; throws InvalidArgument naming the node on mismatch.
inline std::vector<int64_t> BroadcastShapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                                            const KernelContext& ctx) {
  size_t r = std::max(a.size(), b.size());
  std::vector<int64_t> out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "shapes " + ShapeToString(a) + " and " + ShapeToString(b) +
                                                          " cannot be broadcast (dimension " + std::to_string(i) + ": " +
                                                          std::to_string(da) + " vs " + std::to_string(db) + ")");
    out[i] = (da == 1) ? db : da;
  }
  return out;
}

// Element strides of `shape` aligned to an output of rank `rank`, with 0 for broadcast dims.
inline std::vector<int64_t> BroadcastStrides(const std::vector<int64_t>& shape, const std::vector<int64_t>& out_shape) {
  size_t r = out_shape.size();
  std::vector<int64_t> strides(r, 0);
  int64_t s = 1;
  for (size_t k = 0; k < shape.size(); ++k) {
    size_t i = shape.size() - 1 - k;
    size_t o = r - 1 - k;
    strides[o] = (shape[i] == 1 && out_shape[o] != 1) ? 0 : s;
    s *= shape[i];
  }
  return strides;
}

template <typename T>
KernelFactory MakeFactory() {
  return [](const KernelInfo& info) -> std::unique_ptr<OpKernel> { return std::make_unique<T>(info); };
}

}  // namespace onyx
