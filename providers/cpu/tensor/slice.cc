// Selecting parts of a tensor along axes: Slice, Compress, ReverseSequence.
#include <limits>

#include "tensor/tensor_helpers.h"

namespace onyx {
namespace {

class SliceKernel final : public OpKernel {
 public:
  explicit SliceKernel(const KernelInfo& info) : from_attrs_(info.opset() < 10) {
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
    std::vector<int64_t> in_strides = ContiguousStrides(x.shape());
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
        strides[axis] = len > 1 ? in_strides[axis] * step : 0;
      }
    }
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0) return;
    StridedCopy(x.dtype(), out_shape, y.raw_data(), x.raw_data(), offset, strides, ctx.thread_pool());
  }

 private:
  bool from_attrs_;
  std::vector<int64_t> starts_, ends_, axes_;
  bool has_axes_ = false;
};

class CompressKernel final : public OpKernel {
 public:
  explicit CompressKernel(const KernelInfo& info) : has_axis_(info.HasAttribute("axis")), axis_(info.GetInt("axis", 0)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const Tensor& cond = ctx.Input(1);
    if (cond.dtype() != DataType::Bool || cond.rank() != 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "condition should be a 1-D bool tensor, got " + std::string(DataTypeName(cond.dtype())) +
                                                          " of shape " + ShapeToString(cond.shape()));
    std::vector<int64_t> shape = has_axis_ ? x.shape() : std::vector<int64_t>{x.size()};
    const int64_t rank = static_cast<int64_t>(shape.size());
    const int64_t axis = has_axis_ ? CheckedAxis(axis_, rank, ctx) : 0;
    const int64_t dim = shape[axis];
    std::vector<int64_t> picked;
    for (int64_t i = 0; i < cond.size(); ++i) {
      if (!cond.data<bool>()[i]) continue;
      if (i >= dim)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "condition selects index " + std::to_string(i) + " but axis " +
                                                            std::to_string(axis) + " has size " + std::to_string(dim));
      picked.push_back(i);
    }
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= shape[i];
    for (int64_t i = axis + 1; i < rank; ++i) inner *= shape[i];
    shape[axis] = static_cast<int64_t>(picked.size());
    Tensor& y = ctx.Output(0, x.dtype(), shape);
    const DataType dt = x.dtype();
    int64_t out = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t p : picked) {
        CopyElements(dt, ElementAt(y.raw_data(), dt, out), ElementAt(x.raw_data(), dt, (o * dim + p) * inner), inner);
        out += inner;
      }
  }

 private:
  bool has_axis_;
  int64_t axis_;
};

class ReverseSequenceKernel final : public OpKernel {
 public:
  explicit ReverseSequenceKernel(const KernelInfo& info)
      : batch_axis_(info.GetInt("batch_axis", 1)), time_axis_(info.GetInt("time_axis", 0)) {
    if ((batch_axis_ != 0 && batch_axis_ != 1) || (time_axis_ != 0 && time_axis_ != 1) || batch_axis_ == time_axis_)
      throw info.MakeError(ErrorCode::InvalidGraph, "batch_axis and time_axis should be 0 and 1 in some order, got " +
                                                        std::to_string(batch_axis_) + " and " + std::to_string(time_axis_));
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    if (x.rank() < 2) throw ctx.MakeError(ErrorCode::InvalidArgument, "input should have rank >= 2, got shape " + ShapeToString(x.shape()));
    const int64_t batch = x.dim(batch_axis_), time = x.dim(time_axis_);
    std::vector<int64_t> lens = ReadIndices(ctx.Input(1), ctx, "sequence_lens");
    if (static_cast<int64_t>(lens.size()) != batch)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "sequence_lens has " + std::to_string(lens.size()) +
                                                          " entries but the batch size is " + std::to_string(batch));
    for (int64_t l : lens)
      if (l < 0 || l > time)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "sequence length " + std::to_string(l) + " is outside [0, " +
                                                            std::to_string(time) + "]");
    const std::vector<int64_t> strides = ContiguousStrides(x.shape());
    const int64_t inner = strides[1], bs = strides[batch_axis_], ts = strides[time_axis_];
    const DataType dt = x.dtype();
    Tensor& y = ctx.Output(0, dt, x.shape());
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t t = 0; t < time; ++t) {
        int64_t src_t = t < lens[b] ? lens[b] - 1 - t : t;
        CopyElements(dt, ElementAt(y.raw_data(), dt, b * bs + t * ts), ElementAt(x.raw_data(), dt, b * bs + src_t * ts), inner);
      }
  }

 private:
  int64_t batch_axis_, time_axis_;
};

}  // namespace

void RegisterSliceKernels(KernelRegistry& r) {
  RegisterTensorKernel(r, "Slice", 1, INT64_MAX, AllTensorTypes(), MakeFactory<SliceKernel>());
  RegisterTensorKernel(r, "Compress", 9, INT64_MAX, AllTensorTypes(), MakeFactory<CompressKernel>());
  RegisterTensorKernel(r, "ReverseSequence", 10, INT64_MAX, AllTensorTypes(), MakeFactory<ReverseSequenceKernel>());
}

}  // namespace onyx
