#pragma once
// A kernel template for one-input elementwise ops: y = op(x), same shape, same (or bool) type.
// An op is a struct with `template <class C> C operator()(C x) const` (C is the compute type),
// optionally a constructor taking the KernelInfo (for attributes), a kCost (operations per
// element, for the parallel split) and a `void Float(const float*, float*, int64_t) const`
// vectorised path used for float tensors.
#include "math/math_kernels.h"

namespace onyx::math {

template <typename Op>
Op MakeOp(const KernelInfo& info) {
  if constexpr (std::is_constructible_v<Op, const KernelInfo&>) return Op(info);
  else return Op{};
}

template <typename Op>
constexpr double OpCost() {
  if constexpr (requires { Op::kCost; }) return Op::kCost;
  else return 1.0;
}

// Ops with a vectorised float path provide Float(x, y, n).
template <typename Op>
concept HasFloatPath = requires(const Op& o, const float* a, float* b) { o.Float(a, b, int64_t{}); };

// Called through a template so that the call stays dependent: clang looks members of a
// non-dependent object up eagerly, even in a discarded `if constexpr` branch.
template <typename Op, typename T>
void RunFloatPath(const Op& op, const T* x, T* y, int64_t n) {
  op.Float(x, y, n);
}

template <uint32_t Set, typename Op, bool kBoolOut = false>
class UnaryKernel final : public OpKernel {
 public:
  explicit UnaryKernel(const KernelInfo& info) : op_(MakeOp<Op>(info)) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    Dispatch<Set>(X.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using TO = std::conditional_t<kBoolOut, bool, T>;
      Tensor& Y = ctx.Output(0, DataTypeOf<TO>(), X.shape());
      const T* x = X.data<T>();
      TO* y = Y.data<TO>();
      if constexpr (std::is_same_v<T, float> && !kBoolOut && HasFloatPath<Op>) {
        ParallelChunks(ctx, X.size(), OpCost<Op>(), [&](int64_t b, int64_t e) { RunFloatPath(op_, x + b, y + b, e - b); });
      } else {
        UnaryMap<T, TO>(ctx, x, y, X.size(), OpCost<Op>(), op_);
      }
    });
  }

 private:
  Op op_;
};

}  // namespace onyx::math
