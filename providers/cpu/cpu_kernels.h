#pragma once
#include "core/kernel_registry.h"

namespace onyx {

inline constexpr const char* kCpuProvider = "CPUExecutionProvider";

// One registration function per family; each lives in its family folder.
void RegisterMathKernels(KernelRegistry& r);        // math/
void RegisterNnKernels(KernelRegistry& r);          // nn/
void RegisterTensorKernels(KernelRegistry& r);      // tensor/
void RegisterReductionKernels(KernelRegistry& r);   // reduction/
void RegisterControlFlowKernels(KernelRegistry& r); // controlflow/

inline void RegisterCpuKernels(KernelRegistry& r) {
  RegisterMathKernels(r);
  RegisterNnKernels(r);
  RegisterTensorKernels(r);
  RegisterReductionKernels(r);
  RegisterControlFlowKernels(r);
}

}  // namespace onyx
