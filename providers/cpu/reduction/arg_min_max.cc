// ArgMax and ArgMin (ai.onnx 1, 11, 12, 13): the index of the extreme value along one axis,
// first or (select_last_index) last on ties, as int64.
#include <algorithm>

#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "reduction/reduce_plan.h"

namespace onyx {

namespace {

template <typename T>
inline auto Key(T v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return ToFloat(v);
  else return v;
}

// x is [outer, n, inner]; y is [outer, inner].
template <typename T, bool kMax, bool kLast>
void ArgExtreme(const T* x, int64_t outer, int64_t n, int64_t inner, int64_t* y, ThreadPool* pool) {
  using K = decltype(Key(x[0]));
  auto better = [](K v, K best) {
    if constexpr (kMax) return kLast ? v >= best : v > best;
    else return kLast ? v <= best : v < best;
  };
  if (inner == 1) {
    ParallelFor(pool, outer, static_cast<double>(n), [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        const T* row = x + o * n;
        K best = Key(row[0]);
        int64_t arg = 0;
        for (int64_t i = 1; i < n; ++i) {
          const K v = Key(row[i]);
          if (better(v, best)) {
            best = v;
            arg = i;
          }
        }
        y[o] = arg;
      }
    });
    return;
  }
  ParallelFor(pool, outer, static_cast<double>(n * inner), [&](int64_t o0, int64_t o1) {
    std::vector<K> best(static_cast<size_t>(inner));
    for (int64_t o = o0; o < o1; ++o) {
      const T* block = x + o * n * inner;
      int64_t* yo = y + o * inner;
      for (int64_t j = 0; j < inner; ++j) {
        best[j] = Key(block[j]);
        yo[j] = 0;
      }
      for (int64_t i = 1; i < n; ++i) {
        const T* row = block + i * inner;
        for (int64_t j = 0; j < inner; ++j) {
          const K v = Key(row[j]);
          if (better(v, best[j])) {
            best[j] = v;
            yo[j] = i;
          }
        }
      }
    }
  });
}

class ArgMinMax final : public OpKernel {
 public:
  ArgMinMax(const KernelInfo& info, bool is_max)
      : is_max_(is_max),
        axis_(info.GetInt("axis", 0)),
        keepdims_(info.GetInt("keepdims", 1) != 0),
        select_last_(info.GetInt("select_last_index", 0) != 0) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(X.rank());
    if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "input should have rank >= 1");
    const int64_t axis = NormalizeAxis(axis_, rank, ctx);
    const std::vector<int64_t>& s = X.shape();
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= s[d];
    for (int64_t d = axis + 1; d < rank; ++d) inner *= s[d];
    const int64_t n = s[axis];
    std::vector<int64_t> y_shape;
    for (int64_t d = 0; d < rank; ++d) {
      if (d != axis) y_shape.push_back(s[d]);
      else if (keepdims_) y_shape.push_back(1);
    }
    Tensor& Y = ctx.Output(0, DataType::Int64, y_shape);
    if (Y.size() == 0) return;
    if (n == 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot take the arg " + std::string(is_max_ ? "max" : "min") +
                                                          " over an empty axis of input shape " + ShapeToString(s));
    ThreadPool* pool = ctx.thread_pool();
    int64_t* y = Y.data<int64_t>();
    auto run = [&](const auto* x) {
      using T = std::remove_cv_t<std::remove_pointer_t<decltype(x)>>;
      if (is_max_) {
        if (select_last_) ArgExtreme<T, true, true>(x, outer, n, inner, y, pool);
        else ArgExtreme<T, true, false>(x, outer, n, inner, y, pool);
      } else {
        if (select_last_) ArgExtreme<T, false, true>(x, outer, n, inner, y, pool);
        else ArgExtreme<T, false, false>(x, outer, n, inner, y, pool);
      }
    };
    switch (X.dtype()) {
      case DataType::Float16: run(static_cast<const Half*>(X.raw_data())); break;
      case DataType::BFloat16: run(static_cast<const BFloat16*>(X.raw_data())); break;
      case DataType::Bool: run(static_cast<const uint8_t*>(X.raw_data())); break;
      default:
        DispatchArithmetic(X.dtype(), ctx, [&](auto tag) {
          using T = typename decltype(tag)::type;
          run(X.data<T>());
        });
    }
  }

 private:
  bool is_max_;
  int64_t axis_;
  bool keepdims_, select_last_;
};

}  // namespace

void RegisterArgMinMaxKernels(KernelRegistry& r) {
  for (bool is_max : {true, false}) {
    r.Register({kCpuProvider, "", is_max ? "ArgMax" : "ArgMin", 1, INT64_MAX, AllNumericTypes(),
                [is_max](const KernelInfo& info) -> std::unique_ptr<OpKernel> {
                  return std::make_unique<ArgMinMax>(info, is_max);
                }});
  }
}

}  // namespace onyx
