#pragma once
#include <cstdint>

namespace onyx {
class ThreadPool;
namespace mlas {

// C = alpha * op(A) * op(B) + beta * C on row-major float matrices; op(A) is M x K, op(B) is
// K x N. lda/ldb/ldc are row strides of the stored matrices. When beta == 0, C is not read.
// Splits the work over the pool when it is large enough.
void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, ThreadPool* pool);

// Same for double.
void Dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
           const double* B, int64_t ldb, double beta, double* C, int64_t ldc, ThreadPool* pool);

}  // namespace mlas
}  // namespace onyx
