// Index-driven reads: Gather, GatherElements, GatherND. Every index is checked against its
// dimension before any element moves.
#include "core/thread_pool.h"
#include "tensor/tensor_helpers.h"
#include "tensor/tensor_shapes.h"

namespace onyx {
namespace {

// Copies `count` blocks of `block` elements: dst block i <- src block starting at src_offsets[i].
void CopyBlocks(DataType dt, void* dst, const void* src, const std::vector<int64_t>& src_offsets, int64_t block,
                ThreadPool* pool) {
  const int64_t count = static_cast<int64_t>(src_offsets.size());
  if (block == 1) {
    DispatchElement(dt, [&](auto tag) {
      using E = typename decltype(tag)::type;
      E* d = static_cast<E*>(dst);
      const E* s = static_cast<const E*>(src);
      ParallelFor(pool, count, 1.0, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) d[i] = s[src_offsets[i]];
      });
    });
    return;
  }
  ParallelFor(pool, count, static_cast<double>(block), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) CopyElements(dt, ElementAt(dst, dt, i * block), ElementAt(src, dt, src_offsets[i]), block);
  });
}

class GatherKernel final : public OpKernel {
 public:
  explicit GatherKernel(const KernelInfo& info) : axis_(info.GetInt("axis", 0)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& data = ctx.Input(0);
    const Tensor& indices = ctx.Input(1);
    const int64_t rank = static_cast<int64_t>(data.rank());
    const int64_t axis = GatherAxis(axis_, rank, ctx);
    std::vector<int64_t> idx = ReadIndices(indices, ctx, "indices");
    const int64_t dim = data.dim(axis);
    for (int64_t& i : idx) i = CheckedIndex(i, dim, ctx, "Gather");
    Tensor& y = ctx.Output(0, data.dtype(), GatherOutputShape(data.shape(), indices.shape(), axis));
    if (y.size() == 0) return;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= data.dim(i);
    for (int64_t i = axis + 1; i < rank; ++i) inner *= data.dim(i);
    const int64_t n = static_cast<int64_t>(idx.size());
    std::vector<int64_t> offsets(static_cast<size_t>(outer * n));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < n; ++j) offsets[o * n + j] = (o * dim + idx[j]) * inner;
    CopyBlocks(data.dtype(), y.raw_data(), data.raw_data(), offsets, inner, ctx.thread_pool());
  }

 private:
  int64_t axis_;
};

class GatherElementsKernel final : public OpKernel {
 public:
  explicit GatherElementsKernel(const KernelInfo& info) : axis_(info.GetInt("axis", 0)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& data = ctx.Input(0);
    const Tensor& indices = ctx.Input(1);
    const int64_t rank = static_cast<int64_t>(data.rank());
    const int64_t axis = GatherAxis(axis_, rank, ctx);
    std::vector<int64_t> offsets = AxisIndexOffsets(data, indices, axis, ctx, "GatherElements");
    Tensor& y = ctx.Output(0, data.dtype(), indices.shape());
    if (y.size() == 0) return;
    CopyBlocks(data.dtype(), y.raw_data(), data.raw_data(), offsets, 1, ctx.thread_pool());
  }

 private:
  int64_t axis_;
};

class GatherNDKernel final : public OpKernel {
 public:
  explicit GatherNDKernel(const KernelInfo& info) : batch_dims_(info.GetInt("batch_dims", 0)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& data = ctx.Input(0);
    const Tensor& indices = ctx.Input(1);
    const int64_t r = static_cast<int64_t>(data.rank()), q = static_cast<int64_t>(indices.rank()), b = batch_dims_;
    if (r < 1 || q < 1) throw ctx.MakeError(ErrorCode::InvalidArgument, "data and indices should have rank >= 1");
    if (b < 0 || b >= std::min(r, q))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "batch_dims " + std::to_string(b) + " should be in [0, min(rank(data), rank(indices)))");
    for (int64_t i = 0; i < b; ++i)
      if (data.dim(i) != indices.dim(i))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "batch dimension " + std::to_string(i) + " differs between data " +
                                                            ShapeToString(data.shape()) + " and indices " + ShapeToString(indices.shape()));
    const int64_t k = indices.dim(q - 1);
    if (k > r - b)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "the last dimension of indices (" + std::to_string(k) +
                                                          ") exceeds rank(data) - batch_dims = " + std::to_string(r - b));
    std::vector<int64_t> out_shape(indices.shape().begin(), indices.shape().end() - 1);
    out_shape.insert(out_shape.end(), data.shape().begin() + b + k, data.shape().end());
    Tensor& y = ctx.Output(0, data.dtype(), out_shape);
    if (y.size() == 0) return;
    int64_t block = 1;
    for (int64_t i = b + k; i < r; ++i) block *= data.dim(i);
    std::vector<int64_t> offsets = IndexTupleOffsets(data, indices, b, ctx, "GatherND");
    CopyBlocks(data.dtype(), y.raw_data(), data.raw_data(), offsets, block, ctx.thread_pool());
  }

 private:
  int64_t batch_dims_;
};

}  // namespace

void RegisterGatherKernels(KernelRegistry& r) {
  RegisterTensorKernel(r, "Gather", 1, INT64_MAX, AllTensorTypes(), MakeFactory<GatherKernel>());
  RegisterTensorKernel(r, "GatherElements", 11, INT64_MAX, AllTensorTypes(), MakeFactory<GatherElementsKernel>());
  RegisterTensorKernel(r, "GatherND", 11, INT64_MAX, AllTensorTypes(), MakeFactory<GatherNDKernel>());
}

}  // namespace onyx
