#pragma once
// Float row kernels for reductions and normalizations: contiguous rows, SIMD with several
// accumulators (which also keeps long sums accurate). n may be 0 except where noted.
#include <cstdint>

namespace onyx::mlas {

float RowSum(const float* x, int64_t n);
float RowSumSquares(const float* x, int64_t n);
float RowSumAbs(const float* x, int64_t n);
// Sum of (x - center)^2.
float RowSumSquaredDiff(const float* x, int64_t n, float center);
// n > 0.
float RowMax(const float* x, int64_t n);
float RowMin(const float* x, int64_t n);
// y = (x - mean) * inv_std * scale + bias; scale and bias may be null (1 and 0). y may be x.
void RowNormalize(const float* x, int64_t n, float mean, float inv_std, const float* scale, const float* bias,
                  float* y);
// y = x * a + b for scalars a and b. y may be x.
void RowAffine(const float* x, int64_t n, float a, float b, float* y);

}  // namespace onyx::mlas
