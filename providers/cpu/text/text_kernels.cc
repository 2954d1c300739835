#include "cpu_kernels.h"

namespace onyx {

// Filled in by the text family.
void RegisterTextKernels(KernelRegistry& r) {}

}  // namespace onyx
