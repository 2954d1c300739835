#include "detection/detection_kernels.h"

namespace onyx {

void RegisterObjectDetectionKernels(KernelRegistry& r) {
  RegisterNmsKernels(r);
  RegisterRoiAlignKernels(r);
  RegisterMaxRoiPoolKernels(r);
  RegisterGridSampleKernels(r);
  RegisterCol2ImDeformConvKernels(r);
  RegisterUnpoolCropKernels(r);
  RegisterMiscMathKernels(r);
}

}  // namespace onyx
