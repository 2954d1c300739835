// Transpose: a strided copy (batched 2-D transposes go through shared-memory tiles); a
// permutation that keeps the order of the dims larger than 1 is only a view.
#include "cuda_tensor.h"
#include "tensor/tensor_helpers.h"
#include "tensor/tensor_shapes.h"

namespace onyx::cuda {
namespace {

class TransposeKernel final : public CudaKernel {
 public:
  explicit TransposeKernel(const KernelInfo& info)
      : CudaKernel(info), perm_(info.GetInts("perm")), has_perm_(info.HasAttribute("perm")) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    const std::vector<int64_t> perm = ResolvePermutation(perm_, has_perm_, rank, ctx);
    std::vector<int64_t> out_shape(rank);
    for (int64_t i = 0; i < rank; ++i) out_shape[i] = x.dim(perm[i]);
    // When the dims larger than 1 keep their order, the transpose is only a reshape.
    if (PermutationKeepsOrder(x.shape(), perm)) {
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
