#pragma once
// Integer matrix product for the quantized ops: operands already shifted by their zero points
// into int16 (exact for 8-bit inputs), accumulated in int32 (wrapping as ONNX allows).
#include <cstdint>

namespace onyx {
class ThreadPool;
namespace mlas {

// C[m, n] = sum_k A[m, k] * B[k, n]; row-major with row strides lda, ldb, ldc. C is overwritten.
// Rows of C are spread over the pool.
void QGemmS16S16S32(int64_t M, int64_t N, int64_t K, const int16_t* A, int64_t lda, const int16_t* B, int64_t ldb,
                    int32_t* C, int64_t ldc, ThreadPool* pool);

}  // namespace mlas
}  // namespace onyx
