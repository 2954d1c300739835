// Cast and CastLike between all numeric types, bool, float16/bfloat16 and string.
#include <charconv>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cctype>
#include <cstring>

#include "math/math_kernels.h"
#include "quantization/float8.h"

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

struct CastOptions {
  bool saturate = true;
  float8::E8M0Round round = float8::E8M0Round::Up;
};

// Types onyx stores one element per byte that the generic dispatch does not cover: float codes
// (decoded through float) and sub-byte integers (stored sign-extended, handled as int8/uint8).
bool IsSmallFloat(DataType t) {
  return float8::IsFloat8(t) || t == DataType::Float8E8M0 || t == DataType::Float4E2M1;
}
bool IsSmallInt(DataType t) {
  return t == DataType::Int4 || t == DataType::UInt4 || t == DataType::Int2 || t == DataType::UInt2;
}

float SmallFloatToFloat(uint8_t c, DataType t) {
  if (t == DataType::Float8E8M0) return float8::E8M0ToFloat(c);
  if (t == DataType::Float4E2M1) return float8::Float4ToFloat(c);
  return float8::ToFloat(c, float8::FormatOf(t));
}

uint8_t FloatToSmallFloat(float v, DataType t, const CastOptions& o) {
  if (t == DataType::Float8E8M0) return float8::E8M0FromFloat(v, o.saturate, o.round);
  if (t == DataType::Float4E2M1) return float8::Float4FromFloat(v);
  return float8::FromFloat(v, float8::FormatOf(t), o.saturate);
}

// Keeps the low bits of v, sign-extended for the signed types: integer casts wrap.
uint8_t WrapToSmallInt(int64_t v, DataType t) {
  const int bits = PackedBits(t);
  const uint32_t mask = (1u << bits) - 1;
  uint32_t u = static_cast<uint32_t>(static_cast<uint64_t>(v)) & mask;
  if ((t == DataType::Int4 || t == DataType::Int2) && (u >> (bits - 1))) u |= ~mask;
  return static_cast<uint8_t>(u);
}

void CastTensor(KernelContext& ctx, const Tensor& X, DataType to, const CastOptions& o);

// Sources of the small types first become a standard type (float, int8 or uint8) exactly.
Tensor Widen(const Tensor& X) {
  const DataType from = X.dtype();
  const uint8_t* x = X.data<uint8_t>();
  if (IsSmallFloat(from)) {
    Tensor t(DataType::Float, X.shape());
    float* d = t.data<float>();
    for (int64_t i = 0; i < X.size(); ++i) d[i] = SmallFloatToFloat(x[i], from);
    return t;
  }
  Tensor t((from == DataType::Int4 || from == DataType::Int2) ? DataType::Int8 : DataType::UInt8, X.shape());
  if (X.size()) std::memcpy(t.raw_data(), x, static_cast<size_t>(X.size()));
  return t;
}

void CastToSmall(KernelContext& ctx, const Tensor& X, DataType to, const CastOptions& o) {
  const int64_t n = X.size();
  if (IsSmallFloat(to)) {
    Tensor f;
    if (X.dtype() == DataType::Float) {
      f = X;
    } else {
      f = Tensor(DataType::Float, X.shape());
      float* d = f.data<float>();
      Dispatch<kAllTypes>(X.dtype(), ctx, [&](auto stag) {
        using S = typename decltype(stag)::type;
        const S* x = X.data<S>();
        for (int64_t i = 0; i < n; ++i) {
          if constexpr (std::is_same_v<S, std::string>) d[i] = FromText<float>(x[i], ctx);
          else d[i] = Convert<S, float>(x[i]);
        }
      });
    }
    Tensor& Y = ctx.Output(0, to, X.shape());
    const float* x = f.data<float>();
    uint8_t* y = Y.data<uint8_t>();
    ParallelChunks(ctx, n, 2.0, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) y[i] = FloatToSmallFloat(x[i], to, o);
    });
    return;
  }
  Tensor& Y = ctx.Output(0, to, X.shape());
  uint8_t* y = Y.data<uint8_t>();
  Dispatch<kAllTypes>(X.dtype(), ctx, [&](auto stag) {
    using S = typename decltype(stag)::type;
    const S* x = X.data<S>();
    for (int64_t i = 0; i < n; ++i) {
      int64_t v;
      if constexpr (std::is_same_v<S, std::string>) v = FromText<int64_t>(x[i], ctx);
      else if constexpr (kIsFloat<S>) v = FloatToInt<int64_t>(Elem<S>::Load(x[i]));
      else v = static_cast<int64_t>(x[i]);
      y[i] = WrapToSmallInt(v, to);
    }
  });
}

void CastTensor(KernelContext& ctx, const Tensor& X, DataType to, const CastOptions& o) {
  const DataType from = X.dtype();
  const bool small_from = IsSmallFloat(from) || IsSmallInt(from), small_to = IsSmallFloat(to) || IsSmallInt(to);
  if (small_from && from == to) {
    Tensor& Y = ctx.Output(0, to, X.shape());
    if (X.size()) std::memcpy(Y.raw_data(), X.raw_data(), static_cast<size_t>(X.size()));
    return;
  }
  if (small_from) return CastTensor(ctx, Widen(X), to, o);
  if (small_to) return CastToSmall(ctx, X, to, o);
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

// saturate exists from opset 19, round_mode from 24; older nodes get the defaults.
CastOptions ReadOptions(const KernelInfo& info) {
  CastOptions o;
  o.saturate = info.GetInt("saturate", 1) != 0;
  const std::string m = info.GetString("round_mode", "up");
  if (m == "up") o.round = float8::E8M0Round::Up;
  else if (m == "down") o.round = float8::E8M0Round::Down;
  else if (m == "nearest") o.round = float8::E8M0Round::Nearest;
  else throw info.MakeError(ErrorCode::InvalidGraph, "attribute 'round_mode' must be up, down or nearest, got '" + m + "'");
  return o;
}

class CastKernel final : public OpKernel {
 public:
  explicit CastKernel(const KernelInfo& info) : opts_(ReadOptions(info)) {
    const int64_t to = info.RequireInt("to");
    if (!IsKnownDataType(static_cast<int32_t>(to)))
      throw info.MakeError(ErrorCode::InvalidGraph, "attribute 'to' holds unknown element type " + std::to_string(to));
    to_ = static_cast<DataType>(to);
  }
  void Compute(KernelContext& ctx) const override { CastTensor(ctx, ctx.Input(0), to_, opts_); }

 private:
  CastOptions opts_;
  DataType to_;
};

class CastLikeKernel final : public OpKernel {
 public:
  explicit CastLikeKernel(const KernelInfo& info) : opts_(ReadOptions(info)) {}
  void Compute(KernelContext& ctx) const override { CastTensor(ctx, ctx.Input(0), ctx.Input(1).dtype(), opts_); }

 private:
  CastOptions opts_;
};

}  // namespace

void RegisterCastKernels(KernelRegistry& r) {
  RegisterOp<CastKernel>(r, "Cast", kAllTypes);
  RegisterOp<CastLikeKernel>(r, "CastLike", kAllTypes, 15);
}

}  // namespace onyx::math
