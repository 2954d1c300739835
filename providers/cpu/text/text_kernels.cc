#include "cpu_kernels.h"
#include "ml/ml_common.h"
#include "text/text_common.h"

namespace onyx {

void RegisterTextKernels(KernelRegistry& r) {
  text::RegisterStringKernels(r);
  text::RegisterRegexKernels(r);
  text::RegisterTfIdfKernels(r);
  text::RegisterLabelEncoderKernels(r);
  // The ai.onnx.ml family (providers/cpu/ml/) registers here rather than in cpu_kernels.h, which
  // some thirty kernel files include; move it there the next time that header changes.
  ml::RegisterMlKernels(r);
}

}  // namespace onyx
