#include "cpu_kernels.h"

namespace onyx {

void RegisterLossKernels(KernelRegistry& r);       // losses.cc
void RegisterOptimizerKernels(KernelRegistry& r);  // optimizers.cc

void RegisterTrainingKernels(KernelRegistry& r) {
  RegisterLossKernels(r);
  RegisterOptimizerKernels(r);
}

}  // namespace onyx
