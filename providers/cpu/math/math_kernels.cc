#include "math/math_kernels.h"

namespace onyx {

void RegisterMathKernels(KernelRegistry& r) {
  math::RegisterBinaryKernels(r);
  math::RegisterCompareKernels(r);
  math::RegisterVariadicKernels(r);
  math::RegisterUnaryKernels(r);
  math::RegisterActivationKernels(r);
  math::RegisterCastKernels(r);
  math::RegisterMatMulKernels(r);
  math::RegisterSoftmaxKernels(r);
  math::RegisterEinsumKernels(r);
  math::RegisterBitCastKernels(r);
}

}  // namespace onyx
