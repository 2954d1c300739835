#include "cpu_kernels.h"

namespace onyx {

// Filled in by the detection family.
void RegisterObjectDetectionKernels(KernelRegistry& r) {}

}  // namespace onyx
