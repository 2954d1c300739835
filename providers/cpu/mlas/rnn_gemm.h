#pragma once
// The per-step recurrent product of RNN/GRU/LSTM: a few hidden-state rows times a wide,
// pre-transposed weight matrix, accumulated into the gate pre-activations.
#include <cstdint>

namespace onyx {
class ThreadPool;
namespace mlas {

// C[M, N] += A[M, K] * B[K, N]; all row-major with row strides lda, ldb, ldc. Made for the
// shapes of recurrent layers (small M, wide N, B reused across calls): tasks of 16 rows x 256
// columns of C stay in L1 while B streams through; tasks are spread over the pool. FMA is used
// where the CPU has it (checked at run time).
void RnnGemmAccumulate(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
                       float* C, int64_t ldc, ThreadPool* pool);

}  // namespace mlas
}  // namespace onyx
