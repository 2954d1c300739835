#pragma once
// The per-step work of a recurrent layer at small batch: the recurrent matrix-vector product
// (one hidden-state row times R, R read as stored, one row per gate pre-activation) and the
// LSTM cell's element-wise update in one pass. Each has a portable version and an AVX2 + FMA one
// (rnn_lstm_avx2.cc), chosen from ActiveIsa() on every call.
#include <cstdint>

namespace onyx::mlas {

// out[i] = init[i] + dot(r[i * ldr : i * ldr + k], h) for i in [0, rows). out may alias init.
void RnnGemv(const float* r, int64_t ldr, int64_t rows, int64_t k, const float* h, const float* init, float* out);

// The LSTM cell with sigmoid gates and tanh cell/hidden activations, for n hidden units.
// On entry gi, go, gf, gc hold the gate pre-activations (input, output, forget, cell); c holds
// the previous cell state. With peepholes (p_i, p_o, p_f, all or none) the gates see the cell
// state, and with clip > 0 every pre-activation is clamped to [-clip, clip] before its
// activation. On return c is the new cell state and h_out (and y_out, when not null) the new
// hidden state. The gate buffers are overwritten.
struct LstmCellArgs {
  float* gi;
  float* go;
  float* gf;
  float* gc;
  float* c;
  float* h_out;
  float* y_out = nullptr;
  const float* p_i = nullptr;
  const float* p_o = nullptr;
  const float* p_f = nullptr;
  float clip = 0.f;
};
void LstmCell(const LstmCellArgs& a, int64_t n);

// The portable versions, for tests that compare the tiers.
void RnnGemvScalar(const float* r, int64_t ldr, int64_t rows, int64_t k, const float* h, const float* init,
                   float* out);
void LstmCellScalar(const LstmCellArgs& a, int64_t n);

}  // namespace onyx::mlas
