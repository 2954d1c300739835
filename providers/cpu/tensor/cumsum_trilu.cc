// CumSum and CumProd (running sums and products along an axis) and Trilu (keep the upper or lower triangle).
#include <cstring>

#include "core/thread_pool.h"
#include "tensor/tensor_helpers.h"

namespace onyx {
namespace {

// Integer running sums and products wrap like two's complement instead of overflowing
// (undefined behaviour for signed types).
template <bool kProduct, typename A>
A Combine(A a, A b) {
  if constexpr (std::is_integral_v<A>) {
    const uint64_t x = static_cast<uint64_t>(a), y = static_cast<uint64_t>(b);
    return static_cast<A>(kProduct ? x * y : x + y);
  } else {
    return kProduct ? a * b : a + b;
  }
}

// CumSum (kProduct = false) and CumProd (kProduct = true): one scan along an axis.
template <bool kProduct>
class CumulativeKernel final : public OpKernel {
 public:
  explicit CumulativeKernel(const KernelInfo& info)
      : exclusive_(info.GetInt("exclusive", 0) != 0), reverse_(info.GetInt("reverse", 0) != 0) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "input should have rank >= 1");
    const Tensor& axis_t = ctx.Input(1);
    if (axis_t.rank() > 1) throw ctx.MakeError(ErrorCode::InvalidArgument, "axis should be a scalar, got shape " + ShapeToString(axis_t.shape()));
    const int64_t axis = CheckedAxis(ReadScalarInt(axis_t, ctx, "axis"), rank, ctx);
    Tensor& y = ctx.Output(0, x.dtype(), x.shape());
    if (y.size() == 0) return;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
    for (int64_t i = axis + 1; i < rank; ++i) inner *= x.dim(i);
    const int64_t n = x.dim(axis);
    DispatchAll(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool>) {
        throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("element type ") + DataTypeName(x.dtype()) + " is not supported");
      } else {
        constexpr bool kHalf = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
        using Acc = std::conditional_t<kHalf, float, T>;
        const T* src = x.data<T>();
        T* dst = y.data<T>();
        ParallelFor(ctx.thread_pool(), outer, static_cast<double>(n * inner), [&](int64_t begin, int64_t end) {
          std::vector<Acc> acc(static_cast<size_t>(inner));
          for (int64_t o = begin; o < end; ++o) {
            std::fill(acc.begin(), acc.end(), Acc(kProduct ? 1 : 0));
            for (int64_t step = 0; step < n; ++step) {
              const int64_t i = reverse_ ? n - 1 - step : step;
              const T* s = src + (o * n + i) * inner;
              T* d = dst + (o * n + i) * inner;
              for (int64_t j = 0; j < inner; ++j) {
                Acc v;
                if constexpr (kHalf) v = ToFloat(s[j]);
                else v = s[j];
                if (!exclusive_) acc[j] = Combine<kProduct>(acc[j], v);
                if constexpr (kHalf) d[j] = FromFloat<T>(acc[j]);
                else d[j] = acc[j];
                if (exclusive_) acc[j] = Combine<kProduct>(acc[j], v);
              }
            }
          }
        });
      }
    });
  }

 private:
  bool exclusive_, reverse_;
};

class TriluKernel final : public OpKernel {
 public:
  explicit TriluKernel(const KernelInfo& info) : upper_(info.GetInt("upper", 1) != 0) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    if (x.rank() < 2) throw ctx.MakeError(ErrorCode::InvalidArgument, "input should have rank >= 2, got shape " + ShapeToString(x.shape()));
    int64_t k = 0;
    if (const Tensor* kt = ctx.OptionalInput(1)) k = ReadScalarInt(*kt, ctx, "k");
    Tensor& y = ctx.Output(0, x.dtype(), x.shape());
    if (y.size() == 0) return;
    if (y.nbytes()) std::memset(y.raw_data(), 0, y.nbytes());  // only the kept triangle is copied
    const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1), matrices = x.size() / (rows * cols);
    // Row i keeps columns [lo, hi): upper keeps j - i >= k, lower keeps j - i <= k. Clamping
    // first keeps i + k from overflowing for extreme k.
    const int64_t kc = std::clamp<int64_t>(k, -rows - 1, cols + 1);
    DispatchElement(x.dtype(), [&](auto tag) {
      using E = typename decltype(tag)::type;
      const E* src = x.data<E>();
      E* dst = y.data<E>();
      for (int64_t m = 0; m < matrices; ++m)
        for (int64_t i = 0; i < rows; ++i) {
          const int64_t lo = upper_ ? std::clamp<int64_t>(i + kc, 0, cols) : 0;
          const int64_t hi = upper_ ? cols : std::clamp<int64_t>(i + kc + 1, 0, cols);
          const int64_t row = (m * rows + i) * cols;
          std::copy(src + row + lo, src + row + hi, dst + row + lo);
        }
    });
  }

 private:
  bool upper_;
};

}  // namespace

void RegisterCumSumTriluKernels(KernelRegistry& r) {
  RegisterTensorKernel(r, "CumSum", 11, INT64_MAX,
                       {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16, DataType::Int32, DataType::Int64,
                        DataType::UInt32, DataType::UInt64},
                       MakeFactory<CumulativeKernel<false>>());
  RegisterTensorKernel(r, "CumProd", 26, INT64_MAX, AllNumericTypes(), MakeFactory<CumulativeKernel<true>>());
  RegisterTensorKernel(r, "Trilu", 14, INT64_MAX, AllTensorTypes(), MakeFactory<TriluKernel>());
}

}  // namespace onyx
