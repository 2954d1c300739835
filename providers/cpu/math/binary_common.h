#pragma once
// The kernel template of two-input ops whose inputs share one element type, with the
// pre-opset-7 "broadcast"/"axis" attributes of the legacy binary ops.
#include "math/math_kernels.h"
#include "mlas/elementwise_f32.h"

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
  // Float arithmetic with a vectorised loop for the common shapes (FloatBinaryFastPath).
  static constexpr bool kHasF32 = false;
  static constexpr mlas::BinaryF32Op kF32Op = mlas::BinaryF32Op::Add;
  template <typename T>
  static void Check(const KernelContext&, const Tensor&) {}
};

// Whether `small`, without its leading 1s, is the trailing dims of `out`: a bias over the last
// dims, repeated for each leading index.
inline bool IsTrailingBlock(const std::vector<int64_t>& small, const std::vector<int64_t>& out) {
  size_t lead = 0;
  while (lead < small.size() && small[lead] == 1) ++lead;
  const size_t k = small.size() - lead;
  if (k > out.size()) return false;
  for (size_t i = 0; i < k; ++i)
    if (small[lead + i] != out[out.size() - k + i]) return false;
  return true;
}

// The float cases that are most of a transformer's elementwise work, as flat loops split over
// the pool: same shape, a scalar on either side, and a block (a bias vector) repeated over the
// leading dims of the other input. False, having done nothing, for any other broadcast.
inline bool FloatBinaryFastPath(const KernelContext& ctx, mlas::BinaryF32Op op, const Tensor& A, const Tensor& B,
                                Tensor& Y) {
  const int64_t n = Y.size(), na = A.size(), nb = B.size();
  const float* a = A.data<float>();
  const float* b = B.data<float>();
  float* y = Y.data<float>();
  ThreadPool* pool = ctx.thread_pool();
  if (na == n && nb == n) {
    ParallelFor(pool, n, 1.0, [&](int64_t i0, int64_t i1) { mlas::BinaryF32(op, a + i0, b + i0, y + i0, i1 - i0); });
    return true;
  }
  if (na == n && nb == 1) {
    const float s = b[0];
    ParallelFor(pool, n, 1.0, [&](int64_t i0, int64_t i1) { mlas::BinaryScalarRightF32(op, a + i0, s, y + i0, i1 - i0); });
    return true;
  }
  if (nb == n && na == 1) {
    const float s = a[0];
    ParallelFor(pool, n, 1.0, [&](int64_t i0, int64_t i1) { mlas::BinaryScalarLeftF32(op, s, b + i0, y + i0, i1 - i0); });
    return true;
  }
  // Row by row: both inputs advance along a row, so one loop serves either side repeating.
  if (na == n && nb > 0 && IsTrailingBlock(B.shape(), Y.shape())) {
    ParallelFor(pool, n / nb, static_cast<double>(nb), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) mlas::BinaryF32(op, a + r * nb, b, y + r * nb, nb);
    });
    return true;
  }
  if (nb == n && na > 0 && IsTrailingBlock(A.shape(), Y.shape())) {
    ParallelFor(pool, n / na, static_cast<double>(na), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) mlas::BinaryF32(op, a, b + r * na, y + r * na, na);
    });
    return true;
  }
  return false;
}

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
      if constexpr (std::is_same_v<T, float> && !kBoolOut && Op::kHasF32) {
        if (FloatBinaryFastPath(ctx, Op::kF32Op, A, B, Y)) return;
      }
      BinaryBroadcast<T, T, TO>(ctx, A, B, Y, Op{}, Op::kCost);
    });
  }

 private:
  LegacyBroadcast legacy_;
};

}  // namespace onyx::math
