#include "math/math_kernels.h"

namespace onyx::math {

void RegisterEinsumKernels(KernelRegistry& r) {}

}  // namespace onyx::math
