#pragma once
// The epilogue of a fused GEMM or convolution: bias, residual and activation applied to a block of
// output right after its product is complete, while the block is still in cache, instead of in
// separate passes over the whole output. Pure math on raw buffers; the kernels turn ONNX
// attributes into an Activation (providers/cpu/fused_activation_attrs.h).
#include <cstdint>

namespace onyx::mlas {

enum class ActivationKind : uint8_t { Identity, Relu, LeakyRelu, Tanh, Sigmoid, Clip, HardSigmoid };

// act(v) for each kind, with NaN passing through as in the standalone ops:
//   Relu        v < 0 ? 0 : v
//   LeakyRelu   v < 0 ? alpha * v : v
//   Tanh        tanh(v)
//   Sigmoid     1 / (1 + exp(-v))
//   Clip        min(max(v, alpha), beta), as v < alpha ? alpha : v, then > beta ? beta
//   HardSigmoid clamp(alpha * v + beta, 0, 1)
struct Activation {
  ActivationKind kind = ActivationKind::Identity;
  float alpha = 0.f;
  float beta = 0.f;
};

// For an m x n block of C (row stride ldc) whose product is complete:
//   C(i, j) = act(C(i, j) + addend(i, j) + row_bias[i])
// addend (optional) is laid out as C (same row stride); row_bias is optional.
template <typename T>
struct Epilogue {
  const T* row_bias = nullptr;
  const T* addend = nullptr;
  Activation activation;

  bool empty() const { return !row_bias && !addend && activation.kind == ActivationKind::Identity; }
  // The epilogue of the sub-block that starts at C(i0, j0).
  Epilogue At(int64_t i0, int64_t j0, int64_t ldc) const {
    Epilogue e = *this;
    if (e.row_bias) e.row_bias += i0;
    if (e.addend) e.addend += i0 * ldc + j0;
    return e;
  }
};
using GemmEpilogue = Epilogue<float>;

// y[i] = act(y[i]) for i < n, in place. Sigmoid and Tanh use the same float microkernels as the
// standalone ops (math_activations.h), so a fused node matches the unfused pair.
void ApplyActivation(const Activation& a, float* y, int64_t n);
void ApplyActivation(const Activation& a, double* y, int64_t n);

void ApplyEpilogue(const Epilogue<float>& e, float* C, int64_t ldc, int64_t m, int64_t n);
void ApplyEpilogue(const Epilogue<double>& e, double* C, int64_t ldc, int64_t m, int64_t n);

}  // namespace onyx::mlas
