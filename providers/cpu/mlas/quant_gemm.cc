#include "mlas/quant_gemm.h"

#include <algorithm>

#include "core/thread_pool.h"

namespace onyx::mlas {

namespace {

// Row panel of C: the k loop outermost per row keeps a row of B streaming through the inner
// loop, which the compiler vectorises as widening multiply-adds. Accumulation uses uint32 so
// that overflow wraps (defined) instead of being undefined behaviour.
void RowsKernel(int64_t m0, int64_t m1, int64_t N, int64_t K, const int16_t* A, int64_t lda, const int16_t* B,
                int64_t ldb, int32_t* C, int64_t ldc) {
  constexpr int64_t kBlockK = 256;
  for (int64_t m = m0; m < m1; ++m) {
    uint32_t* c = reinterpret_cast<uint32_t*>(C + m * ldc);
    std::fill(c, c + N, 0u);
  }
  for (int64_t k0 = 0; k0 < K; k0 += kBlockK) {
    const int64_t k1 = std::min(K, k0 + kBlockK);
    for (int64_t m = m0; m < m1; ++m) {
      uint32_t* c = reinterpret_cast<uint32_t*>(C + m * ldc);
      const int16_t* a = A + m * lda;
      for (int64_t k = k0; k < k1; ++k) {
        const int32_t av = a[k];
        if (av == 0) continue;
        const int16_t* b = B + k * ldb;
        for (int64_t n = 0; n < N; ++n) c[n] += static_cast<uint32_t>(av * static_cast<int32_t>(b[n]));
      }
    }
  }
}

}  // namespace

void QGemmS16S16S32(int64_t M, int64_t N, int64_t K, const int16_t* A, int64_t lda, const int16_t* B, int64_t ldb,
                    int32_t* C, int64_t ldc, ThreadPool* pool) {
  if (M <= 0 || N <= 0) return;
  ParallelFor(pool, M, static_cast<double>(N) * static_cast<double>(K) * 2, [&](int64_t m0, int64_t m1) {
    RowsKernel(m0, m1, N, K, A, lda, B, ldb, C, ldc);
  });
}

}  // namespace onyx::mlas
