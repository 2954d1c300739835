#pragma once
#include "core/kernel_registry.h"

namespace onyx {

// image/ (ImageDecoder). Called from KernelRegistry::Global() next to RegisterCpuKernels; it
// belongs in cpu_kernels.h's list, which is left as it is for now because 78 objects include it.
void RegisterImageKernels(KernelRegistry& r);

}  // namespace onyx
