// One-input math functions: Abs, Neg, Sqrt, Exp, Log, trigonometry, rounding, predicates, Clip.
#include <cmath>
#include <limits>

#include "math/unary_common.h"
#include "mlas/math_activations.h"

namespace onyx::math {

namespace {

struct AbsOp {
  template <typename C> C operator()(C x) const {
    if constexpr (std::is_unsigned_v<C>) return x;
    else if constexpr (std::is_integral_v<C>) return x < 0 ? WrapNeg(x) : x;
    else return std::abs(x);
  }
};
struct NegOp {
  template <typename C> C operator()(C x) const { return WrapNeg(x); }
};
struct SqrtOp {
  template <typename C> C operator()(C x) const { return std::sqrt(x); }
  void Float(const float* x, float* y, int64_t n) const { mlas::SqrtF32(x, y, n); }
};
struct ReciprocalOp {
  template <typename C> C operator()(C x) const { return C(1) / x; }
};
struct ExpOp {
  static constexpr double kCost = 10;
  template <typename C> C operator()(C x) const { return std::exp(x); }
  void Float(const float* x, float* y, int64_t n) const { mlas::ExpF32(x, y, n); }
};
struct LogOp {
  static constexpr double kCost = 10;
  template <typename C> C operator()(C x) const { return std::log(x); }
};
struct ErfOp {
  static constexpr double kCost = 10;
  template <typename C> C operator()(C x) const { return std::erf(x); }
  void Float(const float* x, float* y, int64_t n) const { mlas::ErfF32(x, y, n); }
};
struct TanhOp {
  static constexpr double kCost = 10;
  template <typename C> C operator()(C x) const { return std::tanh(x); }
  void Float(const float* x, float* y, int64_t n) const { mlas::TanhF32(x, y, n); }
};
struct SigmoidOp {
  static constexpr double kCost = 10;
  template <typename C> C operator()(C x) const {
    // Split by sign so that exp never overflows into inf/inf.
    if (x >= 0) return C(1) / (C(1) + std::exp(-x));
    const C e = std::exp(x);
    return e / (C(1) + e);
  }
  void Float(const float* x, float* y, int64_t n) const { mlas::SigmoidF32(x, y, n); }
};
struct CeilOp {
  template <typename C> C operator()(C x) const { return std::ceil(x); }
};
struct FloorOp {
  template <typename C> C operator()(C x) const { return std::floor(x); }
};
struct RoundOp {
  // Halves to even: nearbyint under the default rounding mode.
  template <typename C> C operator()(C x) const { return std::nearbyint(x); }
};
struct SignOp {
  template <typename C> C operator()(C x) const {
    if constexpr (std::is_unsigned_v<C>) return x > 0 ? C(1) : C(0);
    else return x > 0 ? C(1) : (x < 0 ? C(-1) : x);  // keeps 0 and NaN
  }
};

#define ONYX_STD_UNARY(NAME, FN, COST)                                          \
  struct NAME {                                                                 \
    static constexpr double kCost = COST;                                       \
    template <typename C> C operator()(C x) const { return std::FN(x); }        \
  };
ONYX_STD_UNARY(SinOp, sin, 10)
ONYX_STD_UNARY(CosOp, cos, 10)
ONYX_STD_UNARY(TanOp, tan, 10)
ONYX_STD_UNARY(AsinOp, asin, 10)
ONYX_STD_UNARY(AcosOp, acos, 10)
ONYX_STD_UNARY(AtanOp, atan, 10)
ONYX_STD_UNARY(SinhOp, sinh, 10)
ONYX_STD_UNARY(CoshOp, cosh, 10)
ONYX_STD_UNARY(AsinhOp, asinh, 10)
ONYX_STD_UNARY(AcoshOp, acosh, 10)
ONYX_STD_UNARY(AtanhOp, atanh, 10)
#undef ONYX_STD_UNARY

struct NotOp {
  bool operator()(bool x) const { return !x; }
};
struct BitwiseNotOp {
  template <typename C> C operator()(C x) const { return static_cast<C>(~x); }
};
struct IsNaNOp {
  template <typename C> bool operator()(C x) const { return x != x; }
};
struct IsInfOp {
  explicit IsInfOp(const KernelInfo& info)
      : neg(info.GetInt("detect_negative", 1) != 0), pos(info.GetInt("detect_positive", 1) != 0) {}
  template <typename C> bool operator()(C x) const {
    return (pos && x == std::numeric_limits<C>::infinity()) || (neg && x == -std::numeric_limits<C>::infinity());
  }
  bool neg, pos;
};

// Clip: bounds from attributes before opset 11, from optional scalar inputs 1 and 2 since.
// A min above max gives max everywhere, as the spec says.
class ClipKernel final : public OpKernel {
 public:
  explicit ClipKernel(const KernelInfo& info) : legacy_(info.opset() < 11) {
    if (legacy_) {
      min_ = info.GetFloat("min", -std::numeric_limits<float>::max());
      max_ = info.GetFloat("max", std::numeric_limits<float>::max());
    }
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    Dispatch<kNumeric>(X.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = ComputeT<T>;
      C lo, hi;
      if (legacy_) {
        lo = FromAttr<C>(min_);
        hi = FromAttr<C>(max_);
      } else {
        lo = Bound<T>(ctx, 1, std::numeric_limits<C>::lowest());
        hi = Bound<T>(ctx, 2, std::numeric_limits<C>::max());
      }
      Tensor& Y = ctx.Output(0, X.dtype(), X.shape());
      UnaryMap<T, T>(ctx, X.data<T>(), Y.data<T>(), X.size(), 1.0, [lo, hi](C v) {
        v = v < lo ? lo : v;
        return v > hi ? hi : v;
      });
    });
  }

 private:
  template <typename C>
  static C FromAttr(float v) {
    if constexpr (std::is_integral_v<C>) {
      if (v <= static_cast<float>(std::numeric_limits<C>::lowest())) return std::numeric_limits<C>::lowest();
      if (v >= static_cast<float>(std::numeric_limits<C>::max())) return std::numeric_limits<C>::max();
    }
    return static_cast<C>(v);
  }
  template <typename T>
  static ComputeT<T> Bound(const KernelContext& ctx, size_t i, ComputeT<T> dflt) {
    const Tensor* t = ctx.OptionalInput(i);
    if (!t) return dflt;
    if (t->dtype() != ctx.Input(0).dtype())
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(i == 1 ? "min" : "max") + " has element type " +
                                                          DataTypeName(t->dtype()) + " but input has " +
                                                          DataTypeName(ctx.Input(0).dtype()));
    if (t->size() != 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string(i == 1 ? "min" : "max") + " must be a scalar, got shape " +
                                                          ShapeToString(t->shape()));
    return Elem<T>::Load(t->data<T>()[0]);
  }

  bool legacy_;
  float min_ = 0, max_ = 0;
};

}  // namespace

void RegisterUnaryKernels(KernelRegistry& r) {
  RegisterOp<UnaryKernel<kNumeric, AbsOp>>(r, "Abs", kNumeric);
  RegisterOp<UnaryKernel<kSignedNumeric, NegOp>>(r, "Neg", kSignedNumeric);
  RegisterOp<UnaryKernel<kFloats, SqrtOp>>(r, "Sqrt", kFloats);
  RegisterOp<UnaryKernel<kFloats, ReciprocalOp>>(r, "Reciprocal", kFloats);
  RegisterOp<UnaryKernel<kFloats, ExpOp>>(r, "Exp", kFloats);
  RegisterOp<UnaryKernel<kFloats, LogOp>>(r, "Log", kFloats);
  RegisterOp<UnaryKernel<kFloats, ErfOp>>(r, "Erf", kFloats);
  RegisterOp<UnaryKernel<kFloats, TanhOp>>(r, "Tanh", kFloats);
  RegisterOp<UnaryKernel<kFloats, SigmoidOp>>(r, "Sigmoid", kFloats);
  RegisterOp<UnaryKernel<kFloats, CeilOp>>(r, "Ceil", kFloats);
  RegisterOp<UnaryKernel<kFloats, FloorOp>>(r, "Floor", kFloats);
  RegisterOp<UnaryKernel<kFloats, RoundOp>>(r, "Round", kFloats);
  RegisterOp<UnaryKernel<kNumeric, SignOp>>(r, "Sign", kNumeric);
  RegisterOp<UnaryKernel<kFloats, SinOp>>(r, "Sin", kFloats);
  RegisterOp<UnaryKernel<kFloats, CosOp>>(r, "Cos", kFloats);
  RegisterOp<UnaryKernel<kFloats, TanOp>>(r, "Tan", kFloats);
  RegisterOp<UnaryKernel<kFloats, AsinOp>>(r, "Asin", kFloats);
  RegisterOp<UnaryKernel<kFloats, AcosOp>>(r, "Acos", kFloats);
  RegisterOp<UnaryKernel<kFloats, AtanOp>>(r, "Atan", kFloats);
  RegisterOp<UnaryKernel<kFloats, SinhOp>>(r, "Sinh", kFloats);
  RegisterOp<UnaryKernel<kFloats, CoshOp>>(r, "Cosh", kFloats);
  RegisterOp<UnaryKernel<kFloats, AsinhOp>>(r, "Asinh", kFloats);
  RegisterOp<UnaryKernel<kFloats, AcoshOp>>(r, "Acosh", kFloats);
  RegisterOp<UnaryKernel<kFloats, AtanhOp>>(r, "Atanh", kFloats);
  RegisterOp<UnaryKernel<kBool, NotOp>>(r, "Not", kBool);
  RegisterOp<UnaryKernel<kInts, BitwiseNotOp>>(r, "BitwiseNot", kInts);
  RegisterOp<UnaryKernel<kFloats, IsNaNOp, true>>(r, "IsNaN", kFloats);
  RegisterOp<UnaryKernel<kFloats, IsInfOp, true>>(r, "IsInf", kFloats);
  RegisterOp<ClipKernel>(r, "Clip", kNumeric);
}

}  // namespace onyx::math
