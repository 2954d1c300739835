// Packed single-precision GEMM (Goto/BLIS blocking): op(B) is packed into KC x NC blocks of
// NR-wide panels, op(A) into MC x KC blocks of MR-high panels, and an ISA-specific micro-kernel
// computes MR x NR tiles of C from one A panel and one B panel. Matrix-vector shapes (M or N
// equal to 1) skip packing and stream the matrix once.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "mlas/gemm.h"
#include "mlas/sgemm_kernels.h"
#include "onyx/error.h"

namespace onyx::mlas {

namespace {

// One ISA tier: its micro-kernels and the blocking that keeps an A block in L2 (MC x KC) and a
// B panel in L1 (KC x NR) while the tile loop runs.
struct KernelSet {
  Isa isa;
  int mr, nr;
  int64_t kc, mc, nc;
  // Columns of B packed per call at a time: kc x nc_pack floats stay in L2 while every A block
  // runs over them (a pre-packed B is streamed instead, in blocks of nc).
  int64_t nc_pack;
  SgemmMicroKernel gemm;
  SgemvRowsKernel gemv_rows;
  SgemvColsKernel gemv_cols;
  SgemvPanelKernel gemv_panel;
};

const KernelSet& KernelsFor(Isa isa) {
  static const KernelSet scalar{Isa::Scalar, kScalarMr, kScalarNr, 256, 128, 4096, 256,
                                SgemmKernelScalar, SgemvRowsScalar, SgemvColsScalar, SgemvPanelScalar};
#if ONYX_MLAS_X86_KERNELS
  // AVX2: a 6x16 tile holds 12 ymm accumulators; 256 x 16 floats of B (16 KiB) sit in L1,
  // 144 x 256 of A (144 KiB) and a 256 x 256 strip of B packed per call (256 KiB) in L2.
  static const KernelSet avx2{Isa::Avx2, kAvx2Mr, kAvx2Nr, 256, 144, 4096, 256,
                              SgemmKernelAvx2, SgemvRowsAvx2, SgemvColsAvx2, SgemvPanelAvx2};
  // AVX-512: 12x32 holds 24 zmm accumulators; KC = 192 keeps the 32-wide B panel at 24 KiB.
  static const KernelSet avx512{Isa::Avx512, kAvx512Mr, kAvx512Nr, 192, 144, 4096, 256,
                                SgemmKernelAvx512, SgemvRowsAvx512, SgemvColsAvx512, SgemvPanelAvx512};
  if (isa == Isa::Avx512) return avx512;
  if (isa == Isa::Avx2) return avx2;
#endif
  return scalar;
}

float* AlignedAlloc(size_t count) {
  const size_t bytes = (std::max<size_t>(count, 1) * sizeof(float) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw Error(ErrorCode::RuntimeException, "out of memory allocating " + std::to_string(bytes) + " bytes for GEMM packing");
  return static_cast<float*>(p);
}

// Per-thread packing buffers, grown on demand and reused across calls: the pool's threads live
// as long as the pool, so steady-state GEMMs allocate nothing.
class Scratch {
 public:
  ~Scratch() { std::free(data_); }
  float* Get(size_t count) {
    if (count > capacity_) {
      std::free(data_);
      data_ = nullptr;
      data_ = AlignedAlloc(count);
      capacity_ = count;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

thread_local Scratch tls_pack_a, tls_pack_b;

// Packs rows [0, rows) x depth [0, kc) of op(A) into one MR-high panel, k-major, zero-padded to
// MR rows. A points at op(A)(0, 0) of the panel: op(A)(i, p) = trans ? A[p * lda + i] : A[i * lda + p].
template <int MR>
void PackAPanel(bool trans, const float* A, int64_t lda, int64_t rows, int64_t kc, float* out) {
  if (trans) {
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = A + p * lda;
      float* dst = out + p * MR;
      int64_t i = 0;
      for (; i < rows; ++i) dst[i] = src[i];
      for (; i < MR; ++i) dst[i] = 0.f;
    }
    return;
  }
  int64_t i = 0;
  for (; i < rows; ++i) {
    const float* src = A + i * lda;
    for (int64_t p = 0; p < kc; ++p) out[p * MR + i] = src[p];
  }
  for (; i < MR; ++i)
    for (int64_t p = 0; p < kc; ++p) out[p * MR + i] = 0.f;
}

// One row of a block into NR-wide panels kc deep (the row of panel t at dst + t * NR * kc),
// the last panel zero-padded past n.
template <int NR>
inline void RowToPanels(const float* src, int64_t n, int64_t kc, float* dst) {
  const int64_t full = n / NR * NR;
  for (int64_t j = 0; j < full; j += NR) std::memcpy(dst + j * kc, src + j, NR * sizeof(float));
  if (full < n) {
    float* d = dst + full * kc;
    int64_t j = 0;
    for (; j < n - full; ++j) d[j] = src[full + j];
    for (; j < NR; ++j) d[j] = 0.f;
  }
}

// One NR-wide panel of a transposed B (stored N x K): cols [0, cols) x depth [0, kc) with
// op(B)(p, j) = B[j * ldb + p], zero-padded to NR columns. Each stored row is read contiguously.
template <int NR>
void PackTransposedBPanel(const float* B, int64_t ldb, int64_t cols, int64_t kc, float* out) {
  int64_t j = 0;
  for (; j < cols; ++j) {
    const float* src = B + j * ldb;
    for (int64_t p = 0; p < kc; ++p) out[p * NR + j] = src[p];
  }
  for (; j < NR; ++j)
    for (int64_t p = 0; p < kc; ++p) out[p * NR + j] = 0.f;
}

// An mc x kc block of op(A) starting at op(A)(i0, p0), as consecutive panels (panel r at r * MR * kc).
template <int MR>
void PackABlockT(bool trans, const float* A, int64_t lda, int64_t i0, int64_t p0, int64_t mc, int64_t kc, float* out) {
  for (int64_t i = 0; i < mc; i += MR) {
    const float* src = trans ? A + p0 * lda + (i0 + i) : A + (i0 + i) * lda + p0;
    PackAPanel<MR>(trans, src, lda, std::min<int64_t>(MR, mc - i), kc, out + i * kc);
  }
}

// A kc x nc block of op(B) starting at op(B)(p0, j0), as consecutive panels (the one at column j
// at j * kc), zero-padded to whole panels.
template <int NR>
void PackBBlockT(bool trans, const float* B, int64_t ldb, int64_t p0, int64_t j0, int64_t kc, int64_t nc, float* out) {
  if (!trans) {
    // Row by row across all panels: each row of B is read once, contiguously, which the
    // prefetchers follow; panel by panel would read 64-byte pieces of kc rows far apart.
    // Rows of B lie ldb apart, each read for only nc values: the hardware prefetchers lose
    // the first lines of every row, so the rows a few ahead are prefetched by hand.
    constexpr int64_t kAhead = 4;
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = B + (p0 + p) * ldb + j0;
      if (p + kAhead < kc)
        for (int64_t j = 0; j < nc; j += 16) __builtin_prefetch(src + kAhead * ldb + j);
      RowToPanels<NR>(src, nc, kc, out + p * NR);
    }
    return;
  }
  for (int64_t j = 0; j < nc; j += NR)
    PackTransposedBPanel<NR>(B + (j0 + j) * ldb + p0, ldb, std::min<int64_t>(NR, nc - j), kc, out + j * kc);
}

void PackABlock(const KernelSet& ks, bool trans, const float* A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                int64_t kc, float* out) {
  switch (ks.mr) {
    case kAvx512Mr: return PackABlockT<kAvx512Mr>(trans, A, lda, i0, p0, mc, kc, out);
    case kAvx2Mr: return PackABlockT<kAvx2Mr>(trans, A, lda, i0, p0, mc, kc, out);
    default: return PackABlockT<kScalarMr>(trans, A, lda, i0, p0, mc, kc, out);
  }
}

void PackBBlock(const KernelSet& ks, bool trans, const float* B, int64_t ldb, int64_t p0, int64_t j0, int64_t kc,
                int64_t nc, float* out) {
  switch (ks.nr) {
    case kAvx512Nr: return PackBBlockT<kAvx512Nr>(trans, B, ldb, p0, j0, kc, nc, out);
    case kAvx2Nr: return PackBBlockT<kAvx2Nr>(trans, B, ldb, p0, j0, kc, nc, out);
    default: return PackBBlockT<kScalarNr>(trans, B, ldb, p0, j0, kc, nc, out);
  }
}

int64_t RoundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// The depth of each K block: K split into equal blocks of at most about ks.kc, so that no block
// is a short remainder (K = 576 runs as 2 x 288, not 256 + 256 + 64), since every block costs a
// pass over C. Packing and multiplying must agree on it, so it depends on K and the tier only.
int64_t DepthStep(const KernelSet& ks, int64_t K) {
  const int64_t blocks = (K + ks.kc - 1) / ks.kc;
  return RoundUp((K + blocks - 1) / blocks, 8);
}

// Where an operand comes from: the caller's matrix (packed per block on the fly) or a
// pre-packed one, whose layout is, for each KC-deep block p0 of K, the panels of all its rows
// (A, MR high) or columns (B, NR wide), each kc deep: the panel starting at row/column j sits at
// p0 * padded + j * kc.
struct Operand {
  const float* data = nullptr;
  int64_t ld = 0;
  bool trans = false;
  const float* packed = nullptr;
  int64_t padded = 0;
  const PanelSource* source = nullptr;  // B only: packs its own blocks
};

// A kc x nc block of op(B) at (p0, j0), packed into out.
void PackBFrom(const KernelSet& ks, const Operand& b, int64_t p0, int64_t j0, int64_t kc, int64_t nc, float* out) {
  if (b.source) return b.source->Pack(p0, kc, j0, nc, ks.nr, out);
  PackBBlock(ks, b.trans, b.data, b.ld, p0, j0, kc, nc, out);
}

// The part of an epilogue that the micro-kernels apply in their stores: all but the activations
// that are not clamps. Returns whether the activation is left to run over each stored tile.
bool ToTileEpilogue(const GemmEpilogue& ep, int64_t ldc, TileEpilogue& tile) {
  tile.ld_addend = ldc;
  switch (ep.activation.kind) {
    case ActivationKind::Identity: return false;
    case ActivationKind::Relu:
      tile.clamp_lo = true, tile.lo = 0.f;
      return false;
    case ActivationKind::Clip:
      tile.clamp_lo = tile.clamp_hi = true, tile.lo = ep.activation.alpha, tile.hi = ep.activation.beta;
      return false;
    default: return true;
  }
}

// The tiles of an mc x nc block of C from a packed A block and a packed B block. ep (for the last
// depth block only, positioned at this block's C) goes to the micro-kernel with each tile, which
// applies it before its stores; another activation then runs over the tile while it is in L1.
void MacroKernel(const KernelSet& ks, int64_t mc, int64_t nc, int64_t kc, const float* a_buf, const float* bp,
                 float* C, int64_t ldc, float alpha, float beta, const GemmEpilogue* ep = nullptr) {
  const int64_t MR = ks.mr, NR = ks.nr;
  TileEpilogue tile;
  const bool activation_after = ep && ToTileEpilogue(*ep, ldc, tile);
  // B panel outside, A panels inside: one kc x NR panel stays in L1 across the A block.
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t n = std::min(NR, nc - jr);
    for (int64_t ir = 0; ir < mc; ir += MR) {
      const int64_t m = std::min(MR, mc - ir);
      float* c = C + ir * ldc + jr;
      if (!ep) {
        ks.gemm(a_buf + ir * kc, bp + jr * kc, kc, c, ldc, m, n, alpha, beta, nullptr);
        continue;
      }
      tile.row_bias = ep->row_bias ? ep->row_bias + ir : nullptr;
      tile.addend = ep->addend ? ep->addend + ir * ldc + jr : nullptr;
      ks.gemm(a_buf + ir * kc, bp + jr * kc, kc, c, ldc, m, n, alpha, beta, &tile);
      if (activation_after)
        for (int64_t i = 0; i < m; ++i) ApplyActivation(ep->activation, c + i * ldc, n);
    }
  }
}

// C[m0:m1, n0:n1] for the whole depth K. A pre-packed operand needs its range to start on a
// panel boundary.
void GemmRange(const KernelSet& ks, const Operand& a, int64_t m0, int64_t m1, int64_t n0, int64_t n1, int64_t K,
               float alpha, const Operand& b, float beta, float* C, int64_t ldc, const GemmEpilogue* ep) {
  // The epilogue of the block at (i, j), for the last depth block; nullptr otherwise.
  GemmEpilogue block_ep;
  auto epilogue_at = [&](int64_t pc, int64_t kc, int64_t i, int64_t j) -> const GemmEpilogue* {
    if (!ep || pc + kc < K) return nullptr;
    block_ep = ep->At(i, j, ldc);
    return &block_ep;
  };
  const int64_t MR = ks.mr, NR = ks.nr;
  const int64_t kc_step = DepthStep(ks, K);
  const int64_t kc_max = std::min(kc_step, K);
  float* a_buf = a.packed ? nullptr : tls_pack_a.Get(static_cast<size_t>(std::min(ks.mc, RoundUp(m1 - m0, MR)) * kc_max));
  auto a_block = [&](int64_t ic, int64_t pc, int64_t mc, int64_t kc) -> const float* {
    if (a.packed) return a.packed + pc * a.padded + ic * kc;
    PackABlock(ks, a.trans, a.data, a.ld, ic, pc, mc, kc, a_buf);
    return a_buf;
  };
  if (!b.packed && m1 - m0 <= ks.mc) {
    // Few rows (the usual inference shape): pack A once per depth block and pack B in narrow
    // strips that are consumed while still in L2.
    float* b_buf = tls_pack_b.Get(static_cast<size_t>(std::min(ks.nc_pack, RoundUp(n1 - n0, NR)) * kc_max));
    for (int64_t pc = 0; pc < K; pc += kc_step) {
      const int64_t kc = std::min(kc_step, K - pc);
      const float beta_k = pc == 0 ? beta : 1.f;  // later depth blocks accumulate
      const float* ap = a_block(m0, pc, m1 - m0, kc);
      for (int64_t jc = n0; jc < n1; jc += ks.nc_pack) {
        const int64_t nc = std::min(ks.nc_pack, n1 - jc);
        PackBFrom(ks, b, pc, jc, kc, nc, b_buf);
        MacroKernel(ks, m1 - m0, nc, kc, ap, b_buf, C + m0 * ldc + jc, ldc, alpha, beta_k, epilogue_at(pc, kc, m0, jc));
      }
    }
    return;
  }
  // Goto order: a kc x nc block of B (in L3) is reused by every A block of the rows.
  float* b_buf = b.packed ? nullptr : tls_pack_b.Get(static_cast<size_t>(std::min(ks.nc, RoundUp(n1 - n0, NR)) * kc_max));
  for (int64_t jc = n0; jc < n1; jc += ks.nc) {
    const int64_t nc = std::min(ks.nc, n1 - jc);
    for (int64_t pc = 0; pc < K; pc += kc_step) {
      const int64_t kc = std::min(kc_step, K - pc);
      const float beta_k = pc == 0 ? beta : 1.f;
      const float* bp;
      if (b.packed) {
        bp = b.packed + pc * b.padded + jc * kc;
      } else {
        PackBFrom(ks, b, pc, jc, kc, nc, b_buf);
        bp = b_buf;
      }
      for (int64_t ic = m0; ic < m1; ic += ks.mc) {
        const int64_t mc = std::min(ks.mc, m1 - ic);
        MacroKernel(ks, mc, nc, kc, a_block(ic, pc, mc, kc), bp, C + ic * ldc + jc, ldc, alpha, beta_k,
                    epilogue_at(pc, kc, ic, jc));
      }
    }
  }
}

// Below this many flops a GEMM runs on the calling thread: waking workers costs more.
constexpr double kMinParallelFlops = 1 << 20;

void GemmParallel(const KernelSet& ks, const Operand& a, int64_t M, int64_t N, int64_t K, float alpha,
                  const Operand& b, float beta, float* C, int64_t ldc, ThreadPool* pool, const GemmEpilogue* ep) {
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
  const int threads = pool ? pool->num_threads() : 1;
  if (threads <= 1 || flops < kMinParallelFlops) {
    GemmRange(ks, a, 0, M, 0, N, K, alpha, b, beta, C, ldc, ep);
    return;
  }
  // Each task packs the whole of the operand it does not split, so split the larger dimension:
  // the repeated packing is then of the smaller matrix. Units are whole tiles (a pre-packed
  // operand needs its ranges to start on panel boundaries).
  const int64_t m_units = (M + ks.mr - 1) / ks.mr, n_units = (N + ks.nr - 1) / ks.nr;
  bool split_n = N >= M;
  if (split_n && n_units < threads && m_units > n_units) split_n = false;
  if (!split_n && m_units < threads && n_units > m_units) split_n = true;
  const int64_t units = split_n ? n_units : m_units;
  pool->ParallelFor(units, flops / static_cast<double>(units), [&](int64_t u0, int64_t u1) {
    if (split_n)
      GemmRange(ks, a, 0, M, u0 * ks.nr, std::min(N, u1 * ks.nr), K, alpha, b, beta, C, ldc, ep);
    else
      GemmRange(ks, a, u0 * ks.mr, std::min(M, u1 * ks.mr), 0, N, K, alpha, b, beta, C, ldc, ep);
  });
}

// C = beta * C (K == 0: no products); beta == 0 writes zeros without reading C. Then the epilogue.
void ScaleC(int64_t M, int64_t N, float beta, float* C, int64_t ldc, const GemmEpilogue* ep) {
  for (int64_t i = 0; beta != 1.f && i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.f) std::fill(c, c + N, 0.f);
    else
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
  }
  if (ep) ApplyEpilogue(*ep, C, ldc, M, N);
}

// The vector operand of a matrix-vector product, contiguous: p itself, or its K values stride
// apart gathered into scratch.
const float* ContiguousVector(const float* p, int64_t stride, int64_t K, std::vector<float>& scratch) {
  if (stride == 1 || K == 1) return p;
  scratch.resize(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) scratch[k] = p[k * stride];
  return scratch.data();
}

// The epilogue of y[i0, i1) of a matrix-vector product: a row of C (row), or a column.
void VectorEpilogue(const GemmEpilogue* ep, float* C, int64_t ldc, bool row, int64_t i0, int64_t i1) {
  if (!ep || i1 <= i0) return;
  if (row) ApplyEpilogue(ep->At(0, i0, ldc), C + i0, ldc, 1, i1 - i0);
  else ApplyEpilogue(ep->At(i0, 0, ldc), C + i0 * ldc, ldc, i1 - i0, 1);
}

// The result of a matrix-vector product, len values incy apart in C, computed in parallel units
// of `unit` values by columns(y, j0, j1), which writes y[j0, j1) of a contiguous y: C itself when
// incy == 1 (the epilogue then runs on each unit while it is in cache), else a copy of C's strided
// column (seeded from C when beta reads it), written back before the epilogue.
template <typename Columns>
void ContiguousResult(int64_t len, int64_t unit, double unit_cost, float beta, float* C, int64_t incy, ThreadPool* pool,
                      const GemmEpilogue* ep, int64_t ldc, bool row, const Columns& columns) {
  auto finish = [&](int64_t i0, int64_t i1) { VectorEpilogue(ep, C, ldc, row, i0, i1); };
  std::vector<float> y_copy;
  float* y = C;
  if (incy != 1) {
    y_copy.resize(static_cast<size_t>(len));
    for (int64_t i = 0; i < len; ++i) y_copy[i] = beta == 0.f ? 0.f : C[i * incy];
    y = y_copy.data();
  }
  const int64_t units = (len + unit - 1) / unit;
  ParallelFor(pool, units, unit_cost, [&](int64_t u0, int64_t u1) {
    const int64_t j0 = u0 * unit, j1 = std::min(len, u1 * unit);
    columns(y, j0, j1);
    if (incy == 1) finish(j0, j1);
  });
  if (incy != 1) {
    for (int64_t i = 0; i < len; ++i) C[i * incy] = y[i];
    finish(0, len);
  }
}

// M == 1 or N == 1: y = alpha * X v + beta * y with X the full matrix, read once.
void Gemv(const KernelSet& ks, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
          const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
          ThreadPool* pool, const GemmEpilogue* ep) {
  std::vector<float> gathered;
  const float* x;  // the matrix
  int64_t ldx, len;
  const float* v;
  bool rows_form;  // y[i] = dot(x row i, v), otherwise y = sum_k v[k] * x row k
  int64_t incy = 1;
  if (M == 1) {
    v = ContiguousVector(A, trans_a ? lda : 1, K, gathered);
    x = B, ldx = ldb, len = N, rows_form = trans_b;
  } else {
    v = ContiguousVector(B, trans_b ? 1 : ldb, K, gathered);
    x = A, ldx = lda, len = M, rows_form = !trans_a, incy = ldc;
  }
  const double cost = 2.0 * static_cast<double>(K);
  if (rows_form) {
    ParallelFor(pool, len, cost, [&](int64_t i0, int64_t i1) {
      ks.gemv_rows(x + i0 * ldx, ldx, v, K, i1 - i0, C + i0 * incy, incy, alpha, beta);
      VectorEpilogue(ep, C, ldc, M == 1, i0, i1);
    });
    return;
  }
  // The columns form writes y contiguously.
  constexpr int64_t kColsPerUnit = 64;
  ContiguousResult(len, kColsPerUnit, cost * kColsPerUnit, beta, C, incy, pool, ep, ldc, M == 1,
                   [&](float* y, int64_t j0, int64_t j1) { ks.gemv_cols(x + j0, ldx, v, K, j1 - j0, y + j0, alpha, beta); });
}

// A matrix-vector product against a pre-packed operand: a one-row A times a packed B (row: width
// = NR, len = N, y a row of C) or a packed A times a one-column B (width = MR, len = M, y a column
// of C, incy = ldc). For each depth block the panels of the result's len are consecutive, each
// kc x width, so the packed matrix streams once, in memory order (B panels through the panel
// kernel; the rare A case through the columns-form kernel), and the caller need not keep the
// original operand.
void PackedGemv(const KernelSet& ks, const Operand& x, int64_t width, int64_t len, int64_t K, float alpha,
                const float* v, float beta, float* C, int64_t incy, ThreadPool* pool, const GemmEpilogue* ep,
                int64_t ldc, bool row) {
  const int64_t kc_step = DepthStep(ks, K);
  ContiguousResult(len, width, 2.0 * static_cast<double>(K) * width, beta, C, incy, pool, ep, ldc, row,
                   [&](float* y, int64_t j0, int64_t j1) {
                     for (int64_t pc = 0; pc < K; pc += kc_step) {
                       const int64_t kc = std::min(kc_step, K - pc);
                       const float* block = x.packed + pc * x.padded;
                       const float beta_k = pc == 0 ? beta : 1.f;  // later depth blocks accumulate
                       for (int64_t j = j0; j < j1; j += width) {
                         const int64_t n = std::min(width, j1 - j);
                         if (row) ks.gemv_panel(block + j * kc, v + pc, kc, y + j, n, alpha, beta_k);
                         else ks.gemv_cols(block + j * kc, width, v + pc, kc, n, y + j, alpha, beta_k);
                       }
                     }
                   });
}

}  // namespace

void RowToPanels(const float* row, int64_t n, int64_t nr, int64_t kc, float* dst) {
  switch (nr) {
    case kScalarNr: return RowToPanels<kScalarNr>(row, n, kc, dst);
    case kAvx2Nr: return RowToPanels<kAvx2Nr>(row, n, kc, dst);
    case kAvx512Nr: return RowToPanels<kAvx512Nr>(row, n, kc, dst);
    default:
      throw Error(ErrorCode::InvalidArgument, "RowToPanels: no panel width " + std::to_string(nr));
  }
}

void PackedPanels::Free::operator()(float* p) const { std::free(p); }

struct PackedAccess {
  // Packs op(X) (rows x K for A, K x cols for B) for the active tier: for each depth block, the
  // panels of the whole extent, padded to the panel size.
  static void Pack(PackedPanels& out, bool is_a, bool trans, int64_t extent, int64_t K, const float* X, int64_t ld) {
    if (K <= 0 || extent <= 0) return;
    const KernelSet& ks = KernelsFor(ActiveIsa());
    const int64_t padded = RoundUp(extent, is_a ? ks.mr : ks.nr);
    if (padded > INT64_MAX / K / static_cast<int64_t>(sizeof(float)))
      throw Error(ErrorCode::InvalidArgument, "cannot pack a " + std::to_string(K) + " x " + std::to_string(extent) +
                                                  " GEMM operand: too large");
    out.size_ = K * padded;
    out.data_.reset(AlignedAlloc(static_cast<size_t>(out.size_)));
    out.k_ = K, out.extent_ = extent, out.isa_ = ks.isa;
    const int64_t kc_step = DepthStep(ks, K);
    for (int64_t pc = 0; pc < K; pc += kc_step) {
      const int64_t kc = std::min(kc_step, K - pc);
      float* dst = out.data_.get() + pc * padded;
      if (is_a) {
        PackABlock(ks, trans, X, ld, 0, pc, extent, kc, dst);
        continue;
      }
      // In strips, as per call: row by row across all of a wide N would scatter each row over
      // hundreds of panels (pages) at once.
      for (int64_t jc = 0; jc < extent; jc += ks.nc_pack)
        PackBBlock(ks, trans, X, ld, pc, jc, kc, std::min(ks.nc_pack, extent - jc), dst + jc * kc);
    }
  }

  static Operand View(const PackedPanels& p, const char* which, int64_t extent, int64_t K, const KernelSet& ks,
                      bool is_a) {
    if (p.k_ != K || p.extent_ != extent)
      throw Error(ErrorCode::InvalidArgument, std::string("SgemmPacked: ") + which + " was packed as " +
                                                  std::to_string(is_a ? p.extent_ : p.k_) + " x " +
                                                  std::to_string(is_a ? p.k_ : p.extent_) + " but the product needs " +
                                                  std::to_string(is_a ? extent : K) + " x " +
                                                  std::to_string(is_a ? K : extent));
    Operand o;
    o.packed = p.data_.get();
    o.padded = RoundUp(extent, is_a ? ks.mr : ks.nr);
    return o;
  }
};

void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, ThreadPool* pool,
           const GemmEpilogue* epilogue) {
  if (M <= 0 || N <= 0) return;
  const GemmEpilogue* ep = epilogue && !epilogue->empty() ? epilogue : nullptr;
  if (K <= 0) return ScaleC(M, N, beta, C, ldc, ep);
  const KernelSet& ks = KernelsFor(ActiveIsa());
  if (M == 1 || N == 1) return Gemv(ks, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, pool, ep);
  Operand a, b;
  a.data = A, a.ld = lda, a.trans = trans_a;
  b.data = B, b.ld = ldb, b.trans = trans_b;
  GemmParallel(ks, a, M, N, K, alpha, b, beta, C, ldc, pool, ep);
}

PackedB PackB(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb) {
  PackedB packed;
  PackedAccess::Pack(packed, false, trans_b, N, K, B, ldb);
  return packed;
}

PackedA PackA(bool trans_a, int64_t M, int64_t K, const float* A, int64_t lda) {
  PackedA packed;
  PackedAccess::Pack(packed, true, trans_a, M, K, A, lda);
  return packed;
}

void SgemmPacked(bool trans_a, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                 const PackedB& B, float beta, float* C, int64_t ldc, ThreadPool* pool,
                 const GemmEpilogue* epilogue) {
  if (M <= 0 || N <= 0) return;
  const GemmEpilogue* ep = epilogue && !epilogue->empty() ? epilogue : nullptr;
  if (K <= 0) return ScaleC(M, N, beta, C, ldc, ep);
  const KernelSet& ks = KernelsFor(B.isa());
  const Operand b = PackedAccess::View(B, "B", N, K, ks, false);
  if (M == 1) {
    std::vector<float> gathered;
    const float* v = ContiguousVector(A, trans_a ? lda : 1, K, gathered);
    return PackedGemv(ks, b, ks.nr, N, K, alpha, v, beta, C, 1, pool, ep, ldc, true);
  }
  Operand a;
  a.data = A, a.ld = lda, a.trans = trans_a;
  GemmParallel(ks, a, M, N, K, alpha, b, beta, C, ldc, pool, ep);
}

namespace {

// A packed left-hand side times b (the caller's matrix or a PanelSource).
void WithPackedA(const PackedA& A, const Operand& b, int64_t M, int64_t N, int64_t K, float alpha, float beta, float* C,
                 int64_t ldc, ThreadPool* pool, const GemmEpilogue* epilogue) {
  if (M <= 0 || N <= 0) return;
  const GemmEpilogue* ep = epilogue && !epilogue->empty() ? epilogue : nullptr;
  if (K <= 0) return ScaleC(M, N, beta, C, ldc, ep);
  const KernelSet& ks = KernelsFor(A.isa());
  const Operand a = PackedAccess::View(A, "A", M, K, ks, true);
  if (N == 1 && !b.source) {
    std::vector<float> gathered;
    const float* v = ContiguousVector(b.data, b.trans ? 1 : b.ld, K, gathered);
    return PackedGemv(ks, a, ks.mr, M, K, alpha, v, beta, C, ldc, pool, ep, ldc, false);
  }
  GemmParallel(ks, a, M, N, K, alpha, b, beta, C, ldc, pool, ep);
}

}  // namespace

void SgemmPacked(const PackedA& A, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* B,
                 int64_t ldb, float beta, float* C, int64_t ldc, ThreadPool* pool,
                 const GemmEpilogue* epilogue) {
  Operand b;
  b.data = B, b.ld = ldb, b.trans = trans_b;
  WithPackedA(A, b, M, N, K, alpha, beta, C, ldc, pool, epilogue);
}

void SgemmPacked(const PackedA& A, const PanelSource& B, int64_t M, int64_t N, int64_t K, float alpha, float beta,
                 float* C, int64_t ldc, ThreadPool* pool, const GemmEpilogue* epilogue) {
  Operand b;
  b.source = &B;
  WithPackedA(A, b, M, N, K, alpha, beta, C, ldc, pool, epilogue);
}

}  // namespace onyx::mlas
