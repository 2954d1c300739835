#pragma once
#include <cstdint>

namespace onyx::mlas {

// In-place softmax of one row of n values. A row whose sum of exponentials is 0 is left as
// zeros rather than NaN; NaN inputs propagate.
void LlmSoftmaxRow(float* row, int64_t n);
void LlmSoftmaxRow(double* row, int64_t n);

// In-place log-softmax of n values read with a stride (one class column of a loss input).
void LlmLogSoftmaxStrided(double* values, int64_t n, int64_t stride);

}  // namespace onyx::mlas
