#pragma once
// Helpers shared by the detection-family kernels.
#include <string>
#include <type_traits>

#include "kernel_utils.h"

namespace onyx::detection {

template <typename T>
inline float LoadF(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return ToFloat(v);
  else return static_cast<float>(v);
}

template <typename T>
inline T StoreF(float v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return FromFloat<T>(v);
  else return static_cast<T>(v);
}

// Calls fn(TypeTag<T>{}) for float, double, float16 and bfloat16.
template <typename Fn>
void DispatchFloat(DataType dt, const KernelContext& ctx, Fn&& fn) {
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

// Accumulator type: double stays double, everything else computes in float.
template <typename T>
using AccOf = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <typename T>
inline AccOf<T> Load(T v) {
  if constexpr (std::is_same_v<T, double>) return v;
  else return LoadF(v);
}

template <typename T>
inline T Store(AccOf<T> v) {
  if constexpr (std::is_same_v<T, double>) return v;
  else return StoreF<T>(v);
}

inline void ExpectSameType(const Tensor& a, const Tensor& b, const KernelContext& ctx, const char* what) {
  if (a.dtype() != b.dtype())
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " should have element type " + DataTypeName(a.dtype()) +
                                                        ", got " + DataTypeName(b.dtype()));
}

}  // namespace onyx::detection
