// Ops that only change the shape: Reshape, Flatten, Squeeze, Unsqueeze (Identity lives in
// math/cast.cc). The output is a view over the input's device storage (Tensor::Reshaped): no
// copy, no kernel launch. Shape and axes inputs are read on the host. The kernels are the CPU
// provider's own (tensor/view_kernels.h).
#include "cuda_tensor.h"
#include "tensor/view_kernels.h"

namespace onyx::cuda {

void RegisterCudaReshapeKernels(KernelRegistry& r) {
  const auto& types = DataMovementTypes();
  r.Register(CudaDef<ReshapeKernel>("Reshape", 1, 4, types));
  r.Register(CudaDef<ReshapeKernel>("Reshape", 5, 12, types, {1}));
  r.Register(CudaDef<ReshapeKernel>("Reshape", 13, 13, types, {1}));
  r.Register(CudaDef<ReshapeKernel>("Reshape", 14, INT64_MAX, types, {1}));
  r.Register(CudaDef<FlattenKernel>("Flatten", 1, INT64_MAX, types));
  r.Register(CudaDef<SqueezeKernel>("Squeeze", 1, 10, types));
  r.Register(CudaDef<SqueezeKernel>("Squeeze", 11, 12, types));
  r.Register(CudaDef<SqueezeKernel>("Squeeze", 13, INT64_MAX, types, {1}));
  r.Register(CudaDef<UnsqueezeKernel>("Unsqueeze", 1, 10, types));
  r.Register(CudaDef<UnsqueezeKernel>("Unsqueeze", 11, 12, types));
  r.Register(CudaDef<UnsqueezeKernel>("Unsqueeze", 13, INT64_MAX, types, {1}));
}

}  // namespace onyx::cuda
