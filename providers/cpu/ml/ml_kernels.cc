#include "ml/ml_common.h"

namespace onyx::ml {

void RegisterMlKernels(KernelRegistry& r) {
  RegisterSimpleMlKernels(r);
  RegisterTreeEnsembleKernels(r);
  RegisterTreeEnsembleLegacyKernels(r);
  RegisterLinearKernels(r);
  RegisterPreprocessKernels(r);
  RegisterSvmKernels(r);
}

}  // namespace onyx::ml
