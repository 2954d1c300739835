// Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced to 2-D at `axis`
// (default 1) and the op runs over each row; since 13 it runs along the single `axis`
// (default -1). Softmax subtracts the maximum first, so large inputs do not overflow.
#include <cmath>

#include "math/math_kernels.h"
#include "math/math_shapes.h"
#include "mlas/math_activations.h"

namespace onyx::math {

namespace {

enum class Kind { Softmax, LogSoftmax, Hardmax };

template <Kind kKind>
class SoftmaxKernel final : public OpKernel {
 public:
  explicit SoftmaxKernel(const KernelInfo& info)
      : legacy_(info.opset() < 13), axis_(info.GetInt("axis", info.opset() < 13 ? 1 : -1)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const SoftmaxDims dims = ResolveSoftmaxDims(X.shape(), axis_, legacy_, ctx);
    const int64_t outer = dims.outer, len = dims.len, inner = dims.inner;
    Dispatch<kFloats>(X.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Tensor& Y = ctx.Output(0, X.dtype(), X.shape());
      if (Y.size() == 0) return;
      const T* x = X.data<T>();
      T* y = Y.data<T>();
      const double cost = static_cast<double>(len) * static_cast<double>(inner) * (kKind == Kind::Hardmax ? 1 : 12);
      ParallelFor(ctx.thread_pool(), outer, cost, [&](int64_t o0, int64_t o1) {
        std::vector<float> scratch;
        for (int64_t o = o0; o < o1; ++o) {
          const int64_t off = o * len * inner;
          if constexpr (std::is_same_v<T, float>) {
            if (inner == 1) {
              FloatRow(x + off, y + off, len);
              continue;
            }
          }
          Block<T>(x + off, y + off, len, inner);
        }
      });
    });
  }

 private:
  static void FloatRow(const float* x, float* y, int64_t len) {
    const float mx = mlas::ReduceMaxF32(x, len);
    if constexpr (kKind == Kind::Hardmax) {
      int64_t arg = 0;
      for (int64_t j = 0; j < len; ++j)
        if (x[j] == mx) {
          arg = j;
          break;
        }
      std::fill(y, y + len, 0.f);
      y[arg] = 1.f;
    } else {
      const float sum = mlas::ExpShiftSumF32(x, y, len, mx);
      if constexpr (kKind == Kind::Softmax) mlas::ScaleF32(y, len, 1.f / sum);
      else {
        // (x - max) - log(sum), in that order: x - (max + log(sum)) loses digits for large x.
        mlas::AddScalarF32(x, y, len, -mx);
        mlas::AddScalarF32(y, y, len, -std::log(sum));
      }
    }
  }

  // One [len, inner] slab, reducing along len for every inner position; computes in float
  // (double for double).
  template <typename T>
  static void Block(const T* x, T* y, int64_t len, int64_t inner) {
    using C = ComputeT<T>;
    std::vector<C> mx(static_cast<size_t>(inner), -std::numeric_limits<C>::infinity());
    std::vector<C> sum(static_cast<size_t>(inner), C(0));
    std::vector<int64_t> arg(static_cast<size_t>(kKind == Kind::Hardmax ? inner : 0), 0);
    for (int64_t j = 0; j < len; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        const C v = Elem<T>::Load(x[j * inner + i]);
        if (v > mx[i] || (j == 0 && !(v <= mx[i]))) {
          mx[i] = v;
          if constexpr (kKind == Kind::Hardmax) arg[i] = j;
        }
      }
    if constexpr (kKind == Kind::Hardmax) {
      for (int64_t j = 0; j < len; ++j)
        for (int64_t i = 0; i < inner; ++i) y[j * inner + i] = Elem<T>::Store(C(arg[i] == j ? 1 : 0));
      return;
    } else {
      for (int64_t j = 0; j < len; ++j)
        for (int64_t i = 0; i < inner; ++i) sum[i] += std::exp(Elem<T>::Load(x[j * inner + i]) - mx[i]);
      for (int64_t i = 0; i < inner; ++i) {
        if constexpr (kKind == Kind::Softmax) sum[i] = C(1) / sum[i];
        else sum[i] = std::log(sum[i]);
      }
      for (int64_t j = 0; j < len; ++j)
        for (int64_t i = 0; i < inner; ++i) {
          const C v = Elem<T>::Load(x[j * inner + i]);
          if constexpr (kKind == Kind::Softmax) y[j * inner + i] = Elem<T>::Store(std::exp(v - mx[i]) * sum[i]);
          else y[j * inner + i] = Elem<T>::Store((v - mx[i]) - sum[i]);
        }
    }
  }

  bool legacy_;
  int64_t axis_;
};

}  // namespace

void RegisterSoftmaxKernels(KernelRegistry& r) {
  RegisterOp<SoftmaxKernel<Kind::Softmax>>(r, "Softmax", kFloats);
  RegisterOp<SoftmaxKernel<Kind::LogSoftmax>>(r, "LogSoftmax", kFloats);
  RegisterOp<SoftmaxKernel<Kind::Hardmax>>(r, "Hardmax", kFloats);
}

}  // namespace onyx::math
