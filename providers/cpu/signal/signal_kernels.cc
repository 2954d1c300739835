#include "cpu_kernels.h"

namespace onyx {

// Filled in by the signal family.
void RegisterSignalKernels(KernelRegistry& r) {}

}  // namespace onyx
