#pragma once
// Kernels that only change the shape: Reshape, Flatten, Squeeze, Unsqueeze. The output is a
// view over the input's storage (Tensor::Reshaped): no copy, no device code, so the CPU provider
// (tensor/reshape.cc) and the CUDA provider (providers/cuda/tensor/reshape.cc, with the shape
// and axes inputs on the host) register these same classes.
#include <cstdint>
#include <vector>

#include "tensor/tensor_helpers.h"
#include "tensor/tensor_shapes.h"

namespace onyx {

class ReshapeKernel final : public OpKernel {
 public:
  explicit ReshapeKernel(const KernelInfo& info) : attrs_(info) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    ctx.SetOutput(0, x.Reshaped(ReshapeOutputShape(attrs_, x.shape(), ctx)));
  }

 private:
  ReshapeAttributes attrs_;
};

class FlattenKernel final : public OpKernel {
 public:
  explicit FlattenKernel(const KernelInfo& info) : axis_(info.GetInt("axis", 1)) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    ctx.SetOutput(0, x.Reshaped(FlattenOutputShape(x.shape(), axis_, ctx)));
  }

 private:
  int64_t axis_;
};

// Axes from the attribute before opset 13, from the optional input 1 since.
class SqueezeKernel final : public OpKernel {
 public:
  explicit SqueezeKernel(const KernelInfo& info) : from_attr_(info.opset() < 13), axes_attr_(info.GetInts("axes")) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    ctx.SetOutput(0, x.Reshaped(SqueezeOutputShape(x.shape(), AxesFromAttributeOrInput(ctx, from_attr_, axes_attr_), ctx)));
  }

 private:
  bool from_attr_;
  std::vector<int64_t> axes_attr_;
};

// Axes from the attribute before opset 13, from the required input 1 since.
class UnsqueezeKernel final : public OpKernel {
 public:
  explicit UnsqueezeKernel(const KernelInfo& info) : from_attr_(info.opset() < 13), axes_attr_(info.GetInts("axes")) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const std::vector<int64_t> axes = from_attr_ ? axes_attr_ : ReadIndices(ctx.Input(1), ctx, "axes");
    ctx.SetOutput(0, x.Reshaped(UnsqueezeOutputShape(x.shape(), axes, ctx)));
  }

 private:
  bool from_attr_;
  std::vector<int64_t> axes_attr_;
};

}  // namespace onyx
