#include "cpu_kernels.h"
#include "text/text_common.h"

namespace onyx {

void RegisterTextKernels(KernelRegistry& r) {
  text::RegisterStringKernels(r);
  text::RegisterRegexKernels(r);
  text::RegisterTfIdfKernels(r);
  text::RegisterLabelEncoderKernels(r);
}

}  // namespace onyx
