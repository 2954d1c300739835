// Ops that grow a tensor: Expand (broadcast), Tile (repeat) and Pad (constant, edge, reflect,
// wrap; negative pads crop).
#include "core/thread_pool.h"
#include "tensor/tensor_helpers.h"

namespace onyx {
namespace {

class ExpandKernel final : public OpKernel {
 public:
  explicit ExpandKernel(const KernelInfo&) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const Tensor& shape_t = ctx.Input(1);
    if (shape_t.rank() != 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "shape should be 1-D but has shape " + ShapeToString(shape_t.shape()));
    std::vector<int64_t> shape = ReadIndices(shape_t, ctx, "shape");
    for (int64_t d : shape)
      if (d < 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(shape) + " has a negative dimension");
    std::vector<int64_t> out_shape = BroadcastShapes(x.shape(), shape, ctx);
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
    std::vector<int64_t> repeats = ReadIndices(ctx.Input(1), ctx, "repeats");
    const size_t rank = x.rank();
    if (ctx.Input(1).rank() != 1 || repeats.size() != rank)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "repeats should be a 1-D tensor of " + std::to_string(rank) +
                                                          " values, got shape " + ShapeToString(ctx.Input(1).shape()));
    // Output viewed as [r0, d0, r1, d1, ...]: the repeat dims have source stride 0.
    std::vector<int64_t> in_strides = ContiguousStrides(x.shape()), view_shape, view_strides, out_shape(rank);
    for (size_t i = 0; i < rank; ++i) {
      if (repeats[i] < 0)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "repeats " + ShapeToString(repeats) + " has a negative value");
      view_shape.insert(view_shape.end(), {repeats[i], x.dim(i)});
      view_strides.insert(view_strides.end(), {0, in_strides[i]});
      out_shape[i] = repeats[i] * x.dim(i);
    }
    ShapeSize(view_shape);  // rejects overflowing products before they are multiplied out
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0) return;
    StridedCopy(x.dtype(), view_shape, y.raw_data(), x.raw_data(), 0, view_strides, ctx.thread_pool());
  }
};

enum class PadMode { Constant, Reflect, Edge, Wrap };

class PadKernel final : public OpKernel {
 public:
  explicit PadKernel(const KernelInfo& info) : opset_(info.opset()), value_(info.GetFloat("value", 0.f)) {
    std::string mode = info.GetString("mode", "constant");
    if (mode == "constant") mode_ = PadMode::Constant;
    else if (mode == "reflect") mode_ = PadMode::Reflect;
    else if (mode == "edge") mode_ = PadMode::Edge;
    else if (mode == "wrap" && opset_ >= 19) mode_ = PadMode::Wrap;
    else throw info.MakeError(ErrorCode::InvalidGraph, "pad mode '" + mode + "' is not supported at opset " + std::to_string(opset_));
    if (opset_ < 11) {
      const char* name = opset_ < 2 ? "paddings" : "pads";
      if (!info.HasAttribute(name)) throw info.MakeError(ErrorCode::InvalidGraph, std::string("required attribute '") + name + "' is missing");
      pads_attr_ = info.GetInts(name);
    }
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    const DataType dt = x.dtype();
    std::vector<int64_t> pads = opset_ < 11 ? pads_attr_ : ReadIndices(ctx.Input(1), ctx, "pads");
    std::vector<int64_t> axes;
    if (const Tensor* a = opset_ >= 18 ? ctx.OptionalInput(3) : nullptr) {
      for (int64_t v : ReadIndices(*a, ctx, "axes")) axes.push_back(CheckedAxis(v, rank, ctx, "pad axis"));
    } else {
      for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
    }
    if (pads.size() != 2 * axes.size())
      throw ctx.MakeError(ErrorCode::InvalidArgument, "pads should have " + std::to_string(2 * axes.size()) + " values (2 per axis), got " +
                                                          std::to_string(pads.size()));
    std::vector<int64_t> begin(rank, 0), end(rank, 0);
    std::vector<bool> seen(rank, false);
    for (size_t i = 0; i < axes.size(); ++i) {
      if (seen[axes[i]]) throw ctx.MakeError(ErrorCode::InvalidArgument, "axes repeat axis " + std::to_string(axes[i]));
      seen[axes[i]] = true;
      begin[axes[i]] = pads[i];
      end[axes[i]] = pads[i + axes.size()];
    }
    constexpr int64_t kMaxPad = int64_t(1) << 48;  // far beyond any allocatable tensor; keeps sums in range
    for (int64_t p : pads)
      if (p > kMaxPad || p < -kMaxPad) throw ctx.MakeError(ErrorCode::InvalidArgument, "pad " + std::to_string(p) + " is too large");

    // Negative pads crop first; the cropped view of size d is then padded with the positive parts.
    std::vector<int64_t> out_shape(rank), crop_b(rank), pad_b(rank), d(rank);
    for (int64_t k = 0; k < rank; ++k) {
      crop_b[k] = std::max<int64_t>(0, -begin[k]);
      pad_b[k] = std::max<int64_t>(0, begin[k]);
      d[k] = x.dim(k) - crop_b[k] - std::max<int64_t>(0, -end[k]);
      if (d[k] < 0)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "negative pads on axis " + std::to_string(k) + " remove more than its " +
                                                            std::to_string(x.dim(k)) + " elements");
      out_shape[k] = d[k] + pad_b[k] + std::max<int64_t>(0, end[k]);
      if (d[k] == 0 && out_shape[k] > 0 && mode_ != PadMode::Constant)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot pad axis " + std::to_string(k) + " of size 0 in edge, reflect or wrap mode");
    }
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
          switch (mode_) {
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
    if (opset_ >= 11) {
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
        v.data<T>()[0] = FromFloat<T>(value_);
      } else if constexpr (std::is_arithmetic_v<T>) {
        v.data<T>()[0] = static_cast<T>(value_);
      }
    });
    return v;
  }

  int64_t opset_;
  float value_;
  PadMode mode_ = PadMode::Constant;
  std::vector<int64_t> pads_attr_;
};

}  // namespace

void RegisterPadTileExpandKernels(KernelRegistry& r) {
  RegisterTensorKernel(r, "Expand", 8, INT64_MAX, AllTensorTypes(), MakeFactory<ExpandKernel>());
  RegisterTensorKernel(r, "Tile", 6, INT64_MAX, AllTensorTypes(), MakeFactory<TileKernel>());
  RegisterTensorKernel(r, "Pad", 1, INT64_MAX, AllTensorTypes(), MakeFactory<PadKernel>());
}

}  // namespace onyx
