// Plain C++ reference tier: the same contracts as the SIMD kernels, in loops the compiler may
// vectorise for the baseline ISA.
#include "mlas/sgemm_kernels.h"

namespace onyx::mlas {

void SgemmKernelScalar(const float* a, const float* b, int64_t k, float* c, int64_t ldc, int64_t m, int64_t n,
                       float alpha, float beta, const TileEpilogue* ep) {
  constexpr int MR = kScalarMr, NR = kScalarNr;
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < k; ++p) {
    const float* ap = a + p * MR;
    const float* bp = b + p * NR;
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] += ap[i] * bp[j];
  }
  for (int64_t i = 0; i < m; ++i) {
    float* ci = c + i * ldc;
    if (beta == 0.f)
      for (int64_t j = 0; j < n; ++j) ci[j] = alpha * acc[i][j];
    else
      for (int64_t j = 0; j < n; ++j) ci[j] = alpha * acc[i][j] + beta * ci[j];
    if (!ep) continue;
    const float* add = ep->addend ? ep->addend + i * ep->ld_addend : nullptr;
    const float bias = ep->row_bias ? ep->row_bias[i] : 0.f;
    for (int64_t j = 0; j < n; ++j) {
      float v = ci[j];
      if (add) v += add[j];
      if (ep->row_bias) v += bias;
      if (ep->clamp_lo) v = ep->lo > v ? ep->lo : v;  // max(lo, v): NaN v stays
      if (ep->clamp_hi) v = ep->hi < v ? ep->hi : v;
      ci[j] = v;
    }
  }
}

void SgemvRowsScalar(const float* x, int64_t ldx, const float* v, int64_t k, int64_t rows, float* y, int64_t incy,
                     float alpha, float beta) {
  for (int64_t i = 0; i < rows; ++i) {
    const float* xi = x + i * ldx;
    // Four partial sums: a single chain would serialise on the add latency.
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    int64_t p = 0;
    for (; p + 4 <= k; p += 4) {
      s0 += xi[p] * v[p];
      s1 += xi[p + 1] * v[p + 1];
      s2 += xi[p + 2] * v[p + 2];
      s3 += xi[p + 3] * v[p + 3];
    }
    for (; p < k; ++p) s0 += xi[p] * v[p];
    const float s = (s0 + s1) + (s2 + s3);
    float& out = y[i * incy];
    out = beta == 0.f ? alpha * s : alpha * s + beta * out;
  }
}

void SgemvColsScalar(const float* x, int64_t ldx, const float* v, int64_t k, int64_t cols, float* y, float alpha,
                     float beta) {
  if (beta == 0.f)
    for (int64_t j = 0; j < cols; ++j) y[j] = 0.f;
  else if (beta != 1.f)
    for (int64_t j = 0; j < cols; ++j) y[j] *= beta;
  for (int64_t p = 0; p < k; ++p) {
    const float s = alpha * v[p];
    const float* xp = x + p * ldx;
    for (int64_t j = 0; j < cols; ++j) y[j] += s * xp[j];
  }
}

void SgemvPanelScalar(const float* panel, const float* v, int64_t k, float* y, int64_t n, float alpha, float beta) {
  float acc[4][kScalarNr] = {};
  int64_t p = 0;
  for (; p + 4 <= k; p += 4)
    for (int q = 0; q < 4; ++q)
      for (int j = 0; j < kScalarNr; ++j) acc[q][j] += v[p + q] * panel[(p + q) * kScalarNr + j];
  for (; p < k; ++p)
    for (int j = 0; j < kScalarNr; ++j) acc[0][j] += v[p] * panel[p * kScalarNr + j];
  for (int64_t j = 0; j < n; ++j) {
    const float s = (acc[0][j] + acc[1][j]) + (acc[2][j] + acc[3][j]);
    y[j] = beta == 0.f ? alpha * s : alpha * s + beta * y[j];
  }
}

}  // namespace onyx::mlas
