#include "cpu_kernels.h"
#include "tensor/tensor_helpers.h"

namespace onyx {

// The tensor family: data movement and shape ops, one file per group (see tensor_helpers.h).
void RegisterTensorKernels(KernelRegistry& r) {
  RegisterReshapeKernels(r);
  RegisterTransposeKernels(r);
  RegisterConcatSplitKernels(r);
  RegisterSliceKernels(r);
  RegisterGatherKernels(r);
  RegisterScatterKernels(r);
  RegisterPadTileExpandKernels(r);
  RegisterGeneratorKernels(r);
  RegisterSortKernels(r);
  RegisterCumSumTriluKernels(r);
  RegisterResizeKernels(r);
  RegisterRandomKernels(r);
}

}  // namespace onyx
