#include "cpu_kernels.h"

namespace onyx {

// Filled in by the rnn family.
void RegisterRnnKernels(KernelRegistry& r) {}

}  // namespace onyx
