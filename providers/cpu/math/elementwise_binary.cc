// Two-input elementwise ops with numpy broadcasting: arithmetic, comparison, logical, bitwise,
// Pow and Mod.
#include <cmath>

#include "math/math_kernels.h"

namespace onyx::math {

namespace {

// Before opset 7, binary ops broadcast only with broadcast=1, aligning B at `axis` of A (or at
// the trailing dims when axis is absent). Since 7 they broadcast like numpy.
class LegacyBroadcast {
 public:
  explicit LegacyBroadcast(const KernelInfo& info) {
    if (info.opset() < 7 && info.GetInt("broadcast", 0) != 0 && info.HasAttribute("axis")) axis_ = info.GetInt("axis", 0);
  }
  Tensor Adjust(const KernelContext& ctx, const Tensor& a, const Tensor& b) const {
    if (axis_ == kNone) return b;
    const int64_t ra = static_cast<int64_t>(a.rank()), rb = static_cast<int64_t>(b.rank());
    int64_t axis = axis_ < 0 ? axis_ + ra : axis_;
    if (axis < 0 || axis + rb > ra)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "legacy broadcast axis " + std::to_string(axis_) +
                                                          " does not fit input shapes " + ShapeToString(a.shape()) +
                                                          " and " + ShapeToString(b.shape()));
    std::vector<int64_t> shape(b.shape());
    shape.resize(static_cast<size_t>(ra - axis), 1);
    return b.Reshaped(shape);
  }

 private:
  static constexpr int64_t kNone = INT64_MIN;
  int64_t axis_ = kNone;
};

struct OpBase {
  static constexpr double kCost = 1.0;
  template <typename T>
  static void Check(const KernelContext&, const Tensor&) {}
};

struct AddOp : OpBase {
  template <typename C> C operator()(C a, C b) const { return WrapAdd(a, b); }
};
struct SubOp : OpBase {
  template <typename C> C operator()(C a, C b) const { return WrapSub(a, b); }
};
struct MulOp : OpBase {
  template <typename C> C operator()(C a, C b) const { return WrapMul(a, b); }
};
struct DivOp : OpBase {
  template <typename T>
  static void Check(const KernelContext& ctx, const Tensor& b) { CheckNoZeroDivisor<T>(ctx, b); }
  template <typename C> C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C> && std::is_signed_v<C>) {
      return b == -1 ? WrapNeg(a) : static_cast<C>(a / b);  // lowest / -1 overflows
    } else {
      return a / b;
    }
  }
};

struct EqualOp : OpBase {
  template <typename C> bool operator()(const C& a, const C& b) const { return a == b; }
};
struct LessOp : OpBase {
  template <typename C> bool operator()(C a, C b) const { return a < b; }
};
struct GreaterOp : OpBase {
  template <typename C> bool operator()(C a, C b) const { return a > b; }
};
struct LessOrEqualOp : OpBase {
  template <typename C> bool operator()(C a, C b) const { return a <= b; }
};
struct GreaterOrEqualOp : OpBase {
  template <typename C> bool operator()(C a, C b) const { return a >= b; }
};

struct AndOp : OpBase {
  bool operator()(bool a, bool b) const { return a & b; }
};
struct OrOp : OpBase {
  bool operator()(bool a, bool b) const { return a | b; }
};
struct XorOp : OpBase {
  bool operator()(bool a, bool b) const { return a ^ b; }
};
struct BitwiseAndOp : OpBase {
  template <typename C> C operator()(C a, C b) const { return static_cast<C>(a & b); }
};
struct BitwiseOrOp : OpBase {
  template <typename C> C operator()(C a, C b) const { return static_cast<C>(a | b); }
};
struct BitwiseXorOp : OpBase {
  template <typename C> C operator()(C a, C b) const { return static_cast<C>(a ^ b); }
};

// A, B of one type; output of that type or bool.
template <uint32_t Set, typename Op, bool kBoolOut = false>
class SameTypeBinaryKernel final : public OpKernel {
 public:
  explicit SameTypeBinaryKernel(const KernelInfo& info) : legacy_(info) {}
  void Compute(KernelContext& ctx) const override {
    CheckSameType(ctx, 0, 1);
    const Tensor& A = ctx.Input(0);
    const Tensor B = legacy_.Adjust(ctx, A, ctx.Input(1));
    const std::vector<int64_t> shape = BroadcastShapes(A.shape(), B.shape(), ctx);
    Dispatch<Set>(A.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using TO = std::conditional_t<kBoolOut, bool, T>;
      Tensor& Y = ctx.Output(0, DataTypeOf<TO>(), shape);
      if (Y.size() == 0) return;
      Op::template Check<T>(ctx, B);
      BinaryBroadcast<T, T, TO>(ctx, A, B, Y, Op{}, Op::kCost);
    });
  }

 private:
  LegacyBroadcast legacy_;
};

// ---- Mod --------------------------------------------------------------------------------------

template <typename C>
C TruncMod(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) return std::fmod(a, b);
  else if constexpr (std::is_signed_v<C>) return b == -1 ? C(0) : static_cast<C>(a % b);
  else return static_cast<C>(a % b);
}
// Result takes the sign of the divisor (Python / numpy).
template <typename C>
C FloorMod(C a, C b) {
  C r = TruncMod(a, b);
  if constexpr (std::is_floating_point_v<C> || std::is_signed_v<C>) {
    if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<C>(r + b);
  }
  return r;
}

class ModKernel final : public OpKernel {
 public:
  explicit ModKernel(const KernelInfo& info) : fmod_(info.GetInt("fmod", 0) != 0) {}
  void Compute(KernelContext& ctx) const override {
    CheckSameType(ctx, 0, 1);
    const Tensor& A = ctx.Input(0);
    const Tensor& B = ctx.Input(1);
    const std::vector<int64_t> shape = BroadcastShapes(A.shape(), B.shape(), ctx);
    Dispatch<kNumeric>(A.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Tensor& Y = ctx.Output(0, A.dtype(), shape);
      if (Y.size() == 0) return;
      CheckNoZeroDivisor<T>(ctx, B);
      // fmod=0 on floats is rejected by the spec; we compute numpy's remainder instead.
      if (fmod_) BinaryBroadcast<T, T, T>(ctx, A, B, Y, [](auto a, auto b) { return TruncMod(a, b); }, 4.0);
      else BinaryBroadcast<T, T, T>(ctx, A, B, Y, [](auto a, auto b) { return FloorMod(a, b); }, 4.0);
    });
  }

 private:
  bool fmod_;
};

// ---- BitShift ---------------------------------------------------------------------------------

class BitShiftKernel final : public OpKernel {
 public:
  explicit BitShiftKernel(const KernelInfo& info) {
    std::string d = info.GetString("direction", "");
    if (d == "LEFT") left_ = true;
    else if (d == "RIGHT") left_ = false;
    else throw info.MakeError(ErrorCode::InvalidGraph, "attribute 'direction' must be \"LEFT\" or \"RIGHT\", got \"" + d + "\"");
  }
  void Compute(KernelContext& ctx) const override {
    CheckSameType(ctx, 0, 1);
    const Tensor& A = ctx.Input(0);
    const Tensor& B = ctx.Input(1);
    const std::vector<int64_t> shape = BroadcastShapes(A.shape(), B.shape(), ctx);
    Dispatch<kUnsignedInts>(A.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      constexpr T kBits = sizeof(T) * 8;
      Tensor& Y = ctx.Output(0, A.dtype(), shape);
      // Shifting by the width or more gives 0 (C++ leaves it undefined).
      if (left_)
        BinaryBroadcast<T, T, T>(ctx, A, B, Y, [](T a, T b) { return b >= kBits ? T(0) : static_cast<T>(a << b); });
      else
        BinaryBroadcast<T, T, T>(ctx, A, B, Y, [](T a, T b) { return b >= kBits ? T(0) : static_cast<T>(a >> b); });
    });
  }

 private:
  bool left_ = true;
};

// ---- Pow --------------------------------------------------------------------------------------

// Integer power by squaring, wrapping on overflow; negative exponents truncate toward zero.
template <typename T>
T IntPow(T base, int64_t e) {
  if (e < 0) {
    if constexpr (std::is_signed_v<T>) {
      if (base == 1) return 1;
      if (base == -1) return (e & 1) ? T(-1) : T(1);
      return 0;  // |base| >= 2 gives a fraction; base 0 would be inf and becomes 0 as well
    } else {
      return base == 1 ? T(1) : T(0);
    }
  }
  T result = 1;
  while (e) {
    if (e & 1) result = WrapMul(result, base);
    base = WrapMul(base, base);
    e >>= 1;
  }
  return result;
}

template <typename TB>
double ToDouble(const TB& v) {
  return static_cast<double>(Elem<TB>::Load(v));
}

class PowKernel final : public OpKernel {
 public:
  explicit PowKernel(const KernelInfo& info) : legacy_(info) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const Tensor Yexp = legacy_.Adjust(ctx, X, ctx.Input(1));
    const std::vector<int64_t> shape = BroadcastShapes(X.shape(), Yexp.shape(), ctx);
    Dispatch<kNumeric>(X.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Tensor& Z = ctx.Output(0, X.dtype(), shape);
      if (Z.size() == 0) return;
      Dispatch<kNumeric>(Yexp.dtype(), ctx, [&](auto etag) {
        using E = typename decltype(etag)::type;
        Run<T, E>(ctx, X, Yexp, Z);
      });
    });
  }

 private:
  template <typename T, typename E>
  static void Run(const KernelContext& ctx, const Tensor& X, const Tensor& Y, Tensor& Z) {
    using C = ComputeT<T>;
    if constexpr (kIsFloat<T>) {
      if (Y.size() == 1) {
        // A constant exponent: common ones become multiplications (x^2 in LayerNorm, x^3 in GELU).
        const double e = ToDouble(Y.data<E>()[0]);
        auto run = [&](auto f, double cost) { BinaryBroadcast<T, E, T>(ctx, X, Y, Z, f, cost); };
        if (e == 2.0) return run([](C a, auto) { return a * a; }, 1.0);
        if (e == 3.0) return run([](C a, auto) { return a * a * a; }, 1.0);
        if (e == 1.0) return run([](C a, auto) { return a; }, 1.0);
        if (e == 0.5) return run([](C a, auto) { return std::sqrt(a); }, 2.0);
        if (e == -1.0) return run([](C a, auto) { return C(1) / a; }, 1.0);
        if (e == 0.0) return run([](C, auto) { return C(1); }, 1.0);
      }
      BinaryBroadcast<T, E, T>(ctx, X, Y, Z, [](C a, auto b) { return static_cast<C>(std::pow(a, static_cast<C>(b))); }, 20.0);
    } else {
      if constexpr (kIsFloat<E>) {
        BinaryBroadcast<T, E, T>(ctx, X, Y, Z, [](T a, auto b) {
          return FloatToInt<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
        }, 20.0);
      } else {
        BinaryBroadcast<T, E, T>(ctx, X, Y, Z, [](T a, E b) {
          int64_t e;
          if constexpr (std::is_same_v<E, uint64_t>) e = b > uint64_t(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(b);
          else e = static_cast<int64_t>(b);
          return IntPow<T>(a, e);
        }, 10.0);
      }
    }
  }

  LegacyBroadcast legacy_;
};

}  // namespace

void RegisterBinaryKernels(KernelRegistry& r) {
  RegisterOp<SameTypeBinaryKernel<kNumeric, AddOp>>(r, "Add", kNumeric);
  RegisterOp<SameTypeBinaryKernel<kNumeric, SubOp>>(r, "Sub", kNumeric);
  RegisterOp<SameTypeBinaryKernel<kNumeric, MulOp>>(r, "Mul", kNumeric);
  RegisterOp<SameTypeBinaryKernel<kNumeric, DivOp>>(r, "Div", kNumeric);
  RegisterOp<SameTypeBinaryKernel<kAllTypes, EqualOp, true>>(r, "Equal", kAllTypes);
  RegisterOp<SameTypeBinaryKernel<kNumeric, LessOp, true>>(r, "Less", kNumeric);
  RegisterOp<SameTypeBinaryKernel<kNumeric, GreaterOp, true>>(r, "Greater", kNumeric);
  RegisterOp<SameTypeBinaryKernel<kNumeric, LessOrEqualOp, true>>(r, "LessOrEqual", kNumeric);
  RegisterOp<SameTypeBinaryKernel<kNumeric, GreaterOrEqualOp, true>>(r, "GreaterOrEqual", kNumeric);
  RegisterOp<SameTypeBinaryKernel<kBool, AndOp>>(r, "And", kBool);
  RegisterOp<SameTypeBinaryKernel<kBool, OrOp>>(r, "Or", kBool);
  RegisterOp<SameTypeBinaryKernel<kBool, XorOp>>(r, "Xor", kBool);
  RegisterOp<SameTypeBinaryKernel<kInts, BitwiseAndOp>>(r, "BitwiseAnd", kInts);
  RegisterOp<SameTypeBinaryKernel<kInts, BitwiseOrOp>>(r, "BitwiseOr", kInts);
  RegisterOp<SameTypeBinaryKernel<kInts, BitwiseXorOp>>(r, "BitwiseXor", kInts);
  RegisterOp<ModKernel>(r, "Mod", kNumeric);
  RegisterOp<BitShiftKernel>(r, "BitShift", kUnsignedInts);
  RegisterOp<PowKernel>(r, "Pow", kNumeric);
}

}  // namespace onyx::math
