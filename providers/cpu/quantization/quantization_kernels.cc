#include "cpu_kernels.h"

namespace onyx {

// Filled in by the quantization family.
void RegisterQuantizationKernels(KernelRegistry& r) {}

}  // namespace onyx
