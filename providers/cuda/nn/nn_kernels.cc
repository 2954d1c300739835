#include "cudnn_common.h"

namespace onyx::cuda {

void RegisterCudaNnKernels(KernelRegistry& r) {
  RegisterCudaConvKernels(r);
  RegisterCudaPoolKernels(r);
  RegisterCudaBatchNormKernels(r);
}

}  // namespace onyx::cuda
