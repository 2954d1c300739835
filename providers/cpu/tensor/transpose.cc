// Permutations of axes: Transpose, DepthToSpace, SpaceToDepth. All run through the strided copy
// microkernel, which tiles transposes for the cache.
#include "tensor/tensor_helpers.h"
#include "tensor/tensor_shapes.h"

namespace onyx {
namespace {

// Writes the permutation of `x` viewed as `view_shape`: out dim i is view dim perm[i].
Tensor PermuteView(const Tensor& x, const std::vector<int64_t>& view_shape, const std::vector<int64_t>& perm,
                   ThreadPool* pool) {
  std::vector<int64_t> in_strides = ContiguousStrides(view_shape), out_shape(perm.size()), strides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    out_shape[i] = view_shape[perm[i]];
    strides[i] = in_strides[perm[i]];
  }
  Tensor y(x.dtype(), out_shape);
  StridedCopy(x.dtype(), out_shape, y.raw_data(), x.raw_data(), 0, strides, pool);
  return y;
}

class TransposeKernel final : public OpKernel {
 public:
  explicit TransposeKernel(const KernelInfo& info) : perm_(info.GetInts("perm")), has_perm_(info.HasAttribute("perm")) {}

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
    ctx.SetOutput(0, PermuteView(x, x.shape(), perm, ctx.thread_pool()));
  }

 private:
  std::vector<int64_t> perm_;
  bool has_perm_;
};

int64_t BlockSize(const KernelInfo& info) {
  int64_t b = info.RequireInt("blocksize");
  if (b <= 0) throw info.MakeError(ErrorCode::InvalidGraph, "blocksize should be positive, got " + std::to_string(b));
  return b;
}

void Check4D(const Tensor& x, const KernelContext& ctx) {
  if (x.rank() != 4)
    throw ctx.MakeError(ErrorCode::InvalidArgument, "input should be 4-D (N, C, H, W) but has shape " + ShapeToString(x.shape()));
}

class DepthToSpaceKernel final : public OpKernel {
 public:
  explicit DepthToSpaceKernel(const KernelInfo& info) : block_(BlockSize(info)), mode_(info.GetString("mode", "DCR")) {
    if (mode_ != "DCR" && mode_ != "CRD")
      throw info.MakeError(ErrorCode::InvalidGraph, "mode should be DCR or CRD, got '" + mode_ + "'");
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    Check4D(x, ctx);
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), b = block_;
    if (c % b != 0 || (c / b) % b != 0)  // c divisible by b * b, without forming b * b
      throw ctx.MakeError(ErrorCode::InvalidArgument, "channels " + std::to_string(c) + " are not divisible by blocksize^2 (blocksize " +
                                                          std::to_string(b) + ")");
    const int64_t oc = c / b / b;
    Tensor y = mode_ == "DCR" ? PermuteView(x, {n, b, b, oc, h, w}, {0, 3, 4, 1, 5, 2}, ctx.thread_pool())
                              : PermuteView(x, {n, oc, b, b, h, w}, {0, 1, 4, 2, 5, 3}, ctx.thread_pool());
    ctx.SetOutput(0, y.Reshaped({n, oc, h * b, w * b}));
  }

 private:
  int64_t block_;
  std::string mode_;
};

class SpaceToDepthKernel final : public OpKernel {
 public:
  explicit SpaceToDepthKernel(const KernelInfo& info) : block_(BlockSize(info)), mode_(info.GetString("mode", "DCR")) {
    if (mode_ != "DCR" && mode_ != "CRD")
      throw info.MakeError(ErrorCode::InvalidGraph, "mode should be DCR or CRD, got '" + mode_ + "'");
  }
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    Check4D(x, ctx);
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), b = block_;
    if (h % b != 0 || w % b != 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "height " + std::to_string(h) + " and width " + std::to_string(w) +
                                                          " should be divisible by blocksize " + std::to_string(b));
    // DCR puts the block offsets before the channels in the output depth, CRD after them.
    Tensor y = PermuteView(x, {n, c, h / b, b, w / b, b}, mode_ == "DCR" ? std::vector<int64_t>{0, 3, 5, 1, 2, 4}
                                                                          : std::vector<int64_t>{0, 1, 3, 5, 2, 4},
                           ctx.thread_pool());
    ctx.SetOutput(0, y.Reshaped({n, c * b * b, h / b, w / b}));
  }

 private:
  int64_t block_;
  std::string mode_;
};

}  // namespace

void RegisterTransposeKernels(KernelRegistry& r) {
  RegisterTensorKernel(r, "Transpose", 1, INT64_MAX, AllTensorTypes(), MakeFactory<TransposeKernel>());
  RegisterTensorKernel(r, "DepthToSpace", 1, INT64_MAX, AllTensorTypes(), MakeFactory<DepthToSpaceKernel>());
  RegisterTensorKernel(r, "SpaceToDepth", 1, INT64_MAX, AllTensorTypes(), MakeFactory<SpaceToDepthKernel>());
}

}  // namespace onyx
