// MaxUnpool (scatter of pooled values to their recorded flat indices) and CenterCropPad
// (centred crop or zero pad per axis).
#include <cstring>
#include <vector>

#include "detection/detection_kernels.h"
#include "tensor/tensor_helpers.h"

namespace onyx {
namespace {

class MaxUnpoolKernel final : public OpKernel {
 public:
  explicit MaxUnpoolKernel(const KernelInfo& info)
      : kernel_shape_(info.GetInts("kernel_shape")), pads_(info.GetInts("pads")), strides_(info.GetInts("strides")) {
    if (kernel_shape_.empty()) throw info.MakeError(ErrorCode::InvalidGraph, "kernel_shape is required");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const Tensor& idx_t = ctx.Input(1);
    const size_t r = kernel_shape_.size();
    if (x.rank() != r + 2)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "X should have rank " + std::to_string(r + 2) + " for kernel_shape of " +
                                                          std::to_string(r) + " values, got " + ShapeToString(x.shape()));
    if (idx_t.shape() != x.shape())
      throw ctx.MakeError(ErrorCode::InvalidArgument, "I should have X's shape " + ShapeToString(x.shape()) + ", got " + ShapeToString(idx_t.shape()));
    const std::vector<int64_t> strides = strides_.empty() ? std::vector<int64_t>(r, 1) : strides_;
    const std::vector<int64_t> pads = pads_.empty() ? std::vector<int64_t>(2 * r, 0) : pads_;
    if (strides.size() != r || pads.size() != 2 * r)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "strides should have " + std::to_string(r) + " values and pads " + std::to_string(2 * r));
    std::vector<int64_t> inferred = {x.dim(0), x.dim(1)};
    for (size_t d = 0; d < r; ++d) inferred.push_back((x.dim(d + 2) - 1) * strides[d] + kernel_shape_[d] - pads[d] - pads[d + r]);
    std::vector<int64_t> out_shape = inferred;
    if (const Tensor* os = ctx.OptionalInput(2)) {
      out_shape = ReadInt64s(*os, ctx);
      if (out_shape.size() != inferred.size())
        throw ctx.MakeError(ErrorCode::InvalidArgument, "output_shape should have " + std::to_string(inferred.size()) + " values, got " +
                                                            std::to_string(out_shape.size()));
    }
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    std::memset(y.raw_data(), 0, y.nbytes());  // only the indexed elements are written
    const std::vector<int64_t> idx = ReadInt64s(idx_t, ctx);
    // Indices address the inferred (unpadded) shape; with an explicit output_shape that block
    // sits at the origin of the output, as in the ONNX reference.
    const int64_t inferred_total = ShapeSize(inferred);
    const bool same = out_shape == inferred;
    const std::vector<int64_t> out_strides = ContiguousStrides(out_shape);
    auto target = [&](int64_t flat) -> int64_t {
      if (flat < 0 || flat >= inferred_total)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "index " + std::to_string(flat) + " in I is out of range for the unpooled shape " +
                                                            ShapeToString(inferred));
      if (same) return flat;
      int64_t off = 0;
      for (size_t d = inferred.size(); d-- > 0;) {
        const int64_t c = flat % inferred[d];
        flat /= inferred[d];
        if (c >= out_shape[d])
          throw ctx.MakeError(ErrorCode::InvalidArgument, "output_shape " + ShapeToString(out_shape) + " is smaller than the unpooled shape " +
                                                              ShapeToString(inferred));
        off += c * out_strides[d];
      }
      return off;
    };
    DispatchElement(x.dtype(), [&](auto tag) {
      using E = typename decltype(tag)::type;
      const E* src = x.data<E>();
      E* dst = y.data<E>();
      for (int64_t i = 0; i < x.size(); ++i) dst[target(idx[i])] = src[i];
    });
  }

 private:
  std::vector<int64_t> kernel_shape_, pads_, strides_;
};

class CenterCropPadKernel final : public OpKernel {
 public:
  explicit CenterCropPadKernel(const KernelInfo& info) : axes_(info.GetInts("axes")), has_axes_(info.HasAttribute("axes")) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const std::vector<int64_t> shape = ReadInt64s(ctx.Input(1), ctx);
    const int64_t rank = static_cast<int64_t>(x.rank());
    std::vector<int64_t> axes = axes_;
    if (!has_axes_)
      for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
    if (axes.size() != shape.size())
      throw ctx.MakeError(ErrorCode::InvalidArgument, "shape should have one value per axis (" + std::to_string(axes.size()) + "), got " +
                                                          std::to_string(shape.size()));
    std::vector<int64_t> out_shape = x.shape(), src_start(rank, 0), dst_start(rank, 0), count = x.shape();
    std::vector<bool> seen(rank, false);
    for (size_t k = 0; k < axes.size(); ++k) {
      const int64_t a = NormalizeAxis(axes[k], rank, ctx);
      if (seen[a]) throw ctx.MakeError(ErrorCode::InvalidArgument, "axis " + std::to_string(axes[k]) + " is repeated");
      seen[a] = true;
      const int64_t dim = x.dim(a), target = shape[k];
      if (target < 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "shape values should be >= 0, got " + std::to_string(target));
      out_shape[a] = target;
      count[a] = std::min(dim, target);
      if (target < dim) src_start[a] = (dim - target) / 2;
      else dst_start[a] = (target - dim) / 2;
    }
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (x.dtype() != DataType::String && y.nbytes()) std::memset(y.raw_data(), 0, y.nbytes());  // padding is zero
    if (y.size() == 0 || rank == 0) {
      if (rank == 0) CopyElements(x.dtype(), y.raw_data(), x.raw_data(), x.size());
      return;
    }
    for (int64_t c : count)
      if (c == 0) return;
    const std::vector<int64_t> in_strides = ContiguousStrides(x.shape()), out_strides = ContiguousStrides(out_shape);
    int64_t rows = 1;
    for (int64_t d = 0; d + 1 < rank; ++d) rows *= count[d];
    const int64_t row_len = count[rank - 1];
    for (int64_t row = 0; row < rows; ++row) {
      int64_t rem = row, src = src_start[rank - 1], dst = dst_start[rank - 1];
      for (int64_t d = rank - 2; d >= 0; --d) {
        const int64_t i = rem % count[d];
        rem /= count[d];
        src += (src_start[d] + i) * in_strides[d];
        dst += (dst_start[d] + i) * out_strides[d];
      }
      CopyElements(x.dtype(), ElementAt(y.raw_data(), x.dtype(), dst), ElementAt(x.raw_data(), x.dtype(), src), row_len);
    }
  }

 private:
  std::vector<int64_t> axes_;
  bool has_axes_;
};

}  // namespace

void RegisterUnpoolCropKernels(KernelRegistry& r) {
  r.Register({kCpuProvider, "", "MaxUnpool", 9, INT64_MAX, {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16},
              MakeFactory<MaxUnpoolKernel>()});
  r.Register({kCpuProvider, "", "CenterCropPad", 18, INT64_MAX, AllTensorTypes(), MakeFactory<CenterCropPadKernel>()});
}

}  // namespace onyx
