// Variadic elementwise ops (Max, Min, Sum, Mean), the three-way Where, and PRelu.
#include <cmath>
#include <cstring>

#include "math/math_kernels.h"

namespace onyx::math {

namespace {

// NaN propagates, as numpy.maximum / numpy.minimum.
struct MaxOp {
  template <typename C> C operator()(C a, C b) const {
    if constexpr (std::is_floating_point_v<C>) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return a < b ? b : a;
  }
};
struct MinOp {
  template <typename C> C operator()(C a, C b) const {
    if constexpr (std::is_floating_point_v<C>) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return b < a ? b : a;
  }
};
struct SumOp {
  template <typename C> C operator()(C a, C b) const { return WrapAdd(a, b); }
};

// Folds inputs pairwise left to right: out = op(...op(op(x0, x1), x2)..., xn). Mean divides the
// float sum by n at the end.
template <uint32_t Set, typename Op, bool kMean = false>
class VariadicKernel final : public OpKernel {
 public:
  explicit VariadicKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const size_t n = ctx.num_inputs();
    if (n == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "needs at least one input");
    std::vector<const std::vector<int64_t>*> shapes;
    for (size_t i = 0; i < n; ++i) {
      CheckSameType(ctx, 0, i);
      shapes.push_back(&ctx.Input(i).shape());
    }
    const std::vector<int64_t> out_shape = BroadcastAll(shapes, ctx);
    Dispatch<Set>(ctx.Input(0).dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Tensor& Y = ctx.Output(0, ctx.Input(0).dtype(), out_shape);
      if (Y.size() == 0) return;
      if (n == 1) {
        // Broadcast a single input to its own shape: a copy.
        const T* x = ctx.Input(0).template data<T>();
        T* y = Y.data<T>();
        for (int64_t i = 0; i < Y.size(); ++i) y[i] = x[i];
      } else {
        // Y has the broadcast shape of all inputs from the first step on, so later steps fold the
        // next input into it in place.
        BinaryBroadcast<T, T, T>(ctx, ctx.Input(0), ctx.Input(1), Y, Op{});
        for (size_t i = 2; i < n; ++i) BinaryBroadcast<T, T, T>(ctx, Y, ctx.Input(i), Y, Op{});
      }
      if constexpr (kMean) {
        using C = ComputeT<T>;
        const C inv = C(1) / static_cast<C>(n);
        T* y = Y.data<T>();
        UnaryMap<T, T>(ctx, y, y, Y.size(), 1.0, [inv](C v) { return v * inv; });
      }
    });
  }

};

// Where(condition, X, Y): three-way broadcast, any element type.
class WhereKernel final : public OpKernel {
 public:
  explicit WhereKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& C = ctx.Input(0);
    const Tensor& X = ctx.Input(1);
    const Tensor& Y = ctx.Input(2);
    if (C.dtype() != DataType::Bool)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("condition must be bool, got ") + DataTypeName(C.dtype()));
    CheckSameType(ctx, 1, 2);
    const std::vector<int64_t> shape = BroadcastAll({&C.shape(), &X.shape(), &Y.shape()}, ctx);
    Dispatch<kAllTypes>(X.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Tensor& Z = ctx.Output(0, X.dtype(), shape);
      BroadcastPlan plan({&C.shape(), &X.shape(), &Y.shape()}, shape);
      const bool* pc = C.data<bool>();
      const T* px = X.data<T>();
      const T* py = Y.data<T>();
      T* pz = Z.data<T>();
      const int64_t sc = plan.inner_stride(0), sx = plan.inner_stride(1), sy = plan.inner_stride(2);
      plan.Run(ctx.thread_pool(), std::is_same_v<T, std::string> ? 20.0 : 1.0,
               [&](const int64_t* off, int64_t oo, int64_t n) {
                 const bool* c = pc + off[0];
                 const T* x = px + off[1];
                 const T* y = py + off[2];
                 T* z = pz + oo;
                 if constexpr (std::is_trivially_copyable_v<T> && sizeof(T) <= 8 && (sizeof(T) & (sizeof(T) - 1)) == 0) {
                   // Select through a bit mask: vectorises, and random conditions cost no branches.
                   using U = std::conditional_t<sizeof(T) == 1, uint8_t, std::conditional_t<sizeof(T) == 2, uint16_t,
                             std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
                   auto select = [](bool cond, const T& a, const T& b, T& out) {
                     U ua, ub;
                     std::memcpy(&ua, &a, sizeof(U));
                     std::memcpy(&ub, &b, sizeof(U));
                     const U m = static_cast<U>(U(0) - static_cast<U>(cond));
                     const U r = static_cast<U>((ua & m) | (ub & static_cast<U>(~m)));
                     std::memcpy(&out, &r, sizeof(U));
                   };
                   if (sc && sx && sy) {
                     for (int64_t i = 0; i < n; ++i) select(c[i], x[i], y[i], z[i]);
                   } else {
                     for (int64_t i = 0; i < n; ++i) select(c[i * sc], x[i * sx], y[i * sy], z[i]);
                   }
                 } else {
                   for (int64_t i = 0; i < n; ++i) z[i] = c[i * sc] ? x[i * sx] : y[i * sy];
                 }
               });
    });
  }
};

// PRelu(X, slope): slope broadcasts to X (unidirectionally). Before opset 7 a 1-D slope of
// size C applied per channel (dim 1), which numpy broadcasting would align with the last dim.
class PReluKernel final : public OpKernel {
 public:
  explicit PReluKernel(const KernelInfo& info) : legacy_(info.opset() < 7) {}
  void Compute(KernelContext& ctx) const override {
    CheckSameType(ctx, 0, 1);
    const Tensor& X = ctx.Input(0);
    Tensor S = ctx.Input(1);
    if (legacy_ && S.rank() == 1 && X.rank() >= 2 && S.dim(0) == X.dim(1) && S.dim(0) != 1) {
      std::vector<int64_t> s(X.rank() - 1, 1);
      s[0] = S.dim(0);
      S = S.Reshaped(s);
    }
    const std::vector<int64_t> shape = BroadcastShapes(X.shape(), S.shape(), ctx);
    if (shape != X.shape())
      throw ctx.MakeError(ErrorCode::InvalidArgument, "slope of shape " + ShapeToString(S.shape()) +
                                                          " does not broadcast to X of shape " + ShapeToString(X.shape()));
    Dispatch<kFloats | kI32 | kI64 | kU32 | kU64>(X.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Tensor& Y = ctx.Output(0, X.dtype(), shape);
      BinaryBroadcast<T, T, T>(ctx, X, S, Y, [](auto x, auto s) { return x < 0 ? WrapMul(x, s) : x; });
    });
  }

 private:
  bool legacy_;
};

}  // namespace

void RegisterVariadicKernels(KernelRegistry& r) {
  RegisterOp<VariadicKernel<kNumeric, MaxOp>>(r, "Max", kNumeric);
  RegisterOp<VariadicKernel<kNumeric, MinOp>>(r, "Min", kNumeric);
  RegisterOp<VariadicKernel<kNumeric, SumOp>>(r, "Sum", kNumeric);
  RegisterOp<VariadicKernel<kFloats, SumOp, true>>(r, "Mean", kFloats);
  RegisterOp<WhereKernel>(r, "Where", kAllTypes);
  RegisterOp<PReluKernel>(r, "PRelu", kFloats | kI32 | kI64 | kU32 | kU64);
}

}  // namespace onyx::math
