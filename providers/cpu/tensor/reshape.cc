// Ops that only change the shape (or report it): Identity, Reshape, Flatten, Squeeze, Unsqueeze,
// Shape, Size. Every reshape is a view over the input's storage (Tensor::Reshaped): no copy.
#include <algorithm>
#include <limits>

#include "tensor/tensor_helpers.h"
#include "tensor/view_kernels.h"

namespace onyx {
namespace {

class IdentityKernel final : public OpKernel {
 public:
  explicit IdentityKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    // Identity also forwards sequences (opset 14) and empty optionals (opset 16) unchanged.
    const Value* v = ctx.InputValue(0);
    ctx.SetOutput(0, v ? *v : Value());
  }
};

class ShapeKernel final : public OpKernel {
 public:
  explicit ShapeKernel(const KernelInfo& info)
      : start_(info.GetInt("start", 0)), end_(info.GetInt("end", std::numeric_limits<int64_t>::max())) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    int64_t rank = static_cast<int64_t>(x.rank());
    auto clamp = [rank](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
    int64_t s = clamp(start_), e = std::max(clamp(end_), s);
    Tensor& y = ctx.Output(0, DataType::Int64, {e - s});
    for (int64_t i = s; i < e; ++i) y.data<int64_t>()[i - s] = x.dim(i);
  }

 private:
  int64_t start_, end_;
};

class SizeKernel final : public OpKernel {
 public:
  explicit SizeKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    int64_t n = ctx.Input(0).size();
    ctx.Output(0, DataType::Int64, {}).data<int64_t>()[0] = n;
  }
};

}  // namespace

void RegisterReshapeKernels(KernelRegistry& r) {
  const auto& all = AllTensorTypes();
  RegisterTensorKernel(r, "Identity", 1, INT64_MAX, all, MakeFactory<IdentityKernel>());
  RegisterTensorKernel(r, "Reshape", 1, INT64_MAX, all, MakeFactory<ReshapeKernel>());
  RegisterTensorKernel(r, "Flatten", 1, INT64_MAX, all, MakeFactory<FlattenKernel>());
  RegisterTensorKernel(r, "Squeeze", 1, INT64_MAX, all, MakeFactory<SqueezeKernel>());
  RegisterTensorKernel(r, "Unsqueeze", 1, INT64_MAX, all, MakeFactory<UnsqueezeKernel>());
  RegisterTensorKernel(r, "Shape", 1, INT64_MAX, all, MakeFactory<ShapeKernel>());
  RegisterTensorKernel(r, "Size", 1, INT64_MAX, all, MakeFactory<SizeKernel>());
}

}  // namespace onyx
