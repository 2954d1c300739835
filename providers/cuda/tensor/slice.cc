// Slice: starts/ends/axes/steps (attributes before opset 10, host inputs since) resolved and
// clamped exactly as the CPU kernel does, then one strided copy (negative steps are negative
// strides).
#include <algorithm>
#include <limits>

#include "cuda_tensor.h"
#include "tensor/tensor_helpers.h"

namespace onyx::cuda {
namespace {

class SliceKernel final : public CudaKernel {
 public:
  explicit SliceKernel(const KernelInfo& info) : CudaKernel(info), from_attrs_(info.opset() < 10) {
    if (from_attrs_) {
      if (!info.HasAttribute("starts") || !info.HasAttribute("ends"))
        throw info.MakeError(ErrorCode::InvalidGraph, "attributes 'starts' and 'ends' are required before opset 10");
      starts_ = info.GetInts("starts");
      ends_ = info.GetInts("ends");
      axes_ = info.GetInts("axes");
      has_axes_ = info.HasAttribute("axes");
    }
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    std::vector<int64_t> starts = starts_, ends = ends_, axes = axes_, steps;
    bool has_axes = has_axes_;
    if (!from_attrs_) {
      starts = ReadIndices(ctx.Input(1), ctx, "starts");
      ends = ReadIndices(ctx.Input(2), ctx, "ends");
      if (const Tensor* a = ctx.OptionalInput(3)) {
        axes = ReadIndices(*a, ctx, "axes");
        has_axes = true;
      }
      if (const Tensor* s = ctx.OptionalInput(4)) steps = ReadIndices(*s, ctx, "steps");
    }
    if (!has_axes) {
      axes.resize(starts.size());
      for (size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int64_t>(i);
    }
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
      throw ctx.MakeError(ErrorCode::InvalidArgument, "starts, ends, axes and steps should have the same length (got " +
                                                          std::to_string(starts.size()) + ", " + std::to_string(ends.size()) + ", " +
                                                          std::to_string(axes.size()) + ", " + std::to_string(steps.size()) + ")");
    const std::vector<int64_t> in_strides = ContiguousStrides(x.shape());
    std::vector<int64_t> out_shape = x.shape(), strides = in_strides;
    std::vector<bool> seen(rank, false);
    int64_t offset = 0;
    for (size_t i = 0; i < starts.size(); ++i) {
      const int64_t axis = CheckedAxis(axes[i], rank, ctx, "slice axis");
      if (seen[axis]) throw ctx.MakeError(ErrorCode::InvalidArgument, "axes " + ShapeToString(axes) + " repeat an axis");
      seen[axis] = true;
      int64_t step = steps[i];
      if (step == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "slice step for axis " + std::to_string(axis) + " is 0");
      step = std::max(step, -std::numeric_limits<int64_t>::max());
      const int64_t dim = x.dim(axis);
      int64_t s = starts[i] < 0 ? starts[i] + dim : starts[i];
      int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
      int64_t len;
      if (step > 0) {
        s = std::clamp<int64_t>(s, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        len = e > s ? (e - s - 1) / step + 1 : 0;
      } else {
        s = std::clamp<int64_t>(s, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        len = s > e ? (s - e - 1) / (-step) + 1 : 0;
      }
      out_shape[axis] = len;
      if (len > 0) {
        offset += s * in_strides[axis];
        // With one element the step is never taken (and step * stride could overflow).
        strides[axis] = len > 1 ? in_strides[axis] * step : 0;
      }
    }
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0) return;
    StridedCopy(stream(), x.dtype(), out_shape, y.raw_data(), x.raw_data(), offset, strides, x.size());
  }

 private:
  bool from_attrs_;
  std::vector<int64_t> starts_, ends_, axes_;
  bool has_axes_ = false;
};

}  // namespace

void RegisterCudaSliceKernels(KernelRegistry& r) {
  const auto& types = DataMovementTypes();
  r.Register(CudaDef<SliceKernel>("Slice", 1, 9, types));
  r.Register(CudaDef<SliceKernel>("Slice", 10, 10, types, {1, 2, 3, 4}));
  r.Register(CudaDef<SliceKernel>("Slice", 11, 12, types, {1, 2, 3, 4}));
  r.Register(CudaDef<SliceKernel>("Slice", 13, INT64_MAX, types, {1, 2, 3, 4}));
}

}  // namespace onyx::cuda
