#pragma once
// Registration functions of the files of the CUDA reduction family.
#include "core/kernel_registry.h"

namespace onyx::cuda {

void RegisterCudaReduceKernels(KernelRegistry& r);  // reduce.cc: ReduceSum, ReduceMean, ...

}  // namespace onyx::cuda
