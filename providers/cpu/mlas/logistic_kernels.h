#pragma once
// Explicit AVX2 + FMA kernels for sigmoid and QuickGelu, in their own translation unit compiled
// with those flags (logistic_avx2.cc); math_activations.cc calls them when the CPU runs them.
// The compiler's auto-vectorised clone of the portable loop (no FMA, every clamp a blend) runs
// these functions at a third of the speed.
#include <cstdint>

namespace onyx::mlas {

#if defined(__x86_64__) || defined(_M_X64)
#define ONYX_MLAS_X86_LOGISTIC 1
// y = sigmoid(alpha * x)
void LogisticAvx2(const float* x, float* y, int64_t n, float alpha);
// y = x * sigmoid(alpha * x)
void QuickGeluAvx2(const float* x, float* y, int64_t n, float alpha);
#endif

}  // namespace onyx::mlas
