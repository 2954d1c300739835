#pragma once
// The kernel template of two-input ops whose inputs share one element type, with the
// pre-opset-7 "broadcast"/"axis" attributes of the legacy binary ops.
#include "math/math_kernels.h"

namespace onyx::math {

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

}  // namespace onyx::math
