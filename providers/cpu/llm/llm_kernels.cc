#include "cpu_kernels.h"

namespace onyx {

// Filled in by the llm family.
void RegisterLlmKernels(KernelRegistry& r) {}

}  // namespace onyx
