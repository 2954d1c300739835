#include "cuda_common.h"
#include "cuda_reduction.h"

namespace onyx::cuda {

void RegisterCudaReductionKernels(KernelRegistry& r) { RegisterCudaReduceKernels(r); }

}  // namespace onyx::cuda
