#include "cuda_common.h"
#include "cuda_math.h"

namespace onyx::cuda {

void RegisterCudaMathKernels(KernelRegistry& r) {
  RegisterCudaBinaryKernels(r);
  RegisterCudaUnaryKernels(r);
  RegisterCudaCastKernels(r);
  RegisterCudaSoftmaxKernels(r);
}

}  // namespace onyx::cuda
