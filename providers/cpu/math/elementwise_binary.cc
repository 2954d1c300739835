// Two-input arithmetic with numpy broadcasting: Add, Sub, Mul, Div, Pow, Mod.
#include <cmath>

#include "math/binary_common.h"

namespace onyx::math {

namespace {

struct AddOp : OpBase {
  static constexpr bool kHasF32 = true;
  static constexpr mlas::BinaryF32Op kF32Op = mlas::BinaryF32Op::Add;
  template <typename C> C operator()(C a, C b) const { return WrapAdd(a, b); }
};
struct SubOp : OpBase {
  static constexpr bool kHasF32 = true;
  static constexpr mlas::BinaryF32Op kF32Op = mlas::BinaryF32Op::Sub;
  template <typename C> C operator()(C a, C b) const { return WrapSub(a, b); }
};
struct MulOp : OpBase {
  static constexpr bool kHasF32 = true;
  static constexpr mlas::BinaryF32Op kF32Op = mlas::BinaryF32Op::Mul;
  template <typename C> C operator()(C a, C b) const { return WrapMul(a, b); }
};
struct DivOp : OpBase {
  static constexpr bool kHasF32 = true;
  static constexpr mlas::BinaryF32Op kF32Op = mlas::BinaryF32Op::Div;
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
  if constexpr (std::is_floating_point_v<C>) {
    if (r == 0) return std::copysign(C(0), b);  // a zero remainder takes the divisor's sign, as numpy's
  }
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

// Pow(X, Y) -> type of X. The exponent is first brought to one of a few types (the compute
// type of a float base; int64 or double for an integer base), which keeps the number of
// instantiations linear in the base types.
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
      if constexpr (kIsFloat<T>) {
        Run<T>(ctx, X, Convert<ComputeT<T>>(ctx, Yexp), Z);
      } else {
        const bool float_exp = Yexp.dtype() == DataType::Float || Yexp.dtype() == DataType::Double ||
                               Yexp.dtype() == DataType::Float16 || Yexp.dtype() == DataType::BFloat16;
        if (float_exp) Run<T>(ctx, X, Convert<double>(ctx, Yexp), Z);
        else Run<T>(ctx, X, Convert<int64_t>(ctx, Yexp), Z);
      }
    });
  }

 private:
  template <typename E>
  static Tensor Convert(const KernelContext& ctx, const Tensor& y) {
    if (y.dtype() == DataTypeOf<E>()) return y;
    Tensor out(DataTypeOf<E>(), y.shape());
    E* o = out.data<E>();
    Dispatch<kNumeric>(y.dtype(), ctx, [&](auto tag) {
      using S = typename decltype(tag)::type;
      const S* p = y.data<S>();
      for (int64_t i = 0; i < y.size(); ++i) {
        if constexpr (std::is_integral_v<E> && std::is_same_v<S, uint64_t>)
          o[i] = p[i] > uint64_t(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(p[i]);
        else o[i] = static_cast<E>(Elem<S>::Load(p[i]));
      }
    });
    return out;
  }

  template <typename T>
  static void Run(const KernelContext& ctx, const Tensor& X, const Tensor& Y, Tensor& Z) {
    using C = ComputeT<T>;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (Y.size() == 1) {
        // A constant exponent: common ones become multiplications (x^2 in LayerNorm, x^3 in GELU).
        const double e = static_cast<double>(Y.data<T>()[0]);
        auto run = [&](auto f, double cost) { BinaryBroadcast<T, T, T>(ctx, X, Y, Z, f, cost); };
        if (e == 2.0) return run([](C a, C) { return a * a; }, 1.0);
        if (e == 3.0) return run([](C a, C) { return a * a * a; }, 1.0);
        if (e == 1.0) return run([](C a, C) { return a; }, 1.0);
        if (e == 0.5) return run([](C a, C) { return std::sqrt(a); }, 2.0);
        if (e == -1.0) return run([](C a, C) { return C(1) / a; }, 1.0);
      }
    }
    if constexpr (kIsFloat<T>) {
      BinaryBroadcast<T, C, T>(ctx, X, Y, Z, [](C a, C b) { return static_cast<C>(std::pow(a, b)); }, 20.0);
    } else if (Y.dtype() == DataType::Double) {
      BinaryBroadcast<T, double, T>(ctx, X, Y, Z, [](T a, double b) {
        return FloatToInt<T>(std::pow(static_cast<double>(a), b));
      }, 20.0);
    } else {
      BinaryBroadcast<T, int64_t, T>(ctx, X, Y, Z, [](T a, int64_t b) { return IntPow<T>(a, b); }, 10.0);
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
  RegisterOp<ModKernel>(r, "Mod", kNumeric);
  RegisterOp<PowKernel>(r, "Pow", kNumeric);
}

}  // namespace onyx::math
