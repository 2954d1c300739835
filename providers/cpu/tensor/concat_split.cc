// Concat and Split: contiguous block copies along one axis.
#include "core/thread_pool.h"
#include "tensor/tensor_helpers.h"
#include "tensor/tensor_shapes.h"

namespace onyx {
namespace {

class ConcatKernel final : public OpKernel {
 public:
  explicit ConcatKernel(const KernelInfo& info) {
    if (info.opset() < 4) {
      axis_ = info.GetInt("axis", 1);
    } else {
      axis_ = info.RequireInt("axis");
    }
  }

  void Compute(KernelContext& ctx) const override {
    std::vector<const Tensor*> inputs;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(&ctx.Input(i));
    const auto [axis, out_shape] = ResolveConcat(inputs, axis_, ctx);
    const Tensor& first = *inputs[0];
    Tensor& y = ctx.Output(0, first.dtype(), out_shape);
    if (y.size() == 0) return;
    int64_t outer, inner;
    OuterInner(out_shape, axis, outer, inner);
    const DataType dt = first.dtype();
    std::vector<int64_t> chunk(inputs.size()), dst_off(inputs.size());
    int64_t row = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      chunk[i] = inputs[i]->dim(axis) * inner;
      dst_off[i] = row;
      row += chunk[i];
    }
    ParallelFor(ctx.thread_pool(), outer, static_cast<double>(row), [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o)
        for (size_t i = 0; i < inputs.size(); ++i)
          CopyElements(dt, ElementAt(y.raw_data(), dt, o * row + dst_off[i]), ElementAt(inputs[i]->raw_data(), dt, o * chunk[i]),
                       chunk[i]);
    });
  }

 private:
  int64_t axis_;
};

class SplitKernel final : public OpKernel {
 public:
  explicit SplitKernel(const KernelInfo& info) : attrs_(info) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const auto [axis, sizes] = ResolveSplit(attrs_, x, ctx);
    const int64_t dim = x.dim(axis);
    const int64_t n_out = static_cast<int64_t>(sizes.size());
    int64_t outer, inner;
    OuterInner(x.shape(), axis, outer, inner);
    const DataType dt = x.dtype();
    int64_t start = 0;
    for (int64_t i = 0; i < n_out; ++i) {
      const int64_t size = sizes[i], begin = start;
      start += size;
      if (!ctx.has_output(i)) continue;
      std::vector<int64_t> shape = x.shape();
      shape[axis] = size;
      Tensor& y = ctx.Output(i, dt, shape);
      const int64_t chunk = size * inner;
      if (chunk == 0) continue;
      ParallelFor(ctx.thread_pool(), outer, static_cast<double>(chunk), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o)
          CopyElements(dt, ElementAt(y.raw_data(), dt, o * chunk), ElementAt(x.raw_data(), dt, (o * dim + begin) * inner), chunk);
      });
    }
  }

 private:
  SplitAttributes attrs_;
};

}  // namespace

void RegisterConcatSplitKernels(KernelRegistry& r) {
  RegisterTensorKernel(r, "Concat", 1, INT64_MAX, AllTensorTypes(), MakeFactory<ConcatKernel>());
  RegisterTensorKernel(r, "Split", 1, INT64_MAX, AllTensorTypes(), MakeFactory<SplitKernel>());
}

}  // namespace onyx
