#include "cpu_kernels.h"
#include "reduction/reduce_plan.h"

namespace onyx {

void RegisterReductionKernels(KernelRegistry& r) {
  RegisterReduceKernels(r);
  RegisterArgMinMaxKernels(r);
}

}  // namespace onyx
