#include "cpu_kernels.h"
#include "sequence/sequence_common.h"

namespace onyx {

void RegisterSequenceKernels(KernelRegistry& r) {
  sequence::RegisterBasicSequenceKernels(r);
  sequence::RegisterOptionalKernels(r);
  sequence::RegisterSplitConcatSequenceKernels(r);
  sequence::RegisterSequenceMapKernel(r);
}

}  // namespace onyx
