// Selecting parts of a tensor along axes: Slice, Compress, ReverseSequence.
#include <limits>

#include "tensor/tensor_helpers.h"
#include "tensor/tensor_shapes.h"

namespace onyx {
namespace {

class SliceKernel final : public OpKernel {
 public:
  explicit SliceKernel(const KernelInfo& info) : attrs_(info) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const auto [out_shape, strides, offset] = ResolveSlice(attrs_, x.shape(), ctx);
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0) return;
    StridedCopy(x.dtype(), out_shape, y.raw_data(), x.raw_data(), offset, strides, ctx.thread_pool());
  }

 private:
  SliceAttributes attrs_;
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
