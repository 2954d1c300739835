// Transpose: a strided copy (batched 2-D transposes go through shared-memory tiles); a
// permutation that keeps the order of the dims larger than 1 is only a view.
#include "cuda_tensor.h"
#include "tensor/tensor_helpers.h"

namespace onyx::cuda {
namespace {

class TransposeKernel final : public CudaKernel {
 public:
  explicit TransposeKernel(const KernelInfo& info)
      : CudaKernel(info), perm_(info.GetInts("perm")), has_perm_(info.HasAttribute("perm")) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    std::vector<int64_t> perm = perm_;
    if (!has_perm_) {
      perm.resize(rank);
      for (int64_t i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
    }
    if (static_cast<int64_t>(perm.size()) != rank)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "perm " + ShapeToString(perm) + " has " + std::to_string(perm.size()) +
                                                          " entries but the input has rank " + std::to_string(rank));
    std::vector<bool> seen(rank, false);
    for (int64_t& p : perm) {
      const int64_t n = CheckedAxis(p, rank, ctx, "perm entry");
      if (seen[n]) throw ctx.MakeError(ErrorCode::InvalidArgument, "perm " + ShapeToString(perm_) + " is not a permutation");
      seen[n] = true;
      p = n;
    }
    std::vector<int64_t> out_shape(rank);
    for (int64_t i = 0; i < rank; ++i) out_shape[i] = x.dim(perm[i]);
    int64_t last = -1;
    bool order_kept = true;
    for (int64_t p : perm) {
      if (x.dim(p) == 1) continue;
      if (p < last) order_kept = false;
      last = p;
    }
    if (order_kept) {
      ctx.SetOutput(0, x.Reshaped(out_shape));
      return;
    }
    const std::vector<int64_t> in_strides = ContiguousStrides(x.shape());
    std::vector<int64_t> strides(rank);
    for (int64_t i = 0; i < rank; ++i) strides[i] = in_strides[perm[i]];
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0) return;
    StridedCopy(stream(), x.dtype(), out_shape, y.raw_data(), x.raw_data(), 0, strides, x.size());
  }

 private:
  std::vector<int64_t> perm_;
  bool has_perm_;
};

}  // namespace

void RegisterCudaTransposeKernels(KernelRegistry& r) {
  r.Register(CudaDef<TransposeKernel>("Transpose", 1, 12, DataMovementTypes()));
  r.Register(CudaDef<TransposeKernel>("Transpose", 13, INT64_MAX, DataMovementTypes()));
}

}  // namespace onyx::cuda
