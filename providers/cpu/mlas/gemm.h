#pragma once
#include <cstdint>
#include <memory>

#include "mlas/cpu_features.h"
#include "mlas/fused_activation.h"

namespace onyx {
class ThreadPool;
namespace mlas {

// C = alpha * op(A) * op(B) + beta * C on row-major float matrices; op(A) is M x K, op(B) is
// K x N. lda/ldb/ldc are row strides of the stored matrices. When beta == 0, C is not read.
// Splits the work over the pool when it is large enough. Runs the packed kernels of ActiveIsa().
// An epilogue (bias, addend, activation) is applied by the micro-kernel to each tile of C in
// registers on the last depth block (activations other than Relu/Clip right after the tile's
// store, while it is in L1); the addend has C's row stride ldc. For C += product (a residual
// written in place) pass beta = 1 and no addend.
void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, ThreadPool* pool,
           const GemmEpilogue* epilogue = nullptr);

// Same for double (Eigen); the epilogue runs over C after the product.
void Dgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
           const double* B, int64_t ldb, double beta, double* C, int64_t ldc, ThreadPool* pool,
           const Epilogue<double>* epilogue = nullptr);

// The former Eigen path for float, compiled for the baseline ISA; kept as the yardstick of the
// benchmarks and tests, not used by kernels.
void SgemmEigen(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                const float* B, int64_t ldb, float beta, float* C, int64_t ldc, ThreadPool* pool);

struct PackedAccess;  // gemm.cc's view of the packed storage

// A constant operand packed once into the panel layout of one ISA's micro-kernel, for repeated
// products (a weight). Immutable after packing, so any number of threads may use it at once.
// The layout is private to gemm.cc.
class PackedPanels {
 public:
  bool empty() const { return data_ == nullptr; }
  int64_t K() const { return k_; }
  Isa isa() const { return isa_; }
  // Bytes held (for memory accounting and tests).
  int64_t bytes() const { return size_ * static_cast<int64_t>(sizeof(float)); }

 protected:
  friend struct PackedAccess;
  struct Free {
    void operator()(float* p) const;
  };
  std::unique_ptr<float[], Free> data_;
  int64_t k_ = 0, extent_ = 0, size_ = 0;  // extent: M of a PackedA, N of a PackedB
  Isa isa_ = Isa::Scalar;
};

// op(B), K x N, packed: the right-hand side of MatMul/Gemm weights.
class PackedB : public PackedPanels {
 public:
  int64_t N() const { return extent_; }
};

// op(A), M x K, packed: the left-hand side, e.g. Conv filters (output channels x patch).
class PackedA : public PackedPanels {
 public:
  int64_t M() const { return extent_; }
};

// Packs op(B), stored K x N (or N x K when trans_b) with row stride ldb, for ActiveIsa().
// Returns an empty PackedB when K or N is 0.
PackedB PackB(bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb);

// Packs op(A), stored M x K (or K x M when trans_a) with row stride lda, for ActiveIsa().
PackedA PackA(bool trans_a, int64_t M, int64_t K, const float* A, int64_t lda);

// Sgemm with a packed right-hand side; B.K() and B.N() must equal K and N (throws otherwise).
// Uses the kernels of the ISA B was packed for. A single row (M == 1) is a matrix-vector product
// that streams the packed panels once, as fast as one over the original B, so a caller holding
// the packed operand needs nothing else. Likewise N == 1 with a packed A.
void SgemmPacked(bool trans_a, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                 const PackedB& B, float beta, float* C, int64_t ldc, ThreadPool* pool,
                 const GemmEpilogue* epilogue = nullptr);

// Sgemm with a packed left-hand side; A.M() and A.K() must equal M and K (throws otherwise).
void SgemmPacked(const PackedA& A, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* B,
                 int64_t ldb, float beta, float* C, int64_t ldc, ThreadPool* pool,
                 const GemmEpilogue* epilogue = nullptr);

// A right-hand operand (K x N) that is never stored as a matrix: it writes the blocks the
// product asks for straight into the packed layout, e.g. a convolution's patches taken from the
// image (no im2col matrix to write and read back). Pack may run on several threads at once.
class PanelSource {
 public:
  virtual ~PanelSource() = default;
  // Writes rows [p0, p0 + kc) of columns [j0, j0 + nc) as consecutive nr-wide panels: element
  // (p0 + p, j0 + t * nr + j) at out[t * nr * kc + p * nr + j], and zeros for the columns of the
  // last panel beyond nc.
  virtual void Pack(int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t nr, float* out) const = 0;
};

// For PanelSource::Pack: one row of a block, n values, into nr-wide panels kc deep (the row of
// panel t at dst + t * nr * kc), the last panel zero-padded. nr is a tier's panel width.
void RowToPanels(const float* row, int64_t n, int64_t nr, int64_t kc, float* dst);

// Sgemm with a packed left-hand side and a right-hand side from a PanelSource (K x N).
void SgemmPacked(const PackedA& A, const PanelSource& B, int64_t M, int64_t N, int64_t K, float alpha, float beta,
                 float* C, int64_t ldc, ThreadPool* pool, const GemmEpilogue* epilogue = nullptr);

}  // namespace mlas
}  // namespace onyx
