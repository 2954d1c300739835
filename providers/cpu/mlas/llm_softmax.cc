#include "mlas/llm_softmax.h"

#include <cmath>
#include <limits>

namespace onyx::mlas {

namespace {

template <typename T>
void SoftmaxRow(T* row, int64_t n) {
  if (n <= 0) return;
  T m = -std::numeric_limits<T>::infinity();
  bool has_nan = false;
  for (int64_t j = 0; j < n; ++j) {
    if (row[j] > m) m = row[j];
    has_nan = has_nan || std::isnan(row[j]);
  }
  if (has_nan) {
    for (int64_t j = 0; j < n; ++j) row[j] = std::numeric_limits<T>::quiet_NaN();
    return;
  }
  if (std::isinf(m) && m < 0) m = 0;  // all -inf: exponentials are 0 and the row stays zero
  T sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    row[j] = std::exp(row[j] - m);
    sum += row[j];
  }
  if (sum == 0) sum = 1;
  const T inv = T(1) / sum;
  for (int64_t j = 0; j < n; ++j) row[j] *= inv;
}

}  // namespace

void LlmSoftmaxRow(float* row, int64_t n) { SoftmaxRow(row, n); }
void LlmSoftmaxRow(double* row, int64_t n) { SoftmaxRow(row, n); }

void LlmLogSoftmaxStrided(double* values, int64_t n, int64_t stride) {
  if (n <= 0) return;
  double m = -std::numeric_limits<double>::infinity();
  for (int64_t j = 0; j < n; ++j) m = std::fmax(m, values[j * stride]);
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += std::exp(values[j * stride] - m);
  const double lse = m + std::log(sum);
  for (int64_t j = 0; j < n; ++j) values[j * stride] -= lse;
}

}  // namespace onyx::mlas
