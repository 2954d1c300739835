// Concat and Split: each input (output) is one strided block copy along the axis.
#include <algorithm>

#include "cuda_tensor.h"
#include "tensor/tensor_helpers.h"
#include "tensor/tensor_shapes.h"

namespace onyx::cuda {
namespace {

class ConcatKernel final : public CudaKernel {
 public:
  explicit ConcatKernel(const KernelInfo& info)
      : CudaKernel(info), axis_(info.opset() < 4 ? info.GetInt("axis", 1) : info.RequireInt("axis")) {}

  void Compute(KernelContext& ctx) const override {
    std::vector<const Tensor*> inputs;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(&ctx.Input(i));
    const auto [axis, out_shape] = ResolveConcat(inputs, axis_, ctx);
    const Tensor& first = *inputs[0];
    const DataType dt = first.dtype();
    Tensor& y = ctx.Output(0, dt, out_shape);
    if (y.size() == 0) return;
    int64_t outer, inner;
    OuterInner(out_shape, axis, outer, inner);
    const int64_t row = out_shape[axis] * inner;
    int64_t dst_off = 0;
    for (const Tensor* t : inputs) {
      const int64_t chunk = t->dim(axis) * inner;
      if (chunk > 0) Copy2D(stream(), dt, DeviceElementAt(y.raw_data(), dt, dst_off), row, t->raw_data(), chunk, outer, chunk);
      dst_off += chunk;
    }
  }

 private:
  int64_t axis_;
};

class SplitKernel final : public CudaKernel {
 public:
  explicit SplitKernel(const KernelInfo& info) : CudaKernel(info), attrs_(info) {}

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
      if (chunk == 0 || outer == 0) continue;
      Copy2D(stream(), dt, y.raw_data(), chunk, DeviceElementAt(x.raw_data(), dt, begin * inner), dim * inner, outer, chunk);
    }
  }

 private:
  SplitAttributes attrs_;
};

}  // namespace

void RegisterCudaConcatSplitKernels(KernelRegistry& r) {
  const auto& types = DataMovementTypes();
  r.Register(CudaDef<ConcatKernel>("Concat", 1, 3, types));
  r.Register(CudaDef<ConcatKernel>("Concat", 4, 10, types));
  r.Register(CudaDef<ConcatKernel>("Concat", 11, 12, types));
  r.Register(CudaDef<ConcatKernel>("Concat", 13, INT64_MAX, types));
  r.Register(CudaDef<SplitKernel>("Split", 1, 1, types, {1}));
  r.Register(CudaDef<SplitKernel>("Split", 2, 10, types));
  r.Register(CudaDef<SplitKernel>("Split", 11, 12, types));
  r.Register(CudaDef<SplitKernel>("Split", 13, 17, types, {1}));
  r.Register(CudaDef<SplitKernel>("Split", 18, INT64_MAX, types, {1}));
}

}  // namespace onyx::cuda
