#pragma once
// The single-precision GEMM micro-kernels, one set per ISA tier, each in its own translation unit
// compiled with that tier's flags. They see only packed panels, pointers, strides and sizes, and
// include nothing but intrinsics, so no inline template compiled with AVX flags can be picked by
// the linker for code that runs on older CPUs.
#include <cstdint>

namespace onyx::mlas {

// What a micro-kernel applies to its tile before storing it, on the last depth block of a product
// with an epilogue (mlas/fused_activation.h), while the tile is still in registers:
//   v = alpha * acc + beta * c;  v += addend(i, j);  v += row_bias[i];  v = max(lo, v);  v = min(hi, v)
// in that order (the order of ApplyEpilogue), each step only when present. max/min keep a NaN v
// as Relu and Clip do. Other activations run over the stored tile afterwards (the driver).
struct TileEpilogue {
  const float* row_bias = nullptr;  // at the tile's first row
  const float* addend = nullptr;    // at the tile's first element, row stride ld_addend
  int64_t ld_addend = 0;
  bool clamp_lo = false, clamp_hi = false;
  float lo = 0.f, hi = 0.f;
};

// One MR x NR tile: acc[i][j] = sum_k a[k * MR + i] * b[k * NR + j] over the full tile (packed
// panels are zero-padded), then c[i * ldc + j] = alpha * acc + beta * c for i < m, j < n, then
// the epilogue ep when not null. c is neither read nor written outside that region, and not read
// at all when beta == 0; the addend is read only inside it.
using SgemmMicroKernel = void (*)(const float* a, const float* b, int64_t k, float* c, int64_t ldc, int64_t m,
                                  int64_t n, float alpha, float beta, const TileEpilogue* ep);

// Rows form of a matrix-vector product: y[i * incy] = alpha * dot(x + i * ldx, v, k) + beta * y[i * incy]
// for i < rows (y not read when beta == 0).
using SgemvRowsKernel = void (*)(const float* x, int64_t ldx, const float* v, int64_t k, int64_t rows, float* y,
                                 int64_t incy, float alpha, float beta);

// Columns form: y[j] = alpha * sum_p v[p] * x[p * ldx + j] + beta * y[j] for j < cols, y contiguous
// (not read when beta == 0). Streams x row by row, so reading a row-major K x N matrix once.
using SgemvColsKernel = void (*)(const float* x, int64_t ldx, const float* v, int64_t k, int64_t cols, float* y,
                                 float alpha, float beta);

// One kc x NR panel of a pre-packed B (row p at panel + p * NR) times v, for a single row of A:
// y[j] = alpha * sum_p v[p] * panel[p * NR + j] + beta * y[j] for j < n (n <= NR); y not read when
// beta == 0. Accumulates in several independent chains over p, so a 16- or 32-wide panel is not
// bound by the FMA latency.
using SgemvPanelKernel = void (*)(const float* panel, const float* v, int64_t k, float* y, int64_t n, float alpha,
                                  float beta);

// Tile shapes; the driver packs panels for these.
inline constexpr int kScalarMr = 4, kScalarNr = 8;
inline constexpr int kAvx2Mr = 6, kAvx2Nr = 16;
inline constexpr int kAvx512Mr = 12, kAvx512Nr = 32;

void SgemmKernelScalar(const float* a, const float* b, int64_t k, float* c, int64_t ldc, int64_t m, int64_t n,
                       float alpha, float beta, const TileEpilogue* ep);
void SgemvRowsScalar(const float* x, int64_t ldx, const float* v, int64_t k, int64_t rows, float* y, int64_t incy,
                     float alpha, float beta);
void SgemvColsScalar(const float* x, int64_t ldx, const float* v, int64_t k, int64_t cols, float* y, float alpha,
                     float beta);
void SgemvPanelScalar(const float* panel, const float* v, int64_t k, float* y, int64_t n, float alpha, float beta);

#if defined(__x86_64__) || defined(_M_X64)
#define ONYX_MLAS_X86_KERNELS 1
void SgemmKernelAvx2(const float* a, const float* b, int64_t k, float* c, int64_t ldc, int64_t m, int64_t n,
                     float alpha, float beta, const TileEpilogue* ep);
void SgemvRowsAvx2(const float* x, int64_t ldx, const float* v, int64_t k, int64_t rows, float* y, int64_t incy,
                   float alpha, float beta);
void SgemvColsAvx2(const float* x, int64_t ldx, const float* v, int64_t k, int64_t cols, float* y, float alpha,
                   float beta);
void SgemvPanelAvx2(const float* panel, const float* v, int64_t k, float* y, int64_t n, float alpha, float beta);
void SgemmKernelAvx512(const float* a, const float* b, int64_t k, float* c, int64_t ldc, int64_t m, int64_t n,
                       float alpha, float beta, const TileEpilogue* ep);
void SgemvRowsAvx512(const float* x, int64_t ldx, const float* v, int64_t k, int64_t rows, float* y, int64_t incy,
                     float alpha, float beta);
void SgemvColsAvx512(const float* x, int64_t ldx, const float* v, int64_t k, int64_t cols, float* y, float alpha,
                     float beta);
void SgemvPanelAvx512(const float* panel, const float* v, int64_t k, float* y, int64_t n, float alpha, float beta);
#endif

}  // namespace onyx::mlas
