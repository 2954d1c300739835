// Ops that grow a tensor: Expand (broadcast: stride 0) and Tile (repeat dims of stride 0) are
// strided copies; Pad (constant, edge, reflect, wrap; negative pads crop) maps each output
// coordinate to its source on the device.
#include <algorithm>
#include <cstring>

#include "copy_impl.h"
#include "core/float16.h"
#include "cuda_tensor.h"
#include "tensor/tensor_helpers.h"

namespace onyx::cuda {
namespace {

class ExpandKernel final : public CudaKernel {
 public:
  explicit ExpandKernel(const KernelInfo& info) : CudaKernel(info) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const Tensor& shape_t = ctx.Input(1);
    if (shape_t.rank() != 1)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "shape should be 1-D but has shape " + ShapeToString(shape_t.shape()));
    const std::vector<int64_t> shape = ReadIndices(shape_t, ctx, "shape");
    for (int64_t d : shape)
      if (d < 0) throw ctx.MakeError(ErrorCode::InvalidArgument, "shape " + ShapeToString(shape) + " has a negative dimension");
    const std::vector<int64_t> out_shape = BroadcastShapes(x.shape(), shape, ctx);
    Tensor& y = ctx.Output(0, x.dtype(), out_shape);
    if (y.size() == 0) return;
    StridedCopy(stream(), x.dtype(), out_shape, y.raw_data(), x.raw_data(), 0, BroadcastStrides(x.shape(), out_shape), x.size());
  }
};

class TileKernel final : public CudaKernel {
 public:
  explicit TileKernel(const KernelInfo& info) : CudaKernel(info) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const std::vector<int64_t> repeats = ReadIndices(ctx.Input(1), ctx, "repeats");
    const size_t rank = x.rank();
    if (ctx.Input(1).rank() != 1 || repeats.size() != rank)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "repeats should be a 1-D tensor of " + std::to_string(rank) +
                                                          " values, got shape " + ShapeToString(ctx.Input(1).shape()));
    // Output viewed as [r0, d0, r1, d1, ...]: the repeat dims have source stride 0.
    const std::vector<int64_t> in_strides = ContiguousStrides(x.shape());
    std::vector<int64_t> view_shape, view_strides, out_shape(rank);
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
    StridedCopy(stream(), x.dtype(), view_shape, y.raw_data(), x.raw_data(), 0, view_strides, x.size());
  }
};

// The bytes of `value` converted to dt (the opset < 11 'value' attribute).
void FloatBytes(DataType dt, float value, unsigned char out[8]) {
  std::memset(out, 0, 8);
  auto put = [&](auto v) { std::memcpy(out, &v, sizeof(v)); };
  switch (dt) {
    case DataType::Float: put(value); break;
    case DataType::Double: put(static_cast<double>(value)); break;
    case DataType::Float16: put(FloatToHalf(value)); break;
    case DataType::BFloat16: put(FloatToBFloat16(value)); break;
    case DataType::Int8: put(static_cast<int8_t>(value)); break;
    case DataType::Int16: put(static_cast<int16_t>(value)); break;
    case DataType::Int32: put(static_cast<int32_t>(value)); break;
    case DataType::Int64: put(static_cast<int64_t>(value)); break;
    case DataType::UInt8: put(static_cast<uint8_t>(value)); break;
    case DataType::UInt16: put(static_cast<uint16_t>(value)); break;
    case DataType::UInt32: put(static_cast<uint32_t>(value)); break;
    case DataType::UInt64: put(static_cast<uint64_t>(value)); break;
    case DataType::Bool: put(static_cast<uint8_t>(value != 0.f)); break;
    default: throw Error(ErrorCode::NotImplemented, std::string("Pad cannot fill tensors of type ") + DataTypeName(dt));
  }
}

class PadKernel final : public CudaKernel {
 public:
  explicit PadKernel(const KernelInfo& info) : CudaKernel(info), opset_(info.opset()), value_(info.GetFloat("value", 0.f)) {
    const std::string mode = info.GetString("mode", "constant");
    if (mode == "constant") mode_ = PadModeKind::Constant;
    else if (mode == "reflect") mode_ = PadModeKind::Reflect;
    else if (mode == "edge") mode_ = PadModeKind::Edge;
    else if (mode == "wrap" && opset_ >= 19) mode_ = PadModeKind::Wrap;
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
    const std::vector<int64_t> pads = opset_ < 11 ? pads_attr_ : ReadIndices(ctx.Input(1), ctx, "pads");
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

    if (rank > kMaxCopyDims)
      throw ctx.MakeError(ErrorCode::NotImplemented, "the CUDA Pad kernel takes inputs of rank at most " + std::to_string(kMaxCopyDims) +
                                                         ", got " + std::to_string(rank));
    const std::vector<int64_t> in_strides = ContiguousStrides(x.shape());
    PadArgs args;
    args.rank = static_cast<int>(rank);
    args.mode = mode_;
    std::vector<int64_t> out_shape(rank);
    // Negative pads crop first; the cropped window of size d is then padded with the positive parts.
    for (int64_t k = 0; k < rank; ++k) {
      const int64_t crop_b = std::max<int64_t>(0, -begin[k]), pad_b = std::max<int64_t>(0, begin[k]);
      const int64_t d = x.dim(k) - crop_b - std::max<int64_t>(0, -end[k]);
      if (d < 0)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "negative pads on axis " + std::to_string(k) + " remove more than its " +
                                                            std::to_string(x.dim(k)) + " elements");
      out_shape[k] = d + pad_b + std::max<int64_t>(0, end[k]);
      if (d == 0 && out_shape[k] > 0 && mode_ != PadModeKind::Constant)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "cannot pad axis " + std::to_string(k) + " of size 0 in edge, reflect or wrap mode");
      args.out_shape[k] = out_shape[k];
      args.pad_begin[k] = pad_b;
      args.size[k] = d;
      args.crop_begin[k] = crop_b;
      args.in_stride[k] = in_strides[k];
    }
    unsigned char fill[8];
    PadValue(ctx, dt, fill);
    Tensor& y = ctx.Output(0, dt, out_shape);
    if (y.size() == 0) return;
    const size_t e = DataTypeSize(dt);
    if (e != 1 && e != 2 && e != 4 && e != 8)
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("Pad cannot move elements of type ") + DataTypeName(dt));
    LaunchPad(static_cast<int>(e), y.raw_data(), x.raw_data(), args, y.size(), fill, stream());
    CheckLaunch("Pad kernel");
  }

 private:
  // The constant for constant mode as the bytes of one element of dt (zero by default).
  void PadValue(const KernelContext& ctx, DataType dt, unsigned char fill[8]) const {
    std::memset(fill, 0, 8);
    if (opset_ >= 11) {
      if (const Tensor* c = ctx.OptionalInput(2)) {
        if (c->dtype() != dt)
          throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("constant_value has type ") + DataTypeName(c->dtype()) +
                                                              " but the input has type " + DataTypeName(dt));
        if (c->size() != 1)
          throw ctx.MakeError(ErrorCode::InvalidArgument, "constant_value should be a single value, got shape " + ShapeToString(c->shape()));
        std::memcpy(fill, c->raw_data(), std::min<size_t>(8, DataTypeSize(dt)));
      }
      return;
    }
    FloatBytes(dt, value_, fill);
  }

  int64_t opset_;
  float value_;
  PadModeKind mode_ = PadModeKind::Constant;
  std::vector<int64_t> pads_attr_;
};

bool PadSupported(const Node& node, const NodeOperandTypes& t) {
  if (t.inputs.empty()) return false;
  const auto& types = DataMovementTypes();
  if (std::find(types.begin(), types.end(), t.inputs[0]) == types.end()) return false;
  const Attribute* mode = node.FindAttribute("mode");
  if (!mode) return true;
  return mode->type == Attribute::Type::String &&
         (mode->s == "constant" || mode->s == "reflect" || mode->s == "edge" || (mode->s == "wrap" && node.opset >= 19));
}

}  // namespace

void RegisterCudaPadTileExpandKernels(KernelRegistry& r) {
  const auto& types = DataMovementTypes();
  r.Register(CudaDef<ExpandKernel>("Expand", 8, 12, types, {1}));
  r.Register(CudaDef<ExpandKernel>("Expand", 13, INT64_MAX, types, {1}));
  r.Register(CudaDef<TileKernel>("Tile", 6, 12, types, {1}));
  r.Register(CudaDef<TileKernel>("Tile", 13, INT64_MAX, types, {1}));
  const std::pair<int64_t, int64_t> pad_ranges[] = {{1, 1}, {2, 10}, {11, 12}, {13, 17}, {18, 18}, {19, 20}, {21, INT64_MAX}};
  for (auto [since, end] : pad_ranges) {
    KernelDef d = since >= 11 ? CudaDef<PadKernel>("Pad", since, end, types, {1, 2, 3}) : CudaDef<PadKernel>("Pad", since, end, types);
    d.supports = PadSupported;
    r.Register(std::move(d));
  }
}

}  // namespace onyx::cuda
