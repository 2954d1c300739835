#pragma once
// Vectorisable float microkernels for transcendental elementwise functions and row reductions.
// Each has a scalar reference in the unit tests (std:: functions). Plain loops written branch
// free so that the compiler vectorises them; an AVX2 clone is chosen at run time where the CPU
// has it. In-place use (x == y) is allowed.
#include <cstdint>

namespace onyx::mlas {

void ExpF32(const float* x, float* y, int64_t n);
void TanhF32(const float* x, float* y, int64_t n);
void ErfF32(const float* x, float* y, int64_t n);
void SigmoidF32(const float* x, float* y, int64_t n);
// x * sigmoid(alpha * x) in one pass (SiLU/Swish at alpha = 1, QuickGelu at 1.702): rounds as
// Mul(x, Sigmoid(Mul(x, alpha))) does with the kernels above, so fusing those nodes changes no bit.
void QuickGeluF32(const float* x, float* y, int64_t n, float alpha);
// 0.5 * x * (1 + erf(x / sqrt(2)))
void GeluErfF32(const float* x, float* y, int64_t n);
// GeluErf(x + bias), bias as long as x (com.microsoft BiasGelu on one row); same bits as the
// addition followed by GeluErfF32.
void BiasGeluErfF32(const float* x, const float* bias, float* y, int64_t n);
// 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
void GeluTanhF32(const float* x, float* y, int64_t n);

void SqrtF32(const float* x, float* y, int64_t n);
void LeakyReluF32(const float* x, float* y, int64_t n, float alpha);

// Largest element (NaNs are skipped unless all are NaN); n >= 1.
float ReduceMaxF32(const float* x, int64_t n);
// y = exp(x - shift); returns the sum of y.
float ExpShiftSumF32(const float* x, float* y, int64_t n, float shift);
// y *= s
void ScaleF32(float* y, int64_t n, float s);
// y = x + s
void AddScalarF32(const float* x, float* y, int64_t n, float s);

}  // namespace onyx::mlas
