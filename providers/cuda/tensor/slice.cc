// Slice: starts/ends/axes/steps (attributes before opset 10, host inputs since) resolved and
// clamped exactly as the CPU kernel does, then one strided copy (negative steps are negative
// strides).
#include <algorithm>
#include <limits>

#include "cuda_tensor.h"
#include "tensor/tensor_helpers.h"
#include "tensor/tensor_shapes.h"

namespace onyx::cuda {
namespace {

class SliceKernel final : public CudaKernel {
 public:
  explicit SliceKernel(const KernelInfo& info) : CudaKernel(info), attrs_(info) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const auto [out_shape, strides, offset] = ResolveSlice(attrs_, x.shape(), ctx);
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0) return;
    StridedCopy(stream(), x.dtype(), out_shape, y.raw_data(), x.raw_data(), offset, strides, x.size());
  }

 private:
  SliceAttributes attrs_;
};

}  // namespace

void RegisterCudaSliceKernels(KernelRegistry& r) {
  const auto& types = DataMovementTypes();
  r.Register(CudaDef<SliceKernel>("Slice", 1, 9, types));
  r.Register(CudaDef<SliceKernel>("Slice", 10, 10, types, {1, 2, 3, 4}));
  r.Register(CudaDef<SliceKernel>("Slice", 11, 12, types, {1, 2, 3, 4}));
  r.Register(CudaDef<SliceKernel>("Slice", 13, INT64_MAX, types, {1, 2, 3, 4}));
}

}  // namespace onyx::cuda
