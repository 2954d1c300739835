#pragma once
// Run-time choice of the instruction set for the nn microkernels. The binary is built for
// baseline x86-64; AVX2+FMA variants are compiled with target attributes and chosen here.

#if defined(__x86_64__) || defined(_M_X64)
#define ONYX_NN_X86 1
#define ONYX_NN_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define ONYX_NN_X86 0
#define ONYX_NN_TARGET_AVX2
#endif

#if defined(__GNUC__)
#define ONYX_NN_INLINE inline __attribute__((always_inline))
#else
#define ONYX_NN_INLINE inline
#endif

namespace onyx::mlas {

// True when the AVX2+FMA variants may run: the CPU has both, the environment variable
// ONYX_NN_ISA is not "baseline", and no test forced the baseline.
bool NnUseAvx2();
// Tests use this to run the baseline kernels on an AVX2 machine.
void NnForceBaselineIsa(bool force);

}  // namespace onyx::mlas
