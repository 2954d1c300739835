// Ops that grow a tensor: Expand (broadcast: stride 0) and Tile (repeat dims of stride 0) are
// strided copies; Pad (constant, edge, reflect, wrap; negative pads crop) maps each output
// coordinate to its source on the device.
#include <algorithm>
#include <cstring>

#include "copy_impl.h"
#include "core/float16.h"
#include "cuda_tensor.h"
#include "tensor/tensor_helpers.h"
#include "tensor/tensor_shapes.h"

namespace onyx::cuda {
namespace {

class ExpandKernel final : public CudaKernel {
 public:
  explicit ExpandKernel(const KernelInfo& info) : CudaKernel(info) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const std::vector<int64_t> out_shape = ExpandOutputShape(x.shape(), ctx.Input(1), ctx);
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
    const auto [out_shape, view_shape, view_strides] = ResolveTile(x.shape(), ctx.Input(1), ctx);
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
  explicit PadKernel(const KernelInfo& info) : CudaKernel(info), attrs_(info), mode_(KindOf(attrs_.mode)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.Input(0);
    const int64_t rank = static_cast<int64_t>(x.rank());
    const DataType dt = x.dtype();
    const PadAmounts amounts = ResolvePadAmounts(attrs_, rank, ctx);

    if (rank > kMaxCopyDims)
      throw ctx.MakeError(ErrorCode::NotImplemented, "the CUDA Pad kernel takes inputs of rank at most " + std::to_string(kMaxCopyDims) +
                                                         ", got " + std::to_string(rank));
    const std::vector<int64_t> in_strides = ContiguousStrides(x.shape());
    PadArgs args;
    args.rank = static_cast<int>(rank);
    args.mode = mode_;
    // Negative pads crop first; the cropped window of size d is then padded with the positive parts.
    const PadLayout layout = ResolvePadLayout(x.shape(), amounts, mode_ == PadModeKind::Constant, ctx);
    const std::vector<int64_t>& out_shape = layout.out_shape;
    for (int64_t k = 0; k < rank; ++k) {
      args.out_shape[k] = out_shape[k];
      args.pad_begin[k] = layout.pad_begin[k];
      args.size[k] = layout.size[k];
      args.crop_begin[k] = layout.crop_begin[k];
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
    if (attrs_.opset >= 11) {
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
    FloatBytes(dt, attrs_.value, fill);
  }

  static PadModeKind KindOf(PadMode mode) {
    switch (mode) {
      case PadMode::Constant: return PadModeKind::Constant;
      case PadMode::Reflect: return PadModeKind::Reflect;
      case PadMode::Edge: return PadModeKind::Edge;
      case PadMode::Wrap: return PadModeKind::Wrap;
    }
    return PadModeKind::Constant;
  }

  PadAttributes attrs_;
  PadModeKind mode_;
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
