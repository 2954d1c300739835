#include "mlas/fused_activation.h"

#include <cmath>

#include "mlas/math_activations.h"

// As in math_activations.cc: an AVX2 clone picked at load time, no -march flags.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ONYX_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ONYX_CLONES
#endif
#define ONYX_INLINE static inline __attribute__((always_inline))

// The selects below only vectorise when GCC may ignore floating-point traps (see math_activations.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")
#endif

namespace onyx::mlas {

namespace {

// One row: y = act(y + addend + bias) for the kinds that are plain selects; `add` and `bias` fold
// in the same loop so that the row is read and written once.
template <typename T, ActivationKind kKind, bool kAdd>
ONYX_INLINE void RowSelectT(T* y, const T* add, T bias, int64_t n, T alpha, T beta) {
  for (int64_t j = 0; j < n; ++j) {
    T v = y[j];
    if constexpr (kAdd) v += add[j];
    v += bias;
    if constexpr (kKind == ActivationKind::Relu) {
      v = v < T(0) ? T(0) : v;
    } else if constexpr (kKind == ActivationKind::LeakyRelu) {
      v = v < T(0) ? alpha * v : v;
    } else if constexpr (kKind == ActivationKind::Clip) {
      v = v < alpha ? alpha : v;
      v = v > beta ? beta : v;
    } else if constexpr (kKind == ActivationKind::HardSigmoid) {
      v = alpha * v + beta;
      v = v < T(0) ? T(0) : v;
      v = v > T(1) ? T(1) : v;
    }
    y[j] = v;
  }
}

template <typename T, ActivationKind kKind>
ONYX_INLINE void RowSelect(T* y, const T* add, T bias, int64_t n, T alpha, T beta) {
  if (add) RowSelectT<T, kKind, true>(y, add, bias, n, alpha, beta);
  else RowSelectT<T, kKind, false>(y, add, bias, n, alpha, beta);
}

template <typename T>
ONYX_INLINE void Row(const Activation& a, T* y, const T* add, T bias, int64_t n) {
  const T alpha = static_cast<T>(a.alpha), beta = static_cast<T>(a.beta);
  switch (a.kind) {
    case ActivationKind::Relu: return RowSelect<T, ActivationKind::Relu>(y, add, bias, n, alpha, beta);
    case ActivationKind::LeakyRelu: return RowSelect<T, ActivationKind::LeakyRelu>(y, add, bias, n, alpha, beta);
    case ActivationKind::Clip: return RowSelect<T, ActivationKind::Clip>(y, add, bias, n, alpha, beta);
    case ActivationKind::HardSigmoid: return RowSelect<T, ActivationKind::HardSigmoid>(y, add, bias, n, alpha, beta);
    case ActivationKind::Identity:
    case ActivationKind::Tanh:
    case ActivationKind::Sigmoid:
      // The transcendental ones run after the additions, through the shared microkernels.
      if (add || bias != T(0)) RowSelect<T, ActivationKind::Identity>(y, add, bias, n, alpha, beta);
      return;
  }
}

// Double has no vector transcendental kernels: the standalone ops' scalar formulas.
double SigmoidScalar(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

}  // namespace

ONYX_CLONES void ApplyActivation(const Activation& a, float* y, int64_t n) {
  switch (a.kind) {
    case ActivationKind::Identity: return;
    case ActivationKind::Tanh: return TanhF32(y, y, n);
    case ActivationKind::Sigmoid: return SigmoidF32(y, y, n);
    default: return Row<float>(a, y, nullptr, 0.f, n);
  }
}

void ApplyActivation(const Activation& a, double* y, int64_t n) {
  switch (a.kind) {
    case ActivationKind::Identity: return;
    case ActivationKind::Tanh:
      for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(y[i]);
      return;
    case ActivationKind::Sigmoid:
      for (int64_t i = 0; i < n; ++i) y[i] = SigmoidScalar(y[i]);
      return;
    default: return Row<double>(a, y, nullptr, 0.0, n);
  }
}

ONYX_CLONES void ApplyEpilogue(const Epilogue<float>& e, float* C, int64_t ldc, int64_t m, int64_t n) {
  if (e.empty() || m <= 0 || n <= 0) return;
  const bool transcendental = e.activation.kind == ActivationKind::Tanh || e.activation.kind == ActivationKind::Sigmoid;
  for (int64_t i = 0; i < m; ++i) {
    float* y = C + i * ldc;
    Row<float>(e.activation, y, e.addend ? e.addend + i * ldc : nullptr, e.row_bias ? e.row_bias[i] : 0.f, n);
    if (transcendental) ApplyActivation(e.activation, y, n);
  }
}

void ApplyEpilogue(const Epilogue<double>& e, double* C, int64_t ldc, int64_t m, int64_t n) {
  if (e.empty() || m <= 0 || n <= 0) return;
  const bool transcendental = e.activation.kind == ActivationKind::Tanh || e.activation.kind == ActivationKind::Sigmoid;
  for (int64_t i = 0; i < m; ++i) {
    double* y = C + i * ldc;
    Row<double>(e.activation, y, e.addend ? e.addend + i * ldc : nullptr, e.row_bias ? e.row_bias[i] : 0.0, n);
    if (transcendental) ApplyActivation(e.activation, y, n);
  }
}

}  // namespace onyx::mlas
