#include "cpu_kernels.h"
#include "rnn/rnn_common.h"

namespace onyx {

void RegisterRnnKernels(KernelRegistry& r) { rnn::RegisterRnnOps(r); }

}  // namespace onyx
