// Leftover numeric ops: LpNormalization, Det (batched, LU with partial pivoting), Shrink,
// Swish.
#include <cmath>
#include <vector>

#include "core/thread_pool.h"
#include "detection/detection_common.h"
#include "detection/detection_kernels.h"

namespace onyx {
namespace {

using detection::AccOf;
using detection::Load;
using detection::Store;

// Elements of a numeric type as double and back (rounding to nearest for integers would differ
// from ONNX's truncating casts, so integer results are truncated by static_cast).
template <typename T>
double AsDouble(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return ToFloat(v);
  else return static_cast<double>(v);
}
template <typename T>
T FromDoubleValue(double v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return FromFloat<T>(static_cast<float>(v));
  else return static_cast<T>(v);
}

template <typename Fn>
void DispatchNumeric(DataType dt, const KernelContext& ctx, Fn&& fn) {
  if (dt == DataType::Float16) return fn(TypeTag<Half>{});
  if (dt == DataType::BFloat16) return fn(TypeTag<BFloat16>{});
  DispatchArithmetic(dt, ctx, fn);
}

class LpNormalizationKernel final : public OpKernel {
 public:
  explicit LpNormalizationKernel(const KernelInfo& info) : axis_(info.GetInt("axis", -1)), p_(info.GetInt("p", 2)) {
    if (p_ != 1 && p_ != 2) throw info.MakeError(ErrorCode::InvalidGraph, "p should be 1 or 2, got " + std::to_string(p_));
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "input should have rank >= 1");
    const int64_t axis = NormalizeAxis(axis_, rank, ctx);
    Tensor& y = ctx.Output(0, x.dtype(), x.shape());
    if (y.size() == 0) return;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
    for (int64_t i = axis + 1; i < rank; ++i) inner *= x.dim(i);
    const int64_t n = x.dim(axis);
    DispatchFloating(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using A = AccOf<T>;
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      ParallelFor(ctx.thread_pool(), outer * inner, static_cast<double>(n * 3), [&](int64_t begin, int64_t end) {
        for (int64_t line = begin; line < end; ++line) {
          const int64_t base = (line / inner) * n * inner + line % inner;
          A norm = 0;
          for (int64_t k = 0; k < n; ++k) {
            const A v = Load(src[base + k * inner]);
            norm += p_ == 1 ? std::abs(v) : v * v;
          }
          if (p_ == 2) norm = std::sqrt(norm);
          for (int64_t k = 0; k < n; ++k)
            dst[base + k * inner] = Store<T>(norm == A(0) ? A(0) : Load(src[base + k * inner]) / norm);
        }
      });
    });
  }

 private:
  int64_t axis_, p_;
};

class DetKernel final : public OpKernel {
 public:
  explicit DetKernel(const KernelInfo&) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const size_t rank = x.rank();
    if (rank < 2 || x.dim(rank - 1) != x.dim(rank - 2))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input should have shape [*, M, M], got " + ShapeToString(x.shape()));
    const std::vector<int64_t> out_shape(x.shape().begin(), x.shape().end() - 2);
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    const int64_t m = x.dim(rank - 1), count = y.size();
    if (count == 0) return;
    DispatchFloating(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      ParallelFor(ctx.thread_pool(), count, static_cast<double>(m * m * m), [&](int64_t begin, int64_t end) {
        std::vector<double> a(static_cast<size_t>(m * m));
        for (int64_t b = begin; b < end; ++b) {
          const T* src = x.data<T>() + b * m * m;
          for (int64_t i = 0; i < m * m; ++i) a[i] = static_cast<double>(Load(src[i]));
          double det = 1.0;
          for (int64_t col = 0; col < m && det != 0.0; ++col) {
            int64_t pivot = col;
            for (int64_t r = col + 1; r < m; ++r)
              if (std::abs(a[r * m + col]) > std::abs(a[pivot * m + col])) pivot = r;
            if (a[pivot * m + col] == 0.0) {
              det = 0.0;
              break;
            }
            if (pivot != col) {
              for (int64_t k = 0; k < m; ++k) std::swap(a[pivot * m + k], a[col * m + k]);
              det = -det;
            }
            const double d = a[col * m + col];
            det *= d;
            for (int64_t r = col + 1; r < m; ++r) {
              const double f = a[r * m + col] / d;
              if (f == 0.0) continue;
              for (int64_t k = col; k < m; ++k) a[r * m + k] -= f * a[col * m + k];
            }
          }
          y.data<T>()[b] = Store<T>(static_cast<AccOf<T>>(det));
        }
      });
    });
  }
};

class ShrinkKernel final : public OpKernel {
 public:
  explicit ShrinkKernel(const KernelInfo& info) : bias_(info.GetFloat("bias", 0.0f)), lambd_(info.GetFloat("lambd", 0.5f)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    Tensor& y = ctx.Output(0, x.dtype(), x.shape());
    DispatchNumeric(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      ParallelFor(ctx.thread_pool(), x.size(), 2.0, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          if constexpr (std::is_same_v<T, float>) {
            const float v = src[i];
            dst[i] = v < -lambd_ ? v + bias_ : v > lambd_ ? v - bias_ : 0.0f;
          } else {
            const double v = AsDouble(src[i]);
            const double lambd = lambd_, bias = bias_;
            dst[i] = FromDoubleValue<T>(v < -lambd ? v + bias : v > lambd ? v - bias : 0.0);
          }
        }
      });
    });
  }

 private:
  float bias_, lambd_;
};

class SwishKernel final : public OpKernel {
 public:
  explicit SwishKernel(const KernelInfo& info) : alpha_(info.GetFloat("alpha", 1.0f)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    Tensor& y = ctx.Output(0, x.dtype(), x.shape());
    DispatchFloating(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using A = AccOf<T>;
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      const A alpha = static_cast<A>(alpha_);
      ParallelFor(ctx.thread_pool(), x.size(), 8.0, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          const A v = Load(src[i]);
          dst[i] = Store<T>(v / (A(1) + std::exp(-alpha * v)));
        }
      });
    });
  }

 private:
  float alpha_;
};

}  // namespace

void RegisterMiscMathKernels(KernelRegistry& r) {
  const std::vector<DataType> floats = {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16};
  r.Register({kCpuProvider, "", "LpNormalization", 1, INT64_MAX, floats, MakeFactory<LpNormalizationKernel>()});
  r.Register({kCpuProvider, "", "Det", 11, INT64_MAX, floats, MakeFactory<DetKernel>()});
  r.Register({kCpuProvider, "", "Shrink", 9, INT64_MAX, AllNumericTypes(), MakeFactory<ShrinkKernel>()});
  r.Register({kCpuProvider, "", "Swish", 24, INT64_MAX, floats, MakeFactory<SwishKernel>()});
}

}  // namespace onyx
