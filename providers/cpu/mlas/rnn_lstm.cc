#include "mlas/rnn_lstm.h"

#include <algorithm>

#include "mlas/cpu_features.h"
#include "mlas/rnn_activations.h"
#include "mlas/rnn_lstm_kernels.h"

namespace onyx::mlas {

void RnnGemvScalar(const float* r, int64_t ldr, int64_t rows, int64_t k, const float* h, const float* init,
                   float* out) {
  for (int64_t i = 0; i < rows; ++i) {
    const float* ri = r + i * ldr;
    float s = 0.f;
    for (int64_t p = 0; p < k; ++p) s += ri[p] * h[p];
    out[i] = init[i] + s;
  }
}

void LstmCellScalar(const LstmCellArgs& a, int64_t n) {
  auto clip = [&](float* x) {
    if (a.clip > 0.f) ClipF32(x, n, a.clip);
  };
  if (a.p_i) {
    for (int64_t j = 0; j < n; ++j) {
      a.gi[j] += a.p_i[j] * a.c[j];
      a.gf[j] += a.p_f[j] * a.c[j];
    }
  }
  clip(a.gi);
  clip(a.gf);
  clip(a.gc);
  ApplyRnnActivation(RnnActivation::Sigmoid, 0.f, 0.f, a.gi, n);
  ApplyRnnActivation(RnnActivation::Sigmoid, 0.f, 0.f, a.gf, n);
  ApplyRnnActivation(RnnActivation::Tanh, 0.f, 0.f, a.gc, n);
  for (int64_t j = 0; j < n; ++j) a.c[j] = a.gf[j] * a.c[j] + a.gi[j] * a.gc[j];
  if (a.p_o)
    for (int64_t j = 0; j < n; ++j) a.go[j] += a.p_o[j] * a.c[j];
  clip(a.go);
  ApplyRnnActivation(RnnActivation::Sigmoid, 0.f, 0.f, a.go, n);
  // gc is free again: it holds tanh(c).
  std::copy(a.c, a.c + n, a.gc);
  ApplyRnnActivation(RnnActivation::Tanh, 0.f, 0.f, a.gc, n);
  for (int64_t j = 0; j < n; ++j) a.h_out[j] = a.go[j] * a.gc[j];
  if (a.y_out) std::copy(a.h_out, a.h_out + n, a.y_out);
}

void RnnGemv(const float* r, int64_t ldr, int64_t rows, int64_t k, const float* h, const float* init, float* out) {
#if ONYX_MLAS_X86_RNN
  if (ActiveIsa() >= Isa::Avx2) return RnnGemvAvx2(r, ldr, rows, k, h, init, out);
#endif
  RnnGemvScalar(r, ldr, rows, k, h, init, out);
}

void LstmCell(const LstmCellArgs& a, int64_t n) {
#if ONYX_MLAS_X86_RNN
  if (ActiveIsa() >= Isa::Avx2) return LstmCellAvx2(a, n);
#endif
  LstmCellScalar(a, n);
}

}  // namespace onyx::mlas
