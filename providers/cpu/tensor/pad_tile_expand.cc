// Ops that grow a tensor: Expand (broadcast), Tile (repeat) and Pad (constant, edge, reflect,
// wrap; negative pads crop).
#include "core/thread_pool.h"
#include "tensor/tensor_helpers.h"
#include "tensor/tensor_shapes.h"

namespace onyx {
namespace {

class ExpandKernel final : public OpKernel {
 public:
  explicit ExpandKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    std::vector<int64_t> out_shape = ExpandOutputShape(x.shape(), ctx.Input(1), ctx);
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0) return;
    StridedCopy(x.dtype(), out_shape, y.raw_data(), x.raw_data(), 0, BroadcastStrides(x.shape(), out_shape), ctx.thread_pool());
  }
};

class TileKernel final : public OpKernel {
 public:
  explicit TileKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const auto [out_shape, view_shape, view_strides] = ResolveTile(x.shape(), ctx.Input(1), ctx);
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0) return;
    StridedCopy(x.dtype(), view_shape, y.raw_data(), x.raw_data(), 0, view_strides, ctx.thread_pool());
  }
};

class PadKernel final : public OpKernel {
 public:
  explicit PadKernel(const KernelInfo& info) : attrs_(info) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    const DataType dt = x.dtype();
    const PadAmounts amounts = ResolvePadAmounts(attrs_, rank, ctx);
    // Negative pads crop first; the cropped view of size d is then padded with the positive parts.
    const PadLayout layout = ResolvePadLayout(x.shape(), amounts, attrs_.mode == PadMode::Constant, ctx);
    const std::vector<int64_t>& out_shape = layout.out_shape;
    const std::vector<int64_t>& crop_b = layout.crop_begin;
    const std::vector<int64_t>& pad_b = layout.pad_begin;
    const std::vector<int64_t>& d = layout.size;
    Tensor pad_value = PadValue(ctx, dt);
    Tensor& y = ctx.Output(0, dt, out_shape);
    if (y.size() == 0) return;

    const std::vector<int64_t> in_strides = ContiguousStrides(x.shape());
    std::vector<std::vector<int64_t>> src_offsets(rank);  // per axis and output index; -1 = pad value
    for (int64_t k = 0; k < rank; ++k) {
      const int64_t n = d[k];
      src_offsets[k].resize(out_shape[k]);
      for (int64_t o = 0; o < out_shape[k]; ++o) {
        int64_t i = o - pad_b[k];
        if (i < 0 || i >= n) {
          switch (attrs_.mode) {
            case PadMode::Constant: i = -1; break;
            case PadMode::Edge: i = std::clamp<int64_t>(i, 0, n - 1); break;
            case PadMode::Wrap: i = ((i % n) + n) % n; break;
            case PadMode::Reflect:
              if (n == 1) {
                i = 0;
              } else {
                const int64_t period = 2 * (n - 1);
                i = ((i % period) + period) % period;
                if (i >= n) i = period - i;
              }
              break;
          }
        }
        src_offsets[k][o] = i < 0 ? -1 : (i + crop_b[k]) * in_strides[k];
      }
    }
    GatherAxisMaps(x, y, src_offsets, pad_value, ctx.thread_pool());
  }

 private:
  // The constant for constant mode, as a 1-element tensor of the input's type.
  Tensor PadValue(const KernelContext& ctx, DataType dt) const {
    Tensor v(dt, {});
    if (attrs_.opset >= 11) {
      if (const Tensor* c = ctx.OptionalInput(2)) {
        if (c->dtype() != dt)
          throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("constant_value has type ") + DataTypeName(c->dtype()) +
                                                              " but the input has type " + DataTypeName(dt));
        if (c->size() != 1)
          throw ctx.MakeError(ErrorCode::InvalidArgument, "constant_value should be a single value, got shape " + ShapeToString(c->shape()));
        CopyElements(dt, v.raw_data(), c->raw_data(), 1);
      }
      return v;
    }
    DispatchAll(dt, ctx, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
        v.data<T>()[0] = FromFloat<T>(attrs_.value);
      } else if constexpr (std::is_arithmetic_v<T>) {
        v.data<T>()[0] = static_cast<T>(attrs_.value);
      }
    });
    return v;
  }

  PadAttributes attrs_;
};

}  // namespace

void RegisterPadTileExpandKernels(KernelRegistry& r) {
  RegisterTensorKernel(r, "Expand", 8, INT64_MAX, AllTensorTypes(), MakeFactory<ExpandKernel>());
  RegisterTensorKernel(r, "Tile", 6, INT64_MAX, AllTensorTypes(), MakeFactory<TileKernel>());
  RegisterTensorKernel(r, "Pad", 1, INT64_MAX, AllTensorTypes(), MakeFactory<PadKernel>());
}

}  // namespace onyx
