#include "cpu_kernels.h"

namespace onyx {

// Filled in by the sequence family.
void RegisterSequenceKernels(KernelRegistry& r) {}

}  // namespace onyx
