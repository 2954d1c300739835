#include "mlas/rnn_activations.h"

#include <algorithm>
#include <cmath>

#include "mlas/math_activations.h"

namespace onyx::mlas {

void ApplyRnnActivation(RnnActivation f, float alpha, float beta, float* x, int64_t n) {
  switch (f) {
    case RnnActivation::Tanh: TanhF32(x, x, n); return;
    case RnnActivation::Sigmoid: SigmoidF32(x, x, n); return;
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
      TanhF32(x, x, n);
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
