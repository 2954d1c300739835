#include "cpu_kernels.h"

namespace onyx {

void RegisterControlFlowKernels(KernelRegistry& r) {}

}  // namespace onyx
