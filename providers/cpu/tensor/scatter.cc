// Index-driven writes: ScatterND, ScatterElements and the older Scatter. The output starts as a
// copy of data; updates are applied in index order, combined by the reduction attribute.
#include "tensor/tensor_helpers.h"

namespace onyx {
namespace {

enum class Reduction { None, Add, Mul, Max, Min };

Reduction ParseReduction(const KernelInfo& info) {
  std::string s = info.GetString("reduction", "none");
  if (s == "none") return Reduction::None;
  if (s == "add") return Reduction::Add;
  if (s == "mul") return Reduction::Mul;
  if (s == "max" && info.opset() >= 18) return Reduction::Max;
  if (s == "min" && info.opset() >= 18) return Reduction::Min;
  throw info.MakeError(ErrorCode::InvalidGraph, "reduction '" + s + "' is not supported at opset " + std::to_string(info.opset()));
}

template <typename T>
T Combine(const T& a, const T& b, Reduction r) {
  if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return FromFloat<T>(Combine(ToFloat(a), ToFloat(b), r));
  } else if constexpr (std::is_same_v<T, bool>) {
    switch (r) {
      case Reduction::Add: case Reduction::Max: return a || b;
      case Reduction::Mul: case Reduction::Min: return a && b;
      default: return b;
    }
  } else if constexpr (std::is_arithmetic_v<T>) {
    switch (r) {
      case Reduction::Add: return static_cast<T>(a + b);
      case Reduction::Mul: return static_cast<T>(a * b);
      case Reduction::Max: return std::max(a, b);
      case Reduction::Min: return std::min(a, b);
      default: return b;
    }
  } else {
    return b;
  }
}

// out[dst_offsets[i] + j] = reduce(out[...], updates[i * block + j]) for every i, j < block.
void ApplyUpdates(Tensor& out, const Tensor& updates, const std::vector<int64_t>& dst_offsets, int64_t block, Reduction red,
                  const KernelContext& ctx) {
  if (red != Reduction::None && out.dtype() == DataType::String)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "reductions are not defined for string tensors");
  DispatchAll(out.dtype(), ctx, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = out.data<T>();
    const T* u = updates.data<T>();
    for (size_t i = 0; i < dst_offsets.size(); ++i) {
      T* d = o + dst_offsets[i];
      const T* s = u + static_cast<int64_t>(i) * block;
      if (red == Reduction::None) {
        std::copy(s, s + block, d);
      } else {
        for (int64_t j = 0; j < block; ++j) d[j] = Combine(d[j], s[j], red);
      }
    }
  });
}

Tensor& CopyOfData(KernelContext& ctx, const Tensor& data) {
  Tensor& y = ctx.Output(0, data.dtype(), data.shape());
  CopyElements(data.dtype(), y.raw_data(), data.raw_data(), data.size());
  return y;
}

void CheckSameType(const Tensor& data, const Tensor& updates, const KernelContext& ctx) {
  if (updates.dtype() != data.dtype())
    throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("updates have type ") + DataTypeName(updates.dtype()) +
                                                        " but data has type " + DataTypeName(data.dtype()));
}

class ScatterNDKernel final : public OpKernel {
 public:
  explicit ScatterNDKernel(const KernelInfo& info) : reduction_(ParseReduction(info)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& data = ctx.Input(0);
    const Tensor& indices = ctx.Input(1);
    const Tensor& updates = ctx.Input(2);
    CheckSameType(data, updates, ctx);
    const int64_t r = static_cast<int64_t>(data.rank()), q = static_cast<int64_t>(indices.rank());
    if (r < 1 || q < 1) throw ctx.MakeError(ErrorCode::InvalidArgument, "data and indices should have rank >= 1");
    const int64_t k = indices.dim(q - 1);
    if (k > r) throw ctx.MakeError(ErrorCode::InvalidArgument, "the last dimension of indices (" + std::to_string(k) +
                                                                  ") exceeds the rank of data (" + std::to_string(r) + ")");
    std::vector<int64_t> expected(indices.shape().begin(), indices.shape().end() - 1);
    expected.insert(expected.end(), data.shape().begin() + k, data.shape().end());
    if (updates.shape() != expected)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "updates have shape " + ShapeToString(updates.shape()) + " but should have " +
                                                          ShapeToString(expected));
    int64_t block = 1;
    for (int64_t i = k; i < r; ++i) block *= data.dim(i);
    std::vector<int64_t> offsets = IndexTupleOffsets(data, indices, 0, ctx, "ScatterND");
    Tensor& y = CopyOfData(ctx, data);
    ApplyUpdates(y, updates, offsets, block, reduction_, ctx);
  }

 private:
  Reduction reduction_;
};

class ScatterElementsKernel final : public OpKernel {
 public:
  explicit ScatterElementsKernel(const KernelInfo& info) : axis_(info.GetInt("axis", 0)), reduction_(ParseReduction(info)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& data = ctx.Input(0);
    const Tensor& indices = ctx.Input(1);
    const Tensor& updates = ctx.Input(2);
    CheckSameType(data, updates, ctx);
    const int64_t rank = static_cast<int64_t>(data.rank());
    if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "data should have rank >= 1");
    if (indices.shape() != updates.shape())
      throw ctx.MakeError(ErrorCode::InvalidArgument, "indices " + ShapeToString(indices.shape()) + " and updates " +
                                                          ShapeToString(updates.shape()) + " should have the same shape");
    const int64_t axis = CheckedAxis(axis_, rank, ctx);
    std::vector<int64_t> offsets = AxisIndexOffsets(data, indices, axis, ctx, "ScatterElements");
    Tensor& y = CopyOfData(ctx, data);
    ApplyUpdates(y, updates, offsets, 1, reduction_, ctx);
  }

 private:
  int64_t axis_;
  Reduction reduction_;
};

}  // namespace

void RegisterScatterKernels(KernelRegistry& r) {
  RegisterTensorKernel(r, "ScatterND", 11, INT64_MAX, AllTensorTypes(), MakeFactory<ScatterNDKernel>());
  RegisterTensorKernel(r, "ScatterElements", 11, INT64_MAX, AllTensorTypes(), MakeFactory<ScatterElementsKernel>());
  RegisterTensorKernel(r, "Scatter", 9, 10, AllTensorTypes(), MakeFactory<ScatterElementsKernel>());
}

}  // namespace onyx
