// Two-input comparison, logical and bitwise ops with numpy broadcasting.
#include "math/binary_common.h"

namespace onyx::math {

namespace {

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
    Dispatch<kInts>(A.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using U = std::make_unsigned_t<T>;
      constexpr int64_t kBits = sizeof(T) * 8;
      Tensor& Y = ctx.Output(0, A.dtype(), shape);
      // Shift amounts outside [0, width) give what the sign fill alone gives: -1 for a right
      // shift of a negative signed value, else 0 (C++ leaves them undefined). Left shifts go
      // through the unsigned type so bits past the sign bit are dropped without UB; right
      // shifts of signed values are arithmetic (guaranteed since C++20).
      auto amount_ok = [](T b) { return !(static_cast<int64_t>(b) < 0) && static_cast<uint64_t>(b) < static_cast<uint64_t>(kBits); };
      if (left_)
        BinaryBroadcast<T, T, T>(ctx, A, B, Y, [=](T a, T b) {
          return amount_ok(b) ? static_cast<T>(static_cast<U>(static_cast<U>(a) << b)) : T(0);
        });
      else
        BinaryBroadcast<T, T, T>(ctx, A, B, Y, [=](T a, T b) {
          if (amount_ok(b)) return static_cast<T>(a >> b);
          return (std::is_signed_v<T> && a < T(0)) ? static_cast<T>(-1) : T(0);
        });
    });
  }

 private:
  bool left_ = true;
};

}  // namespace

void RegisterCompareKernels(KernelRegistry& r) {
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
  RegisterOp<BitShiftKernel>(r, "BitShift", kInts);
}

}  // namespace onyx::math
