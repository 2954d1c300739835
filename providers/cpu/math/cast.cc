// Cast and CastLike between all numeric types, bool, float16/bfloat16 and string.
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cctype>
#include <cstring>

#include "math/math_kernels.h"

namespace onyx::math {

namespace {

// Numbers to text: integers in full, floats in the shortest form that reads back to the same
// value in their own precision (as numpy's str() and the ONNX test data write them), and
// NaN / INF / -INF.
template <typename S>
std::string ToText(const S& s) {
  if constexpr (std::is_same_v<S, bool>) {
    return s ? "1" : "0";
  } else if constexpr (std::is_integral_v<S>) {
    return std::to_string(s);
  } else {
    const double v = static_cast<double>(Elem<S>::Load(s));
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v < 0 ? "-INF" : "INF";
    char buf[64];
    std::to_chars_result r;
    if constexpr (std::is_same_v<S, double>) r = std::to_chars(buf, buf + sizeof buf, v);
    else r = std::to_chars(buf, buf + sizeof buf, static_cast<float>(v));
    return std::string(buf, r.ptr);
  }
}

// Text to numbers: decimal or scientific notation, and inf/nan spellings for floats. Anything
// else is an error naming the node.
template <typename D>
D FromText(const std::string& s, const KernelContext& ctx) {
  const char* b = s.c_str();
  char* end = nullptr;
  errno = 0;
  auto bad = [&] {
    return ctx.MakeError(ErrorCode::InvalidArgument, "cannot cast string \"" + s + "\" to " + DataTypeName(DataTypeOf<D>()));
  };
  auto check_end = [&] {
    while (end && *end && std::isspace(static_cast<unsigned char>(*end))) ++end;
    if (end == b || (end && *end)) throw bad();
  };
  if constexpr (std::is_same_v<D, bool>) {
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    double v = std::strtod(b, &end);
    check_end();
    return v != 0;
  } else if constexpr (std::is_integral_v<D> && std::is_signed_v<D>) {
    long long v = std::strtoll(b, &end, 10);
    if (end && *end == '.') {  // "3.0" and "1e3" parse as a number, then convert
      return FloatToInt<D>(FromText<double>(s, ctx));
    }
    if (end && (*end == 'e' || *end == 'E')) return FloatToInt<D>(FromText<double>(s, ctx));
    check_end();
    if (errno == ERANGE) throw bad();
    return static_cast<D>(v);
  } else if constexpr (std::is_integral_v<D>) {
    unsigned long long v = std::strtoull(b, &end, 10);
    if (end && (*end == '.' || *end == 'e' || *end == 'E')) return FloatToInt<D>(FromText<double>(s, ctx));
    check_end();
    if (errno == ERANGE) throw bad();
    return static_cast<D>(v);
  } else {
    double v = std::strtod(b, &end);
    check_end();
    return Elem<D>::Store(static_cast<ComputeT<D>>(v));
  }
}

template <typename S, typename D>
D Convert(const S& s) {
  if constexpr (std::is_same_v<S, D>) {
    return s;
  } else if constexpr (std::is_same_v<D, bool>) {
    return Elem<S>::Load(s) != 0;
  } else if constexpr (std::is_integral_v<D>) {
    if constexpr (kIsFloat<S>) return FloatToInt<D>(Elem<S>::Load(s));
    else return static_cast<D>(s);  // wraps, as numpy and onnxruntime
  } else if constexpr (std::is_same_v<D, BFloat16> && std::is_same_v<S, Half>) {
    return FromFloat<BFloat16>(ToFloat(s));
  } else if constexpr (std::is_same_v<D, Half> && std::is_same_v<S, BFloat16>) {
    return FromFloat<Half>(ToFloat(s));
  } else if constexpr (std::is_same_v<D, Half> || std::is_same_v<D, BFloat16>) {
    return FromFloat<D>(static_cast<float>(Elem<S>::Load(s)));
  } else {
    return static_cast<D>(Elem<S>::Load(s));
  }
}

void CastTensor(KernelContext& ctx, const Tensor& X, DataType to) {
  if (to == DataType::Float8E4M3FN || to == DataType::Float8E4M3FNUZ || to == DataType::Float8E5M2 ||
      to == DataType::Float8E5M2FNUZ || X.dtype() == DataType::Float8E4M3FN || X.dtype() == DataType::Float8E4M3FNUZ ||
      X.dtype() == DataType::Float8E5M2 || X.dtype() == DataType::Float8E5M2FNUZ)
    throw ctx.MakeError(ErrorCode::NotImplemented, std::string("casts from ") + DataTypeName(X.dtype()) + " to " +
                                                       DataTypeName(to) + " are not supported (float8 types)");
  Dispatch<kAllTypes>(X.dtype(), ctx, [&](auto stag) {
    using S = typename decltype(stag)::type;
    Dispatch<kAllTypes>(to, ctx, [&](auto dtag) {
      using D = typename decltype(dtag)::type;
      Tensor& Y = ctx.Output(0, to, X.shape());
      const S* x = X.data<S>();
      D* y = Y.data<D>();
      const int64_t n = X.size();
      if constexpr (std::is_same_v<S, D>) {
        if constexpr (std::is_same_v<S, std::string>) {
          for (int64_t i = 0; i < n; ++i) y[i] = x[i];
        } else if (n) {
          std::memcpy(y, x, static_cast<size_t>(n) * sizeof(S));
        }
      } else if constexpr (std::is_same_v<D, std::string>) {
        for (int64_t i = 0; i < n; ++i) y[i] = ToText(x[i]);
      } else if constexpr (std::is_same_v<S, std::string>) {
        for (int64_t i = 0; i < n; ++i) y[i] = FromText<D>(x[i], ctx);
      } else {
        ParallelChunks(ctx, n, 1.0, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) y[i] = Convert<S, D>(x[i]);
        });
      }
    });
  });
}

class CastKernel final : public OpKernel {
 public:
  explicit CastKernel(const KernelInfo& info) {
    const int64_t to = info.RequireInt("to");
    if (!IsKnownDataType(static_cast<int32_t>(to)))
      throw info.MakeError(ErrorCode::InvalidGraph, "attribute 'to' holds unknown element type " + std::to_string(to));
    to_ = static_cast<DataType>(to);
  }
  void Compute(KernelContext& ctx) const override { CastTensor(ctx, ctx.Input(0), to_); }

 private:
  DataType to_;
};

class CastLikeKernel final : public OpKernel {
 public:
  explicit CastLikeKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override { CastTensor(ctx, ctx.Input(0), ctx.Input(1).dtype()); }
};

}  // namespace

void RegisterCastKernels(KernelRegistry& r) {
  RegisterOp<CastKernel>(r, "Cast", kAllTypes);
  RegisterOp<CastLikeKernel>(r, "CastLike", kAllTypes, 15);
}

}  // namespace onyx::math
