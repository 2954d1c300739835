#pragma once
// The activation functions that RNN, GRU and LSTM accept, applied in place to a float span.
// Sigmoid and Tanh go through the vectorised math microkernels; the rest are plain loops.
#include <cstdint>

namespace onyx::mlas {

enum class RnnActivation {
  Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus
};

// x = f(x) for n values; alpha/beta as the ONNX activation defines them (ignored where unused).
void ApplyRnnActivation(RnnActivation f, float alpha, float beta, float* x, int64_t n);

// x = clamp(x, -clip, clip).
void ClipF32(float* x, int64_t n, float clip);

}  // namespace onyx::mlas
