#pragma once
// AVX2 + FMA versions of rnn_lstm.h, in their own translation unit compiled with those flags
// (rnn_lstm_avx2.cc); rnn_lstm.cc enters them only after the run-time CPU check.
#include <cstdint>

#include "mlas/rnn_lstm.h"

namespace onyx::mlas {

#if defined(__x86_64__) || defined(_M_X64)
#define ONYX_MLAS_X86_RNN 1
void RnnGemvAvx2(const float* r, int64_t ldr, int64_t rows, int64_t k, const float* h, const float* init, float* out);
void LstmCellAvx2(const LstmCellArgs& a, int64_t n);
#endif

}  // namespace onyx::mlas
