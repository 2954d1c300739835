#include "cpu_kernels.h"

namespace onyx {

// Filled in by the training family.
void RegisterTrainingKernels(KernelRegistry& r) {}

}  // namespace onyx
