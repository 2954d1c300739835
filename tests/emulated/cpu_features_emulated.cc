// CPU features that also report AVX-512F, for the emulated-kernel test binary only.
#define ONYX_MLAS_EMULATE_AVX512 1
#include "mlas/cpu_features.cc"
