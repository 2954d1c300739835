#pragma once
// Helpers shared by the signal kernels: float-like element conversion through double and
// scalar inputs.
#include <string>
#include <type_traits>

#include "kernel_utils.h"

namespace onyx::signal {

template <typename T>
inline double ToDouble(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return static_cast<double>(ToFloat(v));
  else return static_cast<double>(v);
}

template <typename T>
inline T FromDouble(double v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return FromFloat<T>(static_cast<float>(v));
  else return static_cast<T>(v);
}


// A one-element int32/int64 tensor (rank 0 or [1]) as int64.
inline int64_t ReadIntScalar(const Tensor& t, const KernelContext& ctx, const char* what) {
  if (t.size() != 1)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " should be a scalar, got shape " + ShapeToString(t.shape()));
  return ReadInt64s(t, ctx)[0];
}

// A one-element numeric tensor as double.
inline double ReadFloatScalar(const Tensor& t, const KernelContext& ctx, const char* what) {
  if (t.size() != 1)
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " should be a scalar, got shape " + ShapeToString(t.shape()));
  double v = 0;
  DispatchAll(t.dtype(), ctx, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, std::string>)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(what) + " should be numeric, got a string tensor");
    else if constexpr (std::is_same_v<T, bool>) v = t.data<bool>()[0] ? 1.0 : 0.0;
    else v = ToDouble(t.data<T>()[0]);
  });
  return v;
}

}  // namespace onyx::signal
