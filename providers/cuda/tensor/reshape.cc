// Ops that only change the shape: Reshape, Flatten, Squeeze, Unsqueeze (Identity lives in
// math/cast.cc). The output is a view over the input's device storage (Tensor::Reshaped): no
// copy, no kernel launch. Shape and axes inputs are read on the host.
#include <limits>

#include "cuda_tensor.h"
#include "tensor/tensor_helpers.h"

namespace onyx::cuda {
namespace {

class ReshapeKernel final : public OpKernel {
 public:
  explicit ReshapeKernel(const KernelInfo& info) : allowzero_(info.GetInt("allowzero", 0) != 0) {
    if (info.opset() < 5) {
      if (!info.HasAttribute("shape")) throw info.MakeError(ErrorCode::InvalidGraph, "required attribute 'shape' is missing");
      shape_attr_ = info.GetInts("shape");
      from_attr_ = true;
    }
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    std::vector<int64_t> req;
    if (from_attr_) {
      req = shape_attr_;
    } else {
      const Tensor& s = ctx.Input(1);
      if (s.rank() != 1)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "shape input should be 1-D but has shape " + ShapeToString(s.shape()));
      req = ReadIndices(s, ctx, "shape");
    }
    ctx.SetOutput(0, x.Reshaped(Resolve(x.shape(), std::move(req), ctx)));
  }

 private:
  // 0 copies the input dim (unless allowzero), one -1 takes the remaining elements.
  std::vector<int64_t> Resolve(const std::vector<int64_t>& in, std::vector<int64_t> req, const KernelContext& ctx) const {
    int64_t infer_at = -1, known = 1;
    bool has_zero = false;
    for (size_t i = 0; i < req.size(); ++i) {
      int64_t d = req[i];
      if (d == -1) {
        if (infer_at >= 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(req) + " has more than one -1");
        infer_at = static_cast<int64_t>(i);
        continue;
      }
      if (d < -1) throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(req) + " has a negative dimension");
      if (d == 0) {
        has_zero = true;
        if (!allowzero_) {
          if (i >= in.size())
            throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(req) + " copies dimension " + std::to_string(i) +
                                                                " (0) but the input " + ShapeToString(in) + " has rank " +
                                                                std::to_string(in.size()));
          d = req[i] = in[i];
        }
      }
      if (d != 0 && known > std::numeric_limits<int64_t>::max() / d)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(req) + " has too many elements");
      known *= d;
    }
    if (allowzero_ && has_zero && infer_at >= 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(req) + " has both 0 and -1, which allowzero=1 forbids");
    const int64_t total = ShapeSize(in);
    if (infer_at >= 0) {
      if (known == 0 || total % known != 0)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot reshape input of shape " + ShapeToString(in) + " to " + ShapeToString(req));
      req[infer_at] = total / known;
    } else if (known != total) {
      throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot reshape input of shape " + ShapeToString(in) + " (" +
                                                          std::to_string(total) + " elements) to " + ShapeToString(req) + " (" +
                                                          std::to_string(known) + " elements)");
    }
    return req;
  }

  bool allowzero_;
  bool from_attr_ = false;
  std::vector<int64_t> shape_attr_;
};

class FlattenKernel final : public OpKernel {
 public:
  explicit FlattenKernel(const KernelInfo& info) : axis_(info.GetInt("axis", 1)) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    if (axis_ < -rank || axis_ > rank)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "axis " + std::to_string(axis_) + " is out of range [" +
                                                          std::to_string(-rank) + ", " + std::to_string(rank) + "] for input of shape " +
                                                          ShapeToString(x.shape()));
    const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < rank; ++i) (i < axis ? outer : inner) *= x.dim(i);
    ctx.SetOutput(0, x.Reshaped({outer, inner}));
  }

 private:
  int64_t axis_;
};

// Axes from the attribute (before opset 13) or from the optional host input 1 (since).
std::vector<int64_t> AxesOf(const KernelContext& ctx, bool from_attr, const std::vector<int64_t>& attr) {
  if (from_attr) return attr;
  const Tensor* t = ctx.OptionalInput(1);
  if (!t) return {};
  return ReadIndices(*t, ctx, "axes");
}

class SqueezeKernel final : public OpKernel {
 public:
  explicit SqueezeKernel(const KernelInfo& info) : from_attr_(info.opset() < 13), axes_attr_(info.GetInts("axes")) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    const std::vector<int64_t> axes = AxesOf(ctx, from_attr_, axes_attr_);
    std::vector<bool> drop(rank, false);
    if (axes.empty()) {
      for (int64_t i = 0; i < rank; ++i) drop[i] = x.dim(i) == 1;
    } else {
      for (int64_t a : axes) {
        const int64_t n = CheckedAxis(a, rank, ctx, "squeeze axis");
        if (x.dim(n) != 1)
          throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot squeeze axis " + std::to_string(a) + " of input of shape " +
                                                              ShapeToString(x.shape()) + ": its size is not 1");
        drop[n] = true;
      }
    }
    std::vector<int64_t> out;
    for (int64_t i = 0; i < rank; ++i)
      if (!drop[i]) out.push_back(x.dim(i));
    ctx.SetOutput(0, x.Reshaped(std::move(out)));
  }

 private:
  bool from_attr_;
  std::vector<int64_t> axes_attr_;
};

class UnsqueezeKernel final : public OpKernel {
 public:
  explicit UnsqueezeKernel(const KernelInfo& info) : from_attr_(info.opset() < 13), axes_attr_(info.GetInts("axes")) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const std::vector<int64_t> axes = from_attr_ ? axes_attr_ : ReadIndices(ctx.Input(1), ctx, "axes");
    const int64_t out_rank = static_cast<int64_t>(x.rank() + axes.size());
    std::vector<bool> inserted(out_rank, false);
    for (int64_t a : axes) {
      const int64_t n = CheckedAxis(a, out_rank, ctx, "unsqueeze axis");
      if (inserted[n]) throw ctx.MakeError(ErrorCode::InvalidArgument, "axes " + ShapeToString(axes) + " repeat axis " + std::to_string(a));
      inserted[n] = true;
    }
    std::vector<int64_t> out(out_rank);
    size_t next = 0;
    for (int64_t i = 0; i < out_rank; ++i) out[i] = inserted[i] ? 1 : x.dim(next++);
    ctx.SetOutput(0, x.Reshaped(std::move(out)));
  }

 private:
  bool from_attr_;
  std::vector<int64_t> axes_attr_;
};

}  // namespace

void RegisterCudaReshapeKernels(KernelRegistry& r) {
  const auto& types = DataMovementTypes();
  r.Register(CudaDef<ReshapeKernel>("Reshape", 1, 4, types));
  r.Register(CudaDef<ReshapeKernel>("Reshape", 5, 12, types, {1}));
  r.Register(CudaDef<ReshapeKernel>("Reshape", 13, 13, types, {1}));
  r.Register(CudaDef<ReshapeKernel>("Reshape", 14, INT64_MAX, types, {1}));
  r.Register(CudaDef<FlattenKernel>("Flatten", 1, INT64_MAX, types));
  r.Register(CudaDef<SqueezeKernel>("Squeeze", 1, 10, types));
  r.Register(CudaDef<SqueezeKernel>("Squeeze", 11, 12, types));
  r.Register(CudaDef<SqueezeKernel>("Squeeze", 13, INT64_MAX, types, {1}));
  r.Register(CudaDef<UnsqueezeKernel>("Unsqueeze", 1, 10, types));
  r.Register(CudaDef<UnsqueezeKernel>("Unsqueeze", 11, 12, types));
  r.Register(CudaDef<UnsqueezeKernel>("Unsqueeze", 13, INT64_MAX, types, {1}));
}

}  // namespace onyx::cuda
