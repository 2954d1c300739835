// Ops that order or pick elements by value: TopK, Unique, NonZero.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/thread_pool.h"
#include "tensor/tensor_helpers.h"

namespace onyx {
namespace {

// Values are compared as K: float for the 16-bit floats, the element type otherwise.
template <typename T>
auto KeyOf(const T& v) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) return ToFloat(v);
  else return v;
}

// A strict total order in which NaN is greater than every number and equal to itself.
template <typename K>
bool KeyLess(const K& a, const K& b) {
  if constexpr (std::is_floating_point_v<K>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

template <typename Fn>
void DispatchSortable(DataType dt, const KernelContext& ctx, Fn&& fn) {
  DispatchAll(dt, ctx, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool>) {
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("element type ") + DataTypeName(dt) + " is not supported");
    } else {
      fn(tag);
    }
  });
}

class TopKKernel final : public OpKernel {
 public:
  explicit TopKKernel(const KernelInfo& info)
      : opset_(info.opset()),
        axis_(info.GetInt("axis", -1)),
        k_attr_(info.GetInt("k", -1)),
        largest_(info.GetInt("largest", 1) != 0) {
    // sorted=0 leaves the order unspecified; sorted output satisfies it too, so it is ignored.
    if (opset_ < 10 && !info.HasAttribute("k")) throw info.MakeError(ErrorCode::InvalidGraph, "required attribute 'k' is missing");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "input should have rank >= 1");
    const int64_t axis = CheckedAxis(axis_, rank, ctx);
    const int64_t k = opset_ < 10 ? k_attr_ : ReadScalarInt(ctx.Input(1), ctx, "k");
    const int64_t n = x.dim(axis);
    if (k < 0 || k > n)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "k = " + std::to_string(k) + " should be in [0, " + std::to_string(n) +
                                                          "] (the size of axis " + std::to_string(axis) + ")");
    std::vector<int64_t> out_shape = x.shape();
    out_shape[axis] = k;
    Tensor& values = ctx.Output(0, x.dtype(), out_shape);
    Tensor& indices = ctx.Output(1, DataType::Int64, out_shape);
    if (values.size() == 0) return;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= x.dim(i);
    for (int64_t i = axis + 1; i < rank; ++i) inner *= x.dim(i);
    const bool largest = largest_;
    DispatchSortable(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using K = decltype(KeyOf(T{}));
      const T* src = x.data<T>();
      T* vout = values.data<T>();
      int64_t* iout = indices.data<int64_t>();
      ParallelFor(ctx.thread_pool(), outer * inner, static_cast<double>(n) * 8, [&](int64_t begin, int64_t end) {
        std::vector<K> keys(n);
        std::vector<int64_t> order(n);
        for (int64_t line = begin; line < end; ++line) {
          const int64_t o = line / inner, j = line % inner;
          const T* s = src + o * n * inner + j;
          for (int64_t i = 0; i < n; ++i) keys[i] = KeyOf(s[i * inner]);
          std::iota(order.begin(), order.end(), 0);
          // Ties keep the lower index first.
          auto before = [&](int64_t a, int64_t b) {
            bool a_first = largest ? KeyLess(keys[b], keys[a]) : KeyLess(keys[a], keys[b]);
            bool b_first = largest ? KeyLess(keys[a], keys[b]) : KeyLess(keys[b], keys[a]);
            return a_first || (!b_first && a < b);
          };
          if (k < n) std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
          else std::sort(order.begin(), order.end(), before);
          for (int64_t i = 0; i < k; ++i) {
            const int64_t dst = (o * k + i) * inner + j;
            vout[dst] = s[order[i] * inner];
            iout[dst] = order[i];
          }
        }
      });
    });
  }

 private:
  int64_t opset_, axis_, k_attr_;
  bool largest_;
};

class UniqueKernel final : public OpKernel {
 public:
  explicit UniqueKernel(const KernelInfo& info)
      : sorted_(info.GetInt("sorted", 1) != 0), has_axis_(info.HasAttribute("axis")), axis_(info.GetInt("axis", 0)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const DataType dt = x.dtype();
    const std::vector<int64_t> shape = has_axis_ ? x.shape() : std::vector<int64_t>{x.size()};
    const int64_t rank = static_cast<int64_t>(shape.size());
    const int64_t axis = has_axis_ ? CheckedAxis(axis_, rank, ctx) : 0;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= shape[i];
    for (int64_t i = axis + 1; i < rank; ++i) inner *= shape[i];
    const int64_t n = shape[axis];

    // Items are the slices along axis (single elements without an axis), compared
    // lexicographically. groups[g] lists the items equal to unique value g, in input order.
    std::vector<std::vector<int64_t>> groups;
    DispatchAll(dt, ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* d = x.data<T>();
      auto compare = [&](int64_t a, int64_t b) {  // -1, 0, 1
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t j = 0; j < inner; ++j) {
            const auto ka = KeyOf(d[(o * n + a) * inner + j]), kb = KeyOf(d[(o * n + b) * inner + j]);
            if (KeyLess(ka, kb)) return -1;
            if (KeyLess(kb, ka)) return 1;
          }
        return 0;
      };
      std::vector<int64_t> order(n);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return compare(a, b) < 0; });
      for (int64_t i = 0; i < n; ++i) {
        if (i == 0 || compare(order[i - 1], order[i]) != 0) groups.emplace_back();
        groups.back().push_back(order[i]);
      }
    });
    // The stable sort leaves each group in input order, so group.front() is the first occurrence.
    if (!sorted_)
      std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.front() < b.front(); });

    const int64_t u = static_cast<int64_t>(groups.size());
    std::vector<int64_t> out_shape = shape;
    out_shape[axis] = u;
    Tensor& y = ctx.Output(0, dt, out_shape);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t g = 0; g < u; ++g)
        CopyElements(dt, ElementAt(y.raw_data(), dt, (o * u + g) * inner), ElementAt(x.raw_data(), dt, (o * n + groups[g].front()) * inner),
                     inner);
    if (ctx.has_output(1)) {
      Tensor& first = ctx.Output(1, DataType::Int64, {u});
      for (int64_t g = 0; g < u; ++g) first.data<int64_t>()[g] = groups[g].front();
    }
    if (ctx.has_output(2)) {
      Tensor& inverse = ctx.Output(2, DataType::Int64, {n});
      for (int64_t g = 0; g < u; ++g)
        for (int64_t i : groups[g]) inverse.data<int64_t>()[i] = g;
    }
    if (ctx.has_output(3)) {
      Tensor& counts = ctx.Output(3, DataType::Int64, {u});
      for (int64_t g = 0; g < u; ++g) counts.data<int64_t>()[g] = static_cast<int64_t>(groups[g].size());
    }
  }

 private:
  bool sorted_, has_axis_;
  int64_t axis_;
};

class NonZeroKernel final : public OpKernel {
 public:
  explicit NonZeroKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    // A scalar counts as a 1-element vector, as numpy does.
    const std::vector<int64_t> shape = x.rank() == 0 ? std::vector<int64_t>{1} : x.shape();
    std::vector<int64_t> hits;
    DispatchAll(x.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_same_v<T, std::string>) {
        throw ctx.MakeError(ErrorCode::InvalidArgument, "string tensors are not supported");
      } else {
        const T* d = x.data<T>();
        for (int64_t i = 0; i < x.size(); ++i) {
          bool nz;
          if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) nz = (d[i].bits & 0x7fff) != 0;
          else nz = d[i] != T(0);
          if (nz) hits.push_back(i);
        }
      }
    });
    const int64_t rank = static_cast<int64_t>(shape.size()), nnz = static_cast<int64_t>(hits.size());
    Tensor& y = ctx.Output(0, DataType::Int64, {rank, nnz});
    const std::vector<int64_t> strides = ContiguousStrides(shape);
    int64_t* out = y.data<int64_t>();
    for (int64_t h = 0; h < nnz; ++h) {
      int64_t rem = hits[h];
      for (int64_t k = 0; k < rank; ++k) {
        out[k * nnz + h] = rem / strides[k];
        rem %= strides[k];
      }
    }
  }
};

}  // namespace

void RegisterSortKernels(KernelRegistry& r) {
  RegisterTensorKernel(r, "TopK", 1, INT64_MAX, AllNumericTypes(), MakeFactory<TopKKernel>());
  RegisterTensorKernel(r, "Unique", 11, INT64_MAX, AllTensorTypes(), MakeFactory<UniqueKernel>());
  std::vector<DataType> nonzero = AllNumericTypes();
  nonzero.push_back(DataType::Bool);
  RegisterTensorKernel(r, "NonZero", 9, INT64_MAX, nonzero, MakeFactory<NonZeroKernel>());
}

}  // namespace onyx
