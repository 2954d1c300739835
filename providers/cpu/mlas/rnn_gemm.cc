#include "mlas/rnn_gemm.h"

#include <algorithm>

#include "core/thread_pool.h"

namespace onyx::mlas {

namespace {

constexpr int64_t kPanel = 256;  // columns of C per panel: up to 16 x 1 KB stays in L1
constexpr int64_t kRows = 16;    // rows of C per task

// Four rows of B and two rows of C per pass: each load of B feeds two multiply-adds and each
// load/store of C carries four, which keeps the loop on the FMA units rather than on loads.
// MulAdd is a*b+c, fused where the clone's ISA has FMA.
#define ONYX_PANEL_BODY(MulAdd)                                                                      \
  const int64_t w = n1 - n0;                                                                        \
  int64_t k = 0;                                                                                    \
  for (; k + 4 <= K; k += 4) {                                                                      \
    const float* __restrict b0 = B + k * ldb + n0;                                                  \
    const float* __restrict b1 = b0 + ldb;                                                          \
    const float* __restrict b2 = b1 + ldb;                                                          \
    const float* __restrict b3 = b2 + ldb;                                                          \
    int64_t m = 0;                                                                                  \
    for (; m + 2 <= M; m += 2) {                                                                    \
      const float* a = A + m * lda + k;                                                             \
      const float* e = a + lda;                                                                     \
      const float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];                                       \
      const float e0 = e[0], e1 = e[1], e2 = e[2], e3 = e[3];                                       \
      float* __restrict c = C + m * ldc + n0;                                                       \
      float* __restrict d = c + ldc;                                                                \
      for (int64_t n = 0; n < w; ++n) {                                                             \
        const float v0 = b0[n], v1 = b1[n], v2 = b2[n], v3 = b3[n];                                 \
        c[n] = MulAdd(a3, v3, MulAdd(a2, v2, MulAdd(a1, v1, MulAdd(a0, v0, c[n]))));                \
        d[n] = MulAdd(e3, v3, MulAdd(e2, v2, MulAdd(e1, v1, MulAdd(e0, v0, d[n]))));                \
      }                                                                                             \
    }                                                                                               \
    for (; m < M; ++m) {                                                                            \
      const float* a = A + m * lda + k;                                                             \
      const float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];                                       \
      float* __restrict c = C + m * ldc + n0;                                                       \
      for (int64_t n = 0; n < w; ++n)                                                               \
        c[n] = MulAdd(a3, b3[n], MulAdd(a2, b2[n], MulAdd(a1, b1[n], MulAdd(a0, b0[n], c[n]))));    \
    }                                                                                               \
  }                                                                                                 \
  for (; k < K; ++k) {                                                                              \
    const float* __restrict b = B + k * ldb + n0;                                                   \
    for (int64_t m = 0; m < M; ++m) {                                                               \
      const float a = A[m * lda + k];                                                               \
      float* __restrict c = C + m * ldc + n0;                                                       \
      for (int64_t n = 0; n < w; ++n) c[n] = MulAdd(a, b[n], c[n]);                                 \
    }                                                                                               \
  }

#define ONYX_PANEL_ARGS                                                                                   \
  int64_t M, int64_t n0, int64_t n1, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, \
      float *C, int64_t ldc

inline float PlainMulAdd(float a, float b, float c) { return a * b + c; }
void PanelKernelDefault(ONYX_PANEL_ARGS) { ONYX_PANEL_BODY(PlainMulAdd) }

#if defined(__x86_64__) && defined(__GNUC__)
#define ONYX_HAVE_FMA_PANEL 1
__attribute__((target("avx2,fma"))) void PanelKernelFma(ONYX_PANEL_ARGS) { ONYX_PANEL_BODY(__builtin_fmaf) }
#endif

void PanelKernel(ONYX_PANEL_ARGS) {
#ifdef ONYX_HAVE_FMA_PANEL
  static const bool fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (fma) return PanelKernelFma(M, n0, n1, K, A, lda, B, ldb, C, ldc);
#endif
  PanelKernelDefault(M, n0, n1, K, A, lda, B, ldb, C, ldc);
}

}  // namespace

void RnnGemmAccumulate(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb,
                       float* C, int64_t ldc, ThreadPool* pool) {
  if (M <= 0 || N <= 0 || K <= 0) return;
  const int64_t panels = (N + kPanel - 1) / kPanel, chunks = (M + kRows - 1) / kRows;
  ParallelFor(pool, panels * chunks, 2.0 * static_cast<double>(std::min(M, kRows)) * K * kPanel,
              [&](int64_t t0, int64_t t1) {
                for (int64_t t = t0; t < t1; ++t) {
                  const int64_t p = t % panels, r0 = (t / panels) * kRows, r1 = std::min(M, r0 + kRows);
                  PanelKernel(r1 - r0, p * kPanel, std::min(N, (p + 1) * kPanel), K, A + r0 * lda, lda, B, ldb,
                              C + r0 * ldc, ldc);
                }
              });
}

}  // namespace onyx::mlas
