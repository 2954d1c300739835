#pragma once
#include "cpu_kernels.h"

namespace onyx {

void RegisterNmsKernels(KernelRegistry& r);               // nms.cc: NonMaxSuppression
void RegisterRoiAlignKernels(KernelRegistry& r);          // roi_align.cc: RoiAlign
void RegisterMaxRoiPoolKernels(KernelRegistry& r);        // max_roi_pool.cc: MaxRoiPool
void RegisterGridSampleKernels(KernelRegistry& r);        // grid_sample.cc: GridSample, AffineGrid
void RegisterCol2ImDeformConvKernels(KernelRegistry& r);  // col2im_deform.cc: Col2Im, DeformConv
void RegisterUnpoolCropKernels(KernelRegistry& r);        // unpool_crop.cc: MaxUnpool, CenterCropPad
void RegisterMiscMathKernels(KernelRegistry& r);          // misc_math.cc: LpNormalization, Det, Shrink, Swish

}  // namespace onyx
