#include "cpu_kernels.h"
#include "llm/llm_common.h"

namespace onyx {

void RegisterLlmKernels(KernelRegistry& r) {
  RegisterAttentionKernels(r);
  RegisterLlmElementwiseKernels(r);
  RegisterRecurrentLlmKernels(r);
  RegisterFlexAttentionKernels(r);
  RegisterMultiHeadAttentionKernels(r);
}

}  // namespace onyx
