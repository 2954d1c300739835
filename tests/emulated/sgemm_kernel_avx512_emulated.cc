// The AVX-512 micro-kernels compiled on emulated intrinsics (no -mavx512f: this object must run
// on any x86-64).
#define ONYX_MLAS_EMULATE_AVX512 1
#include "mlas/sgemm_kernel_avx512.cc"
