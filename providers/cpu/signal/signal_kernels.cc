#include "signal/signal_kernels.h"

namespace onyx {

void RegisterSignalKernels(KernelRegistry& r) {
  RegisterDftKernels(r);
  RegisterWindowKernels(r);
}

}  // namespace onyx
