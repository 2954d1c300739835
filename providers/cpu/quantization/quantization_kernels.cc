#include "cpu_kernels.h"
#include "quantization/quantization_common.h"

namespace onyx {

void RegisterQuantizationKernels(KernelRegistry& r) {
  quant::RegisterQuantizeLinearKernels(r);
  quant::RegisterQLinearKernels(r);
}

}  // namespace onyx
