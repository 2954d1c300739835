// Concat and Split: each input (output) is one strided block copy along the axis.
#include <algorithm>

#include "cuda_tensor.h"
#include "tensor/tensor_helpers.h"

namespace onyx::cuda {
namespace {

// Element counts before and after `axis` in `shape`.
void OuterInner(const std::vector<int64_t>& shape, int64_t axis, int64_t& outer, int64_t& inner) {
  outer = inner = 1;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
    if (i < axis) outer *= shape[i];
    if (i > axis) inner *= shape[i];
  }
}

class ConcatKernel final : public CudaKernel {
 public:
  explicit ConcatKernel(const KernelInfo& info)
      : CudaKernel(info), axis_(info.opset() < 4 ? info.GetInt("axis", 1) : info.RequireInt("axis")) {}

  void Compute(KernelContext& ctx) const override {
    std::vector<const Tensor*> inputs;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) inputs.push_back(&ctx.Input(i));
    if (inputs.empty()) throw ctx.MakeError(ErrorCode::InvalidArgument, "Concat needs at least one input");
    const Tensor& first = *inputs[0];
    const int64_t rank = static_cast<int64_t>(first.rank());
    if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot concatenate scalars");
    const int64_t axis = CheckedAxis(axis_, rank, ctx);
    std::vector<int64_t> out_shape = first.shape();
    out_shape[axis] = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Tensor& t = *inputs[i];
      if (t.dtype() != first.dtype())
        throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " has type " + DataTypeName(t.dtype()) +
                                                            " but input 0 has type " + DataTypeName(first.dtype()));
      bool ok = static_cast<int64_t>(t.rank()) == rank;
      for (int64_t d = 0; ok && d < rank; ++d) ok = d == axis || t.dim(d) == first.dim(d);
      if (!ok)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " has shape " + ShapeToString(t.shape()) +
                                                            ", which does not match input 0's " + ShapeToString(first.shape()) +
                                                            " outside axis " + std::to_string(axis));
      out_shape[axis] += t.dim(axis);
    }
    const DataType dt = first.dtype();
    Tensor& y = ctx.Output(0, dt, out_shape);
    if (y.size() == 0) return;
    int64_t outer, inner;
    OuterInner(out_shape, axis, outer, inner);
    const int64_t row = out_shape[axis] * inner;
    int64_t dst_off = 0;
    for (const Tensor* t : inputs) {
      const int64_t chunk = t->dim(axis) * inner;
      if (chunk > 0) Copy2D(stream(), dt, DeviceElementAt(y.raw_data(), dt, dst_off), row, t->raw_data(), chunk, outer, chunk);
      dst_off += chunk;
    }
  }

 private:
  int64_t axis_;
};

class SplitKernel final : public CudaKernel {
 public:
  explicit SplitKernel(const KernelInfo& info)
      : CudaKernel(info),
        axis_(info.GetInt("axis", 0)),
        split_attr_(info.GetInts("split")),
        split_from_attr_(info.opset() < 13 && info.HasAttribute("split")),
        num_outputs_(info.GetInt("num_outputs", 0)),
        has_num_outputs_(info.opset() >= 18 && info.HasAttribute("num_outputs")) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    if (rank == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot split a scalar");
    const int64_t axis = CheckedAxis(axis_, rank, ctx);
    const int64_t dim = x.dim(axis);
    const int64_t n_out = static_cast<int64_t>(ctx.num_outputs());
    if (n_out == 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "Split needs at least one output");
    std::vector<int64_t> sizes;
    if (split_from_attr_) {
      sizes = split_attr_;
    } else if (const Tensor* s = ctx.OptionalInput(1)) {
      sizes = ReadIndices(*s, ctx, "split");
    }
    if (!sizes.empty()) {
      if (has_num_outputs_) throw ctx.MakeError(ErrorCode::InvalidArgument, "give either the split input or num_outputs, not both");
      int64_t sum = 0;
      for (int64_t s : sizes) {
        if (s < 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "split " + ShapeToString(sizes) + " has a negative size");
        sum += s;
      }
      if (static_cast<int64_t>(sizes.size()) != n_out || sum != dim)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "split " + ShapeToString(sizes) + " should have " + std::to_string(n_out) +
                                                            " entries summing to " + std::to_string(dim) + " (axis " +
                                                            std::to_string(axis) + " of " + ShapeToString(x.shape()) + ")");
    } else if (has_num_outputs_) {
      if (num_outputs_ != n_out)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "num_outputs is " + std::to_string(num_outputs_) + " but the node has " +
                                                            std::to_string(n_out) + " outputs");
      const int64_t chunk = (dim + n_out - 1) / n_out;
      for (int64_t i = 0; i < n_out; ++i) sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
    } else {
      if (dim % n_out != 0)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "dimension " + std::to_string(dim) + " of axis " + std::to_string(axis) +
                                                            " cannot be split evenly into " + std::to_string(n_out) + " outputs");
      sizes.assign(n_out, dim / n_out);
    }
    int64_t outer, inner;
    OuterInner(x.shape(), axis, outer, inner);
    const DataType dt = x.dtype();
    int64_t start = 0;
    for (int64_t i = 0; i < n_out; ++i) {
      const int64_t size = sizes[i], begin = start;
      start += size;
      if (!ctx.has_output(i)) continue;
      std::vector<int64_t> shape = x.shape();
      shape[axis] = size;
      Tensor& y = ctx.Output(i, dt, shape);
      const int64_t chunk = size * inner;
      if (chunk == 0 || outer == 0) continue;
      Copy2D(stream(), dt, y.raw_data(), chunk, DeviceElementAt(x.raw_data(), dt, begin * inner), dim * inner, outer, chunk);
    }
  }

 private:
  int64_t axis_;
  std::vector<int64_t> split_attr_;
  bool split_from_attr_;
  int64_t num_outputs_;
  bool has_num_outputs_;
};

}  // namespace

void RegisterCudaConcatSplitKernels(KernelRegistry& r) {
  const auto& types = DataMovementTypes();
  r.Register(CudaDef<ConcatKernel>("Concat", 1, 3, types));
  r.Register(CudaDef<ConcatKernel>("Concat", 4, 10, types));
  r.Register(CudaDef<ConcatKernel>("Concat", 11, 12, types));
  r.Register(CudaDef<ConcatKernel>("Concat", 13, INT64_MAX, types));
  r.Register(CudaDef<SplitKernel>("Split", 1, 1, types, {1}));
  r.Register(CudaDef<SplitKernel>("Split", 2, 10, types));
  r.Register(CudaDef<SplitKernel>("Split", 11, 12, types));
  r.Register(CudaDef<SplitKernel>("Split", 13, 17, types, {1}));
  r.Register(CudaDef<SplitKernel>("Split", 18, INT64_MAX, types, {1}));
}

}  // namespace onyx::cuda
