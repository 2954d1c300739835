// MatMul (numpy matmul: batched, broadcast batch dims, 1-D promotion) and Gemm, also as
// com.microsoft FusedGemm (Gemm + activation, written by the optimizer's fusion as onnxruntime's),
// whose activation runs in the GEMM epilogue on each block of Y as soon as it is complete.
#include <cstring>

#include "fused_activation_attrs.h"

#include "core/thread_pool.h"
#include "math/math_kernels.h"
#include "math/math_shapes.h"
#include "mlas/gemm.h"

namespace onyx::math {

namespace {

constexpr uint32_t kMatMulTypes = kFloats | kI32 | kI64 | kU32 | kU64;

// C (M x N) = alpha * op(A) * op(B) + beta * C for types without a BLAS path, in the type itself
// (integers wrap). beta == 0 ignores C's contents.
template <typename T>
void NaiveGemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, const T* B, T beta, T* C,
               ThreadPool* pool) {
  ParallelFor(pool, M, static_cast<double>(N) * static_cast<double>(K) * 2, [&](int64_t m0, int64_t m1) {
    std::vector<T> row(static_cast<size_t>(N));
    for (int64_t m = m0; m < m1; ++m) {
      std::fill(row.begin(), row.end(), T(0));
      for (int64_t k = 0; k < K; ++k) {
        const T a = ta ? A[k * M + m] : A[m * K + k];
        if (a == T(0)) continue;
        if (tb) {
          for (int64_t n = 0; n < N; ++n) row[n] = WrapAdd(row[n], WrapMul(a, B[n * K + k]));
        } else {
          const T* b = B + k * N;
          for (int64_t n = 0; n < N; ++n) row[n] = WrapAdd(row[n], WrapMul(a, b[n]));
        }
      }
      T* c = C + m * N;
      for (int64_t n = 0; n < N; ++n)
        c[n] = beta == T(0) ? WrapMul(alpha, row[n]) : WrapAdd(WrapMul(alpha, row[n]), WrapMul(beta, c[n]));
    }
  });
}

// One GEMM for the element type T, on contiguous row-major matrices with leading dims K/N
// (or M/K when transposed). 16-bit floats go through float. The activation (floating types
// only) runs in the GEMM epilogue.
template <typename T>
void Gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const T* A, const T* B, float beta, T* C,
          ThreadPool* pool, const mlas::Activation& act = {}) {
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  mlas::GemmEpilogue ep;
  ep.activation = act;
  if constexpr (std::is_same_v<T, float>) {
    mlas::Sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, N, pool, &ep);
  } else if constexpr (std::is_same_v<T, double>) {
    mlas::Epilogue<double> epd;
    epd.activation = act;
    mlas::Dgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, N, pool, &epd);
  } else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    std::vector<float> a(static_cast<size_t>(M * K)), b(static_cast<size_t>(K * N)), c(static_cast<size_t>(M * N));
    for (size_t i = 0; i < a.size(); ++i) a[i] = ToFloat(A[i]);
    for (size_t i = 0; i < b.size(); ++i) b[i] = ToFloat(B[i]);
    if (beta != 0.f)
      for (size_t i = 0; i < c.size(); ++i) c[i] = ToFloat(C[i]);
    mlas::Sgemm(ta, tb, M, N, K, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), N, pool, &ep);
    for (size_t i = 0; i < c.size(); ++i) C[i] = FromFloat<T>(c[i]);
  } else {
    NaiveGemm<T>(ta, tb, M, N, K, static_cast<T>(alpha), A, B, static_cast<T>(beta), C, pool);
  }
}

// y = act(y) for the floating types (K == 0 products, which skip the GEMM).
template <typename T>
void ActivateInPlace(const mlas::Activation& act, T* y, int64_t n) {
  if (act.kind == mlas::ActivationKind::Identity) return;
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    mlas::ApplyActivation(act, y, n);
  } else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    std::vector<float> f(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) f[i] = ToFloat(y[i]);
    mlas::ApplyActivation(act, f.data(), n);
    for (int64_t i = 0; i < n; ++i) y[i] = FromFloat<T>(f[i]);
  }
}

// A float weight (constant right-hand side) packed once when the kernel is created, so that every
// Run() skips packing B. Constant folding also creates kernels, with every input constant, to run
// them once: packing would not pay there. Immutable after creation: concurrent runs share it.
mlas::PackedB PackConstantB(const KernelInfo& info, bool trans_b) {
  const Tensor* b = info.ConstantInput(1);
  if (!b || info.ConstantInput(0) || !b->on_cpu() || b->dtype() != DataType::Float || b->rank() != 2 || b->size() == 0) return {};
  const int64_t rows = b->shape()[0], cols = b->shape()[1];
  return trans_b ? mlas::PackB(true, cols, rows, b->data<float>(), cols) : mlas::PackB(false, rows, cols, b->data<float>(), cols);
}

// Whether the pre-packed B serves this product (it always does for the B it was packed from,
// a single row included, so the original need not be kept).
bool UsePacked(const mlas::PackedB& packed, int64_t N, int64_t K) {
  return !packed.empty() && packed.K() == K && packed.N() == N;
}

// MatMul, and com.microsoft FusedMatMul (fused): alpha * MatMul(A, B), the scale applied by the
// GEMM. The optimizer's MatMulScaleFusion writes it without transposes, as onnxruntime's fusion
// does for MatMul followed by Div/Mul by a constant; the transposing forms are refused.
class MatMulKernel final : public OpKernel {
 public:
  MatMulKernel(const KernelInfo& info, bool fused)
      : alpha_(fused ? info.GetFloat("alpha", 1.f) : 1.f), packed_b_(PackConstantB(info, false)) {
    if (fused)
      for (const char* a : {"transA", "transB", "transBatchA", "transBatchB"})
        if (info.GetInt(a, 0) != 0)
          throw info.MakeError(ErrorCode::NotImplemented, std::string("FusedMatMul with ") + a + " = 1 is not supported");
  }
  explicit MatMulKernel(const KernelInfo& info) : MatMulKernel(info, false) {}
  // A packed B is rank 2, so every product takes the packed path below.
  bool PackedConstantInput(size_t i) const override { return i == 1 && !packed_b_.empty(); }
  void Compute(KernelContext& ctx) const override {
    CheckSameType(ctx, 0, 1);
    const Tensor& A = ctx.Input(0);
    const Tensor& B = ctx.Input(1);
    const MatMulDims dims = ResolveMatMulDims(A.shape(), B.shape(), ctx);
    const int64_t M = dims.M, K = dims.K, N = dims.N;
    const std::vector<int64_t>& batch_a = dims.batch_a;
    const std::vector<int64_t>& batch_b = dims.batch_b;
    const std::vector<int64_t> batch = BroadcastShapes(batch_a, batch_b, ctx);
    const std::vector<int64_t> out_shape = MatMulOutputShape(dims, batch);
    Dispatch<kMatMulTypes>(A.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Tensor& Y = ctx.Output(0, A.dtype(), out_shape);
      if (Y.size() == 0) return;
      if (K == 0) {  // no products: zeros
        std::memset(Y.raw_data(), 0, Y.nbytes());
        return;
      }
      const int64_t nbatch = ShapeSize(batch);
      const T* pa = A.data<T>();
      const T* pb = B.data<T>();
      T* py = Y.data<T>();
      ThreadPool* pool = ctx.thread_pool();
      // B shared by every batch and A not broadcast: one GEMM with the batches stacked as rows.
      if (ShapeSize(batch_b) == 1 && ShapeSize(batch_a) == nbatch) {
        if constexpr (std::is_same_v<T, float>) {
          if (UsePacked(packed_b_, N, K)) {
            mlas::SgemmPacked(false, nbatch * M, N, K, alpha_, pa, K, packed_b_, 0.f, py, N, pool);
            return;
          }
        }
        Gemm<T>(false, false, nbatch * M, N, K, alpha_, pa, pb, 0.f, py, pool);
        return;
      }
      const std::vector<int64_t> sa = BroadcastStrides(batch_a, batch), sb = BroadcastStrides(batch_b, batch);
      std::vector<int64_t> off_a(nbatch), off_b(nbatch);
      std::vector<int64_t> idx(batch.size(), 0);
      for (int64_t i = 0; i < nbatch; ++i) {
        int64_t oa = 0, ob = 0;
        for (size_t d = 0; d < batch.size(); ++d) {
          oa += idx[d] * sa[d];
          ob += idx[d] * sb[d];
        }
        off_a[i] = oa * M * K;
        off_b[i] = ob * K * N;
        for (size_t d = batch.size(); d-- > 0;) {
          if (++idx[d] < batch[d]) break;
          idx[d] = 0;
        }
      }
      const double flops = 2.0 * static_cast<double>(M) * N * K;
      const int threads = pool ? pool->num_threads() : 1;
      if (nbatch > 1 && threads > 1 && (nbatch >= threads || flops < 4e6)) {
        // Many small products (attention heads): one whole GEMM per task.
        pool->ParallelFor(nbatch, flops, [&](int64_t b0, int64_t b1) {
          for (int64_t i = b0; i < b1; ++i)
            Gemm<T>(false, false, M, N, K, alpha_, pa + off_a[i], pb + off_b[i], 0.f, py + i * M * N, nullptr);
        });
      } else {
        for (int64_t i = 0; i < nbatch; ++i)
          Gemm<T>(false, false, M, N, K, alpha_, pa + off_a[i], pb + off_b[i], 0.f, py + i * M * N, pool);
      }
    });
  }

 private:
  float alpha_;
  mlas::PackedB packed_b_;
};

// Gemm: Y = alpha * op(A) * op(B) + beta * C, C broadcasting to (M, N), optional since opset 11.
// FusedGemm (fused): Y = act(Gemm(...)).
class GemmKernel final : public OpKernel {
 public:
  GemmKernel(const KernelInfo& info, bool fused)
      : trans_a_(info.GetInt("transA", 0) != 0),
        trans_b_(info.GetInt("transB", 0) != 0),
        alpha_(info.GetFloat("alpha", 1.f)),
        beta_(info.GetFloat("beta", 1.f)),
        fused_(fused),
        activation_(fused ? FusedGemmActivation(info) : mlas::Activation{}),
        packed_b_(PackConstantB(info, trans_b_)) {}
  bool PackedConstantInput(size_t i) const override { return i == 1 && !packed_b_.empty(); }

  void Compute(KernelContext& ctx) const override {
    CheckSameType(ctx, 0, 1);
    const Tensor& A = ctx.Input(0);
    const Tensor& B = ctx.Input(1);
    const Tensor* C = ctx.OptionalInput(2);
    if (fused_ && A.dtype() != DataType::Float && A.dtype() != DataType::Double && A.dtype() != DataType::Float16 &&
        A.dtype() != DataType::BFloat16)
      throw ctx.MakeError(ErrorCode::NotImplemented,
                          std::string("element type ") + DataTypeName(A.dtype()) + " is not supported");
    const GemmDims dims = ResolveGemmDims(A.shape(), B.shape(), trans_a_, trans_b_, ctx);
    const int64_t M = dims.M, K = dims.K, N = dims.N;
    const std::vector<int64_t> out_shape{M, N};
    const bool use_c = C && beta_ != 0.f && C->size() > 0;
    if (use_c) {
      if (C->dtype() != A.dtype())
        throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("C has element type ") + DataTypeName(C->dtype()) +
                                                            " but A has " + DataTypeName(A.dtype()));
      if (C->rank() > 2 || BroadcastShapes(C->shape(), out_shape, ctx) != out_shape)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "C of shape " + ShapeToString(C->shape()) +
                                                            " does not broadcast to (M, N) = " + ShapeToString(out_shape));
    }
    Dispatch<kMatMulTypes>(A.dtype(), ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Tensor& Y = ctx.Output(0, A.dtype(), out_shape);
      if (Y.size() == 0) return;
      T* py = Y.data<T>();
      if (use_c) {
        const std::vector<int64_t> cs = BroadcastStrides(C->shape(), out_shape);
        const T* pc = C->data<T>();
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = 0; n < N; ++n) py[m * N + n] = pc[m * cs[0] + n * cs[1]];
      }
      if (K == 0) {
        // No products: Y = beta * C (or zeros).
        if (use_c)
          for (int64_t i = 0; i < Y.size(); ++i)
            py[i] = Elem<T>::Store(static_cast<ComputeT<T>>(static_cast<ComputeT<T>>(beta_) * Elem<T>::Load(py[i])));
        else
          std::memset(py, 0, Y.nbytes());
        ActivateInPlace(activation_, py, Y.size());
        return;
      }
      if constexpr (std::is_same_v<T, float>) {
        if (UsePacked(packed_b_, N, K)) {
          mlas::GemmEpilogue ep;
          ep.activation = activation_;
          mlas::SgemmPacked(trans_a_, M, N, K, alpha_, A.data<float>(), trans_a_ ? M : K, packed_b_,
                            use_c ? beta_ : 0.f, py, N, ctx.thread_pool(), &ep);
          return;
        }
      }
      Gemm<T>(trans_a_, trans_b_, M, N, K, alpha_, A.data<T>(), B.data<T>(), use_c ? beta_ : 0.f, py, ctx.thread_pool(),
              activation_);
    });
  }

 private:
  bool trans_a_, trans_b_;
  float alpha_, beta_;
  bool fused_;
  mlas::Activation activation_;
  mlas::PackedB packed_b_;
};

}  // namespace

void RegisterMatMulKernels(KernelRegistry& r) {
  RegisterOp<MatMulKernel>(r, "MatMul", kMatMulTypes);
  KernelDef gemm;
  gemm.provider = kCpuProvider;
  gemm.op_type = "Gemm";
  gemm.types = TypeSetList(kMatMulTypes);
  gemm.factory = [](const KernelInfo& info) -> std::unique_ptr<OpKernel> { return std::make_unique<GemmKernel>(info, false); };
  KernelDef fused = gemm;
  r.Register(std::move(gemm));
  fused.domain = "com.microsoft";
  fused.op_type = "FusedGemm";
  fused.types = TypeSetList(kFloats);
  fused.factory = [](const KernelInfo& info) -> std::unique_ptr<OpKernel> { return std::make_unique<GemmKernel>(info, true); };
  r.Register(std::move(fused));
  KernelDef fused_matmul;
  fused_matmul.provider = kCpuProvider;
  fused_matmul.domain = "com.microsoft";
  fused_matmul.op_type = "FusedMatMul";
  fused_matmul.types = TypeSetList(kFloats);
  fused_matmul.factory = [](const KernelInfo& info) -> std::unique_ptr<OpKernel> { return std::make_unique<MatMulKernel>(info, true); };
  r.Register(std::move(fused_matmul));
}

}  // namespace onyx::math
