#include "cpu_kernels.h"
#include "nn/nn_common.h"

namespace onyx {

// Each op (or small group of ops) lives in its own file and registers from there.
void RegisterNnKernels(KernelRegistry& r) {
  RegisterConvKernels(r);
  RegisterConvTransposeKernels(r);
  RegisterPoolKernels(r);
  RegisterNormalizationKernels(r);
  RegisterLayerNormKernels(r);
  RegisterDropoutKernels(r);
}

}  // namespace onyx
