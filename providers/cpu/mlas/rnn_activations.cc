#include "mlas/rnn_activations.h"

#include <algorithm>
#include <cmath>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ONYX_RNN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ONYX_RNN_CLONES
#endif

// Floating-point exceptions are never inspected; without this GCC will not if-convert the
// selects below and the loops stay scalar.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif

namespace onyx::mlas {

namespace {

// exp(x) for x <= 0 (Cephes-style: x = m ln2 + r, degree-6 polynomial for exp(r), 2^m built in
// the exponent bits). Written with selects and __builtin_bit_cast only, so the loops that use it
// vectorise; results below 2^-126 flush to 0, which is below anything a gate can resolve.
static inline __attribute__((always_inline)) float ExpNonPositive(float x) {
  // Written so that NaN also becomes -87: converting NaN to int below would be undefined. The
  // callers return NaN inputs unchanged.
  x = x >= -87.f ? x : -87.f;
  const float kRound = 12582912.f;
  const float m = (x * 1.44269504088896341f + kRound) - kRound;
  float r = x - m * 0.693359375f;
  r = r - m * -2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  const float y = p * r * r + r + 1.f;
  const int32_t e = static_cast<int32_t>(m) + 127;
  return y * __builtin_bit_cast(float, static_cast<uint32_t>(e) << 23);
}

// sigmoid(x) = 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, both from e^-|x|.
ONYX_RNN_CLONES void Sigmoid(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float a = v < 0.f ? v : -v;
    const float t = ExpNonPositive(a);
    const float s = 1.f / (1.f + t);
    const float y = v < 0.f ? t * s : s;
    x[i] = v == v ? y : v;
  }
}

// tanh(x) = sign(x) (1 - e^-2|x|) / (1 + e^-2|x|), with the odd Taylor series near 0 where the
// subtraction would cancel.
ONYX_RNN_CLONES void Tanh(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float a = v < 0.f ? -v : v;
    const float t = ExpNonPositive(-2.f * a);
    float y = (1.f - t) / (1.f + t);
    const float v2 = v * v;
    const float small = v * (1.f + v2 * (-0.333333333f + v2 * (0.133333333f + v2 * -0.0539682540f)));
    y = v < 0.f ? -y : y;
    y = a < 0.0625f ? small : y;
    x[i] = v == v ? y : v;
  }
}

}  // namespace

void ApplyRnnActivation(RnnActivation f, float alpha, float beta, float* x, int64_t n) {
  switch (f) {
    case RnnActivation::Tanh: Tanh(x, n); return;
    case RnnActivation::Sigmoid: Sigmoid(x, n); return;
    case RnnActivation::Relu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0.f ? x[i] : 0.f;
      return;
    case RnnActivation::Affine:
      for (int64_t i = 0; i < n; ++i) x[i] = alpha * x[i] + beta;
      return;
    case RnnActivation::LeakyRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= 0.f ? x[i] : alpha * x[i];
      return;
    case RnnActivation::ThresholdedRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > alpha ? x[i] : 0.f;
      return;
    case RnnActivation::ScaledTanh:
      for (int64_t i = 0; i < n; ++i) x[i] = beta * x[i];
      Tanh(x, n);
      for (int64_t i = 0; i < n; ++i) x[i] = alpha * x[i];
      return;
    case RnnActivation::HardSigmoid:
      for (int64_t i = 0; i < n; ++i) x[i] = std::min(1.f, std::max(0.f, alpha * x[i] + beta));
      return;
    case RnnActivation::Elu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= 0.f ? x[i] : alpha * std::expm1(x[i]);
      return;
    case RnnActivation::Softsign:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (1.f + std::fabs(x[i]));
      return;
    case RnnActivation::Softplus:
      // log(1 + e^x) without overflow for large x.
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0.f ? x[i] + std::log1p(std::exp(-x[i])) : std::log1p(std::exp(x[i]));
      return;
  }
}

void ClipF32(float* x, int64_t n, float clip) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::min(clip, std::max(-clip, x[i]));
}

}  // namespace onyx::mlas
