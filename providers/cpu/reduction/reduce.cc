// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum,
// ReduceLogSumExp and ReduceSumSquare over any axes, for every numeric type.
//
// One engine serves all of them: the input is seen through a ReducePlan as output groups x
// reduced elements x `inner` contiguous outputs, and each op is a (map, combine, finish)
// triple. Float reductions over trailing axes (LayerNorm-like means, global pooling as
// ReduceMean) go to the SIMD row kernels.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "math/math_common.h"
#include "mlas/nn_reduce.h"
#include "nn/nn_common.h"
#include "reduction/reduce_plan.h"

namespace onyx {

namespace {

enum class ReduceOp { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare, FiniteMax /* internal */ };

// Accumulator type: the type itself for float and double and for integer Max/Min (whose
// empty value is the type's lowest or highest), 64-bit for other integer ops, double for
// integer LogSumExp (whose terms are not integers).
template <ReduceOp Op, typename T>
struct Acc {
  using type = std::conditional_t<
      std::is_floating_point_v<T> || Op == ReduceOp::Max || Op == ReduceOp::Min, T,
      std::conditional_t<Op == ReduceOp::LogSumExp, double, std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>>;
};

template <typename T, typename A>
inline T StoreAs(A v) {
  if constexpr (std::is_integral_v<T> && std::is_floating_point_v<A>) {
    // Integer results of real-valued finishes (mean, sqrt, log) truncate as numpy's astype;
    // out-of-range values (e.g. log(0)) saturate instead of being undefined.
    if (!(v == v)) return T(0);
    if (v >= static_cast<A>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    if (v <= static_cast<A>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    return static_cast<T>(v);
  } else {
    return static_cast<T>(v);
  }
}

template <typename A>
constexpr A Lowest() {
  return std::numeric_limits<A>::has_infinity ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::lowest();
}
template <typename A>
constexpr A Highest() {
  return std::numeric_limits<A>::has_infinity ? std::numeric_limits<A>::infinity() : std::numeric_limits<A>::max();
}

template <ReduceOp Op, typename A>
constexpr A Init() {
  if constexpr (Op == ReduceOp::Max || Op == ReduceOp::FiniteMax) return Lowest<A>();
  else if constexpr (Op == ReduceOp::Min) return Highest<A>();
  else if constexpr (Op == ReduceOp::Prod) return A(1);
  else return A(0);
}

template <ReduceOp Op, typename A>
inline A Step(A acc, A v, A shift) {
  if constexpr (Op == ReduceOp::Max) return v > acc ? v : acc;
  else if constexpr (Op == ReduceOp::FiniteMax) return (v > acc && v - v == 0) ? v : acc;
  else if constexpr (Op == ReduceOp::Min) return v < acc ? v : acc;
  // Integer accumulators wrap on overflow (math::Wrap*) as onnxruntime's do, instead of UB.
  else if constexpr (Op == ReduceOp::Prod) return math::WrapMul(acc, v);
  else if constexpr (Op == ReduceOp::L1) {
    if constexpr (std::is_unsigned_v<A>) return acc + v;
    else return math::WrapAdd(acc, v < 0 ? math::WrapNeg(v) : v);
  } else if constexpr (Op == ReduceOp::L2 || Op == ReduceOp::SumSquare) return math::WrapAdd(acc, math::WrapMul(v, v));
  else if constexpr (Op == ReduceOp::LogSumExp) return acc + std::exp(v - shift);
  else return math::WrapAdd(acc, v);
}

// The output value for accumulator `a` over n elements. Real-valued finishes of integer
// accumulators go through double.
template <ReduceOp Op, typename T, typename A>
inline T Finish(A a, int64_t n, A shift) {
  using R = std::conditional_t<std::is_floating_point_v<A>, A, double>;
  if constexpr (Op == ReduceOp::Mean) {
    if (n == 0 && !std::is_floating_point_v<A>) return T(0);
    return StoreAs<T>(static_cast<R>(a) / static_cast<R>(n));
  } else if constexpr (Op == ReduceOp::L2) {
    return StoreAs<T>(std::sqrt(static_cast<R>(a)));
  } else if constexpr (Op == ReduceOp::LogSum) {
    return StoreAs<T>(std::log(static_cast<R>(a)));
  } else if constexpr (Op == ReduceOp::LogSumExp) {
    return StoreAs<T>(std::log(a) + shift);
  } else {
    return StoreAs<T>(a);
  }
}

// Folds a contiguous float run into the accumulator with the SIMD row kernels; false when
// the op, type or layout has no such kernel.
template <ReduceOp Op, typename T, typename A>
inline bool FloatRunStep(const T* x, const MergedDim& run, A* acc) {
  if constexpr (std::is_same_v<T, float>) {
    if (run.stride != 1) return false;
    if constexpr (Op == ReduceOp::Sum || Op == ReduceOp::Mean || Op == ReduceOp::LogSum) *acc += mlas::RowSum(x, run.size);
    else if constexpr (Op == ReduceOp::L2 || Op == ReduceOp::SumSquare) *acc += mlas::RowSumSquares(x, run.size);
    else if constexpr (Op == ReduceOp::L1) *acc += mlas::RowSumAbs(x, run.size);
    else if constexpr (Op == ReduceOp::Max) *acc = std::max(*acc, mlas::RowMax(x, run.size));
    else if constexpr (Op == ReduceOp::Min) *acc = std::min(*acc, mlas::RowMin(x, run.size));
    else return false;
    return true;
  } else {
    return false;
  }
}

// Offset of output group g (row-major over the kept dims).
inline int64_t GroupOffset(const ReducePlan& p, int64_t g) {
  int64_t off = 0;
  for (size_t d = p.kept.size(); d-- > 0;) {
    off += (g % p.kept[d].size) * p.kept[d].stride;
    g /= p.kept[d].size;
  }
  return off;
}

// Reduces output groups [g0, g1), inner outputs [j0, j1) of each. shifts (LogSumExp) are
// indexed like the outputs.
template <ReduceOp Op, typename T, typename A, typename Out>
void ReduceBlock(const ReducePlan& p, const T* x, const A* shifts, int64_t g0, int64_t g1, int64_t j0, int64_t j1,
                 Out&& out) {
  const int64_t inner = p.inner, width = j1 - j0;
  const MergedDim last = p.reduced.back();
  const size_t nr = p.reduced.size() - 1;
  std::vector<A> acc(static_cast<size_t>(width));
  std::vector<int64_t> ridx(nr);
  for (int64_t g = g0; g < g1; ++g) {
    const int64_t base = GroupOffset(p, g) + j0;
    const A* sh = shifts ? shifts + g * inner + j0 : nullptr;
    std::fill(acc.begin(), acc.end(), Init<Op, A>());
    std::fill(ridx.begin(), ridx.end(), 0);
    int64_t roff = 0;
    for (;;) {
      const T* px = x + base + roff;
      if (inner == 1) {
        A a = acc[0];
        if (!FloatRunStep<Op>(px, last, &a)) {
          const A s = sh ? sh[0] : A(0);
          for (int64_t r = 0; r < last.size; ++r) a = Step<Op, A>(a, static_cast<A>(px[r * last.stride]), s);
        }
        acc[0] = a;
      } else {
        A* ac = acc.data();
        for (int64_t r = 0; r < last.size; ++r) {
          const T* row = px + r * last.stride;
          if constexpr (Op == ReduceOp::LogSumExp) {
            for (int64_t j = 0; j < width; ++j) ac[j] = Step<Op, A>(ac[j], static_cast<A>(row[j]), sh[j]);
          } else {
            for (int64_t j = 0; j < width; ++j) ac[j] = Step<Op, A>(ac[j], static_cast<A>(row[j]), A(0));
          }
        }
      }
      // Next combination of the outer reduced dims.
      bool done = true;
      for (size_t d = nr; d-- > 0;) {
        roff += p.reduced[d].stride;
        if (++ridx[d] < p.reduced[d].size) {
          done = false;
          break;
        }
        roff -= p.reduced[d].stride * p.reduced[d].size;
        ridx[d] = 0;
      }
      if (done) break;
    }
    for (int64_t j = 0; j < width; ++j) out(g * inner + j0 + j, acc[j], sh ? sh[j] : A(0));
  }
}

// Runs ReduceBlock over all outputs, split over the pool by groups and, when there are few
// groups, by slices of the inner outputs.
template <ReduceOp Op, typename T, typename A, typename Out>
void ReduceAll(const ReducePlan& p, const T* x, const A* shifts, ThreadPool* pool, Out&& out) {
  const int64_t groups = p.groups(), inner = p.inner;
  const int threads = pool ? pool->num_threads() : 1;
  // With few groups, slices of the inner outputs give the threads work; each slice stays wide
  // enough for long contiguous reads.
  int64_t slice = inner;
  if (threads > 1 && groups < 2 * threads && inner > 2048)
    slice = std::max<int64_t>(1024, (inner + 2 * threads - 1) / (2 * threads));
  const int64_t slices = (inner + slice - 1) / slice;
  const double cost = static_cast<double>(p.reduce_count) * static_cast<double>(slice);
  ParallelFor(pool, groups * slices, cost, [&](int64_t u0, int64_t u1) {
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t g = u / slices, s = u % slices;
      ReduceBlock<Op, T, A>(p, x, shifts, g, g + 1, s * slice, std::min(inner, (s + 1) * slice), out);
    }
  });
}

// Float reductions over contiguous rows with the SIMD kernels. Returns false when the op has
// no row kernel.
template <ReduceOp Op>
bool ReduceRowsFloat(const ReducePlan& p, const float* x, float* y, ThreadPool* pool) {
  constexpr bool kSum = Op == ReduceOp::Sum || Op == ReduceOp::Mean || Op == ReduceOp::LogSum;
  constexpr bool kSq = Op == ReduceOp::L2 || Op == ReduceOp::SumSquare;
  constexpr bool kExt = Op == ReduceOp::Max || Op == ReduceOp::Min;
  if constexpr (!(kSum || kSq || kExt || Op == ReduceOp::L1)) {
    return false;
  } else {
    const int64_t groups = p.groups(), n = p.reduce_count;
    auto row = [](const float* r, int64_t len) -> float {
      if constexpr (kSum) return mlas::RowSum(r, len);
      else if constexpr (kSq) return mlas::RowSumSquares(r, len);
      else if constexpr (Op == ReduceOp::L1) return mlas::RowSumAbs(r, len);
      else if constexpr (Op == ReduceOp::Max) return mlas::RowMax(r, len);
      else return mlas::RowMin(r, len);
    };
    const int threads = pool ? pool->num_threads() : 1;
    constexpr int64_t kSplit = 1 << 16;
    if (groups >= threads || n < 2 * kSplit) {
      ParallelFor(pool, groups, static_cast<double>(n), [&](int64_t g0, int64_t g1) {
        for (int64_t g = g0; g < g1; ++g) y[g] = Finish<Op, float, float>(row(x + g * n, n), n, 0.0f);
      });
      return true;
    }
    // Few long rows: reduce chunks in parallel, then combine the partial results.
    const int64_t chunks = (n + kSplit - 1) / kSplit;
    std::vector<float> part(static_cast<size_t>(chunks));
    for (int64_t g = 0; g < groups; ++g) {
      const float* r = x + g * n;
      ParallelFor(pool, chunks, static_cast<double>(kSplit), [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) part[c] = row(r + c * kSplit, std::min(kSplit, n - c * kSplit));
      });
      float a = part[0];
      for (int64_t c = 1; c < chunks; ++c) {
        if constexpr (Op == ReduceOp::Max) a = std::max(a, part[c]);
        else if constexpr (Op == ReduceOp::Min) a = std::min(a, part[c]);
        else a += part[c];
      }
      y[g] = Finish<Op, float, float>(a, n, 0.0f);
    }
    return true;
  }
}

template <ReduceOp Op, typename T>
void RunReduce(const ReducePlan& p, const T* x, T* y, ThreadPool* pool) {
  using A = typename Acc<Op, T>::type;
  if (p.out_count == 0) return;
  if (p.reduce_count == 0) {
    const T v = Finish<Op, T, A>(Init<Op, A>(), 0, A(0));
    std::fill(y, y + p.out_count, v);
    return;
  }
  if constexpr (std::is_same_v<T, float>) {
    if (p.is_rows() && ReduceRowsFloat<Op>(p, x, y, pool)) return;
  }
  std::vector<A> shifts;
  if constexpr (Op == ReduceOp::LogSumExp) {
    // exp(x - max) keeps the sum finite; infinities are left out of the max so that they
    // come out as inf (or -inf) instead of nan.
    shifts.resize(static_cast<size_t>(p.out_count));
    A* sh = shifts.data();
    ReduceAll<ReduceOp::FiniteMax, T, A>(p, x, nullptr, pool,
                                         [sh](int64_t o, A a, A) { sh[o] = a == Lowest<A>() ? A(0) : a; });
  }
  ReduceAll<Op, T, A>(p, x, shifts.empty() ? nullptr : shifts.data(), pool,
                      [&](int64_t o, A a, A shift) { y[o] = Finish<Op, T, A>(a, p.reduce_count, shift); });
}

template <ReduceOp Op>
void DispatchReduce(const ReducePlan& p, const Tensor& X, Tensor& Y, const KernelContext& ctx) {
  ThreadPool* pool = ctx.thread_pool();
  constexpr bool kMinMax = Op == ReduceOp::Max || Op == ReduceOp::Min;
  switch (X.dtype()) {
    case DataType::Float: RunReduce<Op, float>(p, X.data<float>(), Y.data<float>(), pool); return;
    case DataType::Double: RunReduce<Op, double>(p, X.data<double>(), Y.data<double>(), pool); return;
    case DataType::Int32: RunReduce<Op, int32_t>(p, X.data<int32_t>(), Y.data<int32_t>(), pool); return;
    case DataType::Int64: RunReduce<Op, int64_t>(p, X.data<int64_t>(), Y.data<int64_t>(), pool); return;
    case DataType::UInt32: RunReduce<Op, uint32_t>(p, X.data<uint32_t>(), Y.data<uint32_t>(), pool); return;
    case DataType::UInt64: RunReduce<Op, uint64_t>(p, X.data<uint64_t>(), Y.data<uint64_t>(), pool); return;
    case DataType::Float16:
    case DataType::BFloat16: {
      // Computed in float: the accumulator would be float anyway.
      Tensor xf = ToFloatTensor(X), yf(DataType::Float, Y.shape());
      RunReduce<Op, float>(p, xf.data<float>(), yf.data<float>(), pool);
      FromFloatTensor(yf, Y);
      return;
    }
    case DataType::Int8:
      if constexpr (kMinMax) { RunReduce<Op, int8_t>(p, X.data<int8_t>(), Y.data<int8_t>(), pool); return; }
      break;
    case DataType::UInt8:
    case DataType::Bool:  // opset 20: max is any, min is all
      if constexpr (kMinMax) {
        RunReduce<Op, uint8_t>(p, static_cast<const uint8_t*>(X.raw_data()), static_cast<uint8_t*>(Y.raw_data()), pool);
        return;
      }
      break;
    default: break;
  }
  throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(X.dtype()) + " is not supported");
}

class Reduce final : public OpKernel {
 public:
  Reduce(const KernelInfo& info, ReduceOp op)
      : op_(op),
        keepdims_(info.GetInt("keepdims", 1) != 0),
        noop_with_empty_axes_(info.GetInt("noop_with_empty_axes", 0) != 0),
        axes_from_input_(op == ReduceOp::Sum ? info.opset() >= 13 : info.opset() >= 18),
        axes_(info.GetInts("axes")) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    std::vector<int64_t> axes = axes_;
    if (axes_from_input_) {
      axes.clear();
      if (const Tensor* a = ctx.OptionalInput(1)) axes = ReadInt64s(*a, ctx);
    }
    const int64_t rank = static_cast<int64_t>(X.rank());
    // No axes: reduce everything, or (noop_with_empty_axes) nothing, which still applies the
    // per-element part of the op (|x| for ReduceL1...), as the reference implementation does.
    std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty() && !noop_with_empty_axes_);
    for (int64_t a : axes) {
      if (a < -rank || a >= std::max<int64_t>(rank, 1))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "axis " + std::to_string(a) + " is out of range for input of shape " +
                                                            ShapeToString(X.shape()));
      if (rank > 0) reduced[a < 0 ? a + rank : a] = true;
    }
    const ReducePlan plan = MakeReducePlan(X.shape(), reduced, keepdims_);
    Tensor& Y = ctx.Output(0, X.dtype(), plan.out_shape);
    switch (op_) {
      case ReduceOp::Sum: DispatchReduce<ReduceOp::Sum>(plan, X, Y, ctx); break;
      case ReduceOp::Mean: DispatchReduce<ReduceOp::Mean>(plan, X, Y, ctx); break;
      case ReduceOp::Max: DispatchReduce<ReduceOp::Max>(plan, X, Y, ctx); break;
      case ReduceOp::Min: DispatchReduce<ReduceOp::Min>(plan, X, Y, ctx); break;
      case ReduceOp::Prod: DispatchReduce<ReduceOp::Prod>(plan, X, Y, ctx); break;
      case ReduceOp::L1: DispatchReduce<ReduceOp::L1>(plan, X, Y, ctx); break;
      case ReduceOp::L2: DispatchReduce<ReduceOp::L2>(plan, X, Y, ctx); break;
      case ReduceOp::LogSum: DispatchReduce<ReduceOp::LogSum>(plan, X, Y, ctx); break;
      case ReduceOp::LogSumExp: DispatchReduce<ReduceOp::LogSumExp>(plan, X, Y, ctx); break;
      case ReduceOp::SumSquare: DispatchReduce<ReduceOp::SumSquare>(plan, X, Y, ctx); break;
      case ReduceOp::FiniteMax: break;
    }
  }

 private:
  ReduceOp op_;
  bool keepdims_, noop_with_empty_axes_, axes_from_input_;
  std::vector<int64_t> axes_;
};

}  // namespace

void RegisterReduceKernels(KernelRegistry& r) {
  struct Entry { const char* name; ReduceOp op; };
  const Entry entries[] = {{"ReduceSum", ReduceOp::Sum},         {"ReduceMean", ReduceOp::Mean},
                           {"ReduceMax", ReduceOp::Max},         {"ReduceMin", ReduceOp::Min},
                           {"ReduceProd", ReduceOp::Prod},       {"ReduceL1", ReduceOp::L1},
                           {"ReduceL2", ReduceOp::L2},           {"ReduceLogSum", ReduceOp::LogSum},
                           {"ReduceLogSumExp", ReduceOp::LogSumExp}, {"ReduceSumSquare", ReduceOp::SumSquare}};
  for (const Entry& e : entries) {
    std::vector<DataType> types = {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16,
                                   DataType::Int32, DataType::Int64,  DataType::UInt32,  DataType::UInt64};
    if (e.op == ReduceOp::Max || e.op == ReduceOp::Min) types.insert(types.end(), {DataType::Int8, DataType::UInt8, DataType::Bool});
    const ReduceOp op = e.op;
    r.Register({kCpuProvider, "", e.name, 1, INT64_MAX, types,
                [op](const KernelInfo& info) -> std::unique_ptr<OpKernel> { return std::make_unique<Reduce>(info, op); }});
  }
}

}  // namespace onyx
