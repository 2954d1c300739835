#include "cuda_common.h"
#include "cuda_tensor.h"

namespace onyx::cuda {

// The tensor family: data movement and shape ops, one file per group (see cuda_tensor.h).
void RegisterCudaTensorKernels(KernelRegistry& r) {
  RegisterCudaReshapeKernels(r);
  RegisterCudaTransposeKernels(r);
  RegisterCudaGatherKernels(r);
  RegisterCudaConcatSplitKernels(r);
  RegisterCudaSliceKernels(r);
  RegisterCudaPadTileExpandKernels(r);
}

}  // namespace onyx::cuda
