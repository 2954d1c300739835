// The Eigen GEMM: the double path, and the former float path kept as a benchmark yardstick.
#include "mlas/gemm.h"

#include <Eigen/Core>
#include <algorithm>

#include "core/thread_pool.h"

namespace onyx::mlas {

namespace {

template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using ConstMap = Eigen::Map<const RowMajor<T>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <typename T>
using Map = Eigen::Map<RowMajor<T>, Eigen::Unaligned, Eigen::OuterStride<>>;

// Computes rows [m0, m1) of C (or columns when splitting N).
template <typename T>
void GemmBlock(bool trans_a, bool trans_b, int64_t m0, int64_t m1, int64_t n0, int64_t n1, int64_t K, T alpha,
               const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  const int64_t M = m1 - m0, N = n1 - n0;
  Map<T> c(C + m0 * ldc + n0, M, N, Eigen::OuterStride<>(ldc));
  if (K == 0) {
    if (beta == T(0)) c.setZero();
    else c *= beta;
    return;
  }
  auto run = [&](const auto& a, const auto& b) {
    if (beta == T(0)) c.noalias() = alpha * (a * b);
    else {
      if (beta != T(1)) c *= beta;
      c.noalias() += alpha * (a * b);
    }
  };
  // A stored M x K (or K x M when transposed); B stored K x N (or N x K).
  if (!trans_a && !trans_b) {
    run(ConstMap<T>(A + m0 * lda, M, K, Eigen::OuterStride<>(lda)), ConstMap<T>(B + n0, K, N, Eigen::OuterStride<>(ldb)));
  } else if (!trans_a && trans_b) {
    run(ConstMap<T>(A + m0 * lda, M, K, Eigen::OuterStride<>(lda)),
        ConstMap<T>(B + n0 * ldb, N, K, Eigen::OuterStride<>(ldb)).transpose());
  } else if (trans_a && !trans_b) {
    run(ConstMap<T>(A + m0, K, M, Eigen::OuterStride<>(lda)).transpose(),
        ConstMap<T>(B + n0, K, N, Eigen::OuterStride<>(ldb)));
  } else {
    run(ConstMap<T>(A + m0, K, M, Eigen::OuterStride<>(lda)).transpose(),
        ConstMap<T>(B + n0 * ldb, N, K, Eigen::OuterStride<>(ldb)).transpose());
  }
}

template <typename T>
void Gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc, ThreadPool* pool) {
  if (M <= 0 || N <= 0) return;
  const double flops = 2.0 * static_cast<double>(M) * N * std::max<int64_t>(K, 1);
  const int threads = pool ? pool->num_threads() : 1;
  if (threads <= 1 || flops < 2e5) {
    GemmBlock<T>(trans_a, trans_b, 0, M, 0, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // Split the larger of M and N across threads in blocks of 16 rows/cols.
  const bool split_m = M >= N;
  const int64_t extent = split_m ? M : N;
  const int64_t blocks = (extent + 15) / 16;
  const double cost = flops / static_cast<double>(blocks);
  pool->ParallelFor(blocks, cost, [&](int64_t b0, int64_t b1) {
    int64_t s = b0 * 16, e = std::min(extent, b1 * 16);
    if (split_m) GemmBlock<T>(trans_a, trans_b, s, e, 0, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else GemmBlock<T>(trans_a, trans_b, 0, M, s, e, K, alpha, A, lda, B, ldb, beta, C, ldc);
  });
}

}  // namespace

void SgemmEigen(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                const float* B, int64_t ldb, float beta, float* C, int64_t ldc, ThreadPool* pool) {
  Gemm<float>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, pool);
}

void Dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
           const double* B, int64_t ldb, double beta, double* C, int64_t ldc, ThreadPool* pool,
           const Epilogue<double>* epilogue) {
  Gemm<double>(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, pool);
  if (epilogue && M > 0 && N > 0) ApplyEpilogue(*epilogue, C, ldc, M, N);
}

}  // namespace onyx::mlas
