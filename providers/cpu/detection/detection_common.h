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
