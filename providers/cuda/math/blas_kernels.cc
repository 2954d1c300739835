// MatMul and Gemm on cuBLAS. Tensors are row-major; cuBLAS is column-major, so a row-major
// C = op(A) * op(B) is computed as the column-major C^T = op(B)^T * op(A)^T, which reads the
// same buffers with the operands swapped.
#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "blas_impl.h"
#include "cublas_loader.h"
#include "cuda_common.h"
#include "math/math_shapes.h"

namespace onyx::cuda {

namespace {

bool IsCudaFloat(DataType t) { return t == DataType::Float || t == DataType::Float16; }

int ToCublasInt(int64_t v, const KernelContext& ctx, const char* what) {
  if (v < 0 || v > INT_MAX)
    throw ctx.MakeError(ErrorCode::NotImplemented, std::string(what) + " " + std::to_string(v) +
                                                       " exceeds the 32-bit range of cuBLAS");
  return static_cast<int>(v);
}

// Row-major C (M x N, leading dim N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C, for
// `batch` matrix triples whose elements are stride_* apart (stride 0: one matrix shared).
// op(A) = A^T when ta (A stored K x M), op(B) = B^T when tb (B stored N x K).
void RowMajorGemm(const CudaExecutionProvider& cuda, const KernelContext& ctx, DataType dt, bool ta, bool tb,
                  int64_t M, int64_t N, int64_t K, float alpha, const void* A, int64_t stride_a, const void* B,
                  int64_t stride_b, float beta, void* C, int64_t stride_c, int64_t batch) {
  const int m = ToCublasInt(N, ctx, "N"), n = ToCublasInt(M, ctx, "M"), k = ToCublasInt(K, ctx, "K");
  const int ldb = tb ? k : m;  // leading dim of B as stored (row length)
  const int lda = ta ? n : k;
  const int ldc = m;
  const cublasOperation_t op_b = tb ? CUBLAS_OP_T : CUBLAS_OP_N, op_a = ta ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cudaDataType_t type = dt == DataType::Float ? CUDA_R_32F : CUDA_R_16F;
  // float16 stores in half and accumulates in float; float may use TF32 tensor cores.
  const cublasComputeType_t compute =
      dt == DataType::Float && cuda.options().use_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  if (batch == 1) {
    CheckCublas(Cublas().gemm_ex(cuda.cublas(), op_b, op_a, m, n, k, &alpha, B, type, ldb, A, type, lda, &beta, C, type, ldc,
                             compute, CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx");
  } else {
    CheckCublas(Cublas().gemm_strided_batched_ex(cuda.cublas(), op_b, op_a, m, n, k, &alpha, B, type, ldb, stride_b, A, type, lda,
                                           stride_a, &beta, C, type, ldc, stride_c, ToCublasInt(batch, ctx, "batch count"),
                                           compute, CUBLAS_GEMM_DEFAULT),
                "cublasGemmStridedBatchedEx");
  }
}

int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t d : v) p *= d;
  return p;
}

// Both operands: float or float16, the same.
bool SupportsTwoFloatOperands(const NodeOperandTypes& t) {
  return t.inputs.size() >= 2 && IsCudaFloat(t.inputs[0]) && t.inputs[1] == t.inputs[0];
}

class MatMul final : public CudaKernel {
 public:
  explicit MatMul(const KernelInfo& info) : CudaKernel(info) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& A = ctx.Input(0);
    const Tensor& B = ctx.Input(1);
    const DataType dt = A.dtype();
    if (B.dtype() != dt || !IsCudaFloat(dt))
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("inputs should be both float or both float16, got ") +
                                                          DataTypeName(dt) + " and " + DataTypeName(B.dtype()));
    const MatMulDims dims = ResolveMatMulDims(A.shape(), B.shape(), ctx);
    const int64_t M = dims.M, K = dims.K, N = dims.N;
    // Batch dims broadcast as numpy does, aligned to the right.
    const std::vector<int64_t>& batch_a = dims.batch_a;
    const std::vector<int64_t>& batch_b = dims.batch_b;
    const size_t rank = std::max(batch_a.size(), batch_b.size());
    std::vector<int64_t> pa(rank, 1), pb(rank, 1), batch(rank, 1);
    std::copy(batch_a.begin(), batch_a.end(), pa.begin() + static_cast<std::ptrdiff_t>(rank - batch_a.size()));
    std::copy(batch_b.begin(), batch_b.end(), pb.begin() + static_cast<std::ptrdiff_t>(rank - batch_b.size()));
    for (size_t d = 0; d < rank; ++d) {
      if (pa[d] != pb[d] && pa[d] != 1 && pb[d] != 1)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "batch dimensions of " + ShapeToString(A.shape()) + " and " +
                                                            ShapeToString(B.shape()) + " do not broadcast");
      batch[d] = pa[d] == 1 ? pb[d] : pa[d];
    }
    Tensor& Y = ctx.Output(0, dt, MatMulOutputShape(dims, batch));
    if (Y.size() == 0) return;
    cuda().Activate();
    if (K == 0) {
      CheckCuda(cudaMemsetAsync(Y.raw_data(), 0, Y.nbytes(), stream()), "cudaMemsetAsync");
      return;
    }
    const int64_t nbatch = ShapeSize(batch), na = ShapeSize(pa), nb = ShapeSize(pb);
    const void* a = A.raw_data();
    const void* b = B.raw_data();
    void* y = Y.raw_data();
    if (nb == 1 && na == nbatch && nbatch * M <= INT_MAX) {
      // B shared and A's batches contiguous: one GEMM with the batches stacked as rows.
      RowMajorGemm(cuda(), ctx, dt, false, false, nbatch * M, N, K, 1.f, a, 0, b, 0, 0.f, y, 0, 1);
      return;
    }
    if ((na == nbatch || na == 1) && (nb == nbatch || nb == 1)) {
      // Each side is either fully batched (same layout as the output) or one shared matrix.
      RowMajorGemm(cuda(), ctx, dt, false, false, M, N, K, 1.f, a, na == 1 ? 0 : M * K, b, nb == 1 ? 0 : K * N, 0.f, y,
                   M * N, nbatch);
      return;
    }
    // Mixed broadcast ([2, 1] x [1, 3] batches): one GEMM per output batch.
    std::vector<int64_t> sa(rank, 0), sb(rank, 0);
    for (size_t d = rank, ea = 1, eb = 1; d-- > 0;) {
      sa[d] = pa[d] == 1 ? 0 : static_cast<int64_t>(ea);
      sb[d] = pb[d] == 1 ? 0 : static_cast<int64_t>(eb);
      ea *= static_cast<size_t>(pa[d]);
      eb *= static_cast<size_t>(pb[d]);
    }
    const size_t es = DataTypeSize(dt);
    std::vector<int64_t> idx(rank, 0);
    for (int64_t i = 0; i < nbatch; ++i) {
      int64_t oa = 0, ob = 0;
      for (size_t d = 0; d < rank; ++d) {
        oa += idx[d] * sa[d];
        ob += idx[d] * sb[d];
      }
      RowMajorGemm(cuda(), ctx, dt, false, false, M, N, K, 1.f, static_cast<const char*>(a) + oa * M * K * es, 0,
                   static_cast<const char*>(b) + ob * K * N * es, 0, 0.f, static_cast<char*>(y) + i * M * N * es, 0, 1);
      for (size_t d = rank; d-- > 0;) {
        if (++idx[d] < batch[d]) break;
        idx[d] = 0;
      }
    }
  }
};

// Gemm: Y = alpha * op(A) * op(B) + beta * C, C broadcasting to (M, N); C optional since opset 11.
class Gemm final : public CudaKernel {
 public:
  explicit Gemm(const KernelInfo& info)
      : CudaKernel(info),
        trans_a_(info.GetInt("transA", 0) != 0),
        trans_b_(info.GetInt("transB", 0) != 0),
        alpha_(info.GetFloat("alpha", 1.f)),
        beta_(info.GetFloat("beta", 1.f)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& A = ctx.Input(0);
    const Tensor& B = ctx.Input(1);
    const Tensor* C = ctx.OptionalInput(2);
    const DataType dt = A.dtype();
    if (B.dtype() != dt || !IsCudaFloat(dt))
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("A and B should be both float or both float16, got ") +
                                                          DataTypeName(dt) + " and " + DataTypeName(B.dtype()));
    const GemmDims dims = ResolveGemmDims(A.shape(), B.shape(), trans_a_, trans_b_, ctx);
    const int64_t M = dims.M, K = dims.K, N = dims.N;
    const std::vector<int64_t> out_shape{M, N};
    const bool use_c = C && beta_ != 0.f && C->size() > 0;
    int64_t cs_m = 0, cs_n = 0;  // C's strides over Y's (m, n); 0 where C broadcasts
    if (use_c) {
      if (C->dtype() != dt)
        throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("C has element type ") + DataTypeName(C->dtype()) +
                                                            " but A has " + DataTypeName(dt));
      const std::vector<int64_t> cshape = C->rank() == 0   ? std::vector<int64_t>{1, 1}
                                          : C->rank() == 1 ? std::vector<int64_t>{1, C->dim(0)}
                                                           : C->shape();
      if (C->rank() > 2 || (cshape[0] != 1 && cshape[0] != M) || (cshape[1] != 1 && cshape[1] != N))
        throw ctx.MakeError(ErrorCode::InvalidArgument, "C of shape " + ShapeToString(C->shape()) +
                                                            " does not broadcast to (M, N) = " + ShapeToString(out_shape));
      cs_m = cshape[0] == 1 ? 0 : cshape[1];
      cs_n = cshape[1] == 1 ? 0 : 1;
    }
    Tensor& Y = ctx.Output(0, dt, out_shape);
    if (Y.size() == 0) return;
    cuda().Activate();
    if (use_c) {
      // Y = C broadcast (times beta when there is no product to add it to).
      LaunchBroadcastMatrix(dt == DataType::Float16, C->raw_data(), cs_m, cs_n, K == 0 ? beta_ : 1.f, Y.raw_data(), M, N,
                            stream());
      CheckLaunch("Gemm broadcast of C");
    }
    if (K == 0) {
      if (!use_c) CheckCuda(cudaMemsetAsync(Y.raw_data(), 0, Y.nbytes(), stream()), "cudaMemsetAsync");
      return;
    }
    RowMajorGemm(cuda(), ctx, dt, trans_a_, trans_b_, M, N, K, alpha_, A.raw_data(), 0, B.raw_data(), 0,
                 use_c ? beta_ : 0.f, Y.raw_data(), 0, 1);
  }

 private:
  bool trans_a_, trans_b_;
  float alpha_, beta_;
};

bool SupportsGemm(const Node& node, const NodeOperandTypes& t) {
  if (!SupportsTwoFloatOperands(t)) return false;
  // C, when given, has the operands' type.
  if (node.inputs.size() > 2 && !node.inputs[2].empty() && (t.inputs.size() < 3 || t.inputs[2] != t.inputs[0])) return false;
  return true;
}

}  // namespace

void RegisterCudaBlasKernels(KernelRegistry& r) {
  auto matmul = [&](int64_t since, int64_t end) {
    KernelDef d = CudaDef<MatMul>("MatMul", since, end, FloatTypes());
    d.supports = [](const Node&, const NodeOperandTypes& t) { return SupportsTwoFloatOperands(t); };
    r.Register(std::move(d));
  };
  matmul(1, 12);
  matmul(13, INT64_MAX);
  // Gemm before opset 7 has the `broadcast` attribute; it stays on the CPU.
  auto gemm = [&](int64_t since, int64_t end) {
    KernelDef d = CudaDef<Gemm>("Gemm", since, end, FloatTypes());
    d.supports = SupportsGemm;
    r.Register(std::move(d));
  };
  gemm(7, 8);
  gemm(9, 10);
  gemm(11, 12);
  gemm(13, INT64_MAX);
}

}  // namespace onyx::cuda
