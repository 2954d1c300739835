// BitCast (opset 26): reinterprets each element's bits as another type of the same width.
#include <cstring>

#include "math/math_kernels.h"

namespace onyx::math {

namespace {

// Width in bits of one element as ONNX defines it (sub-byte types by their packed width).
int BitWidth(DataType t) {
  if (const int b = PackedBits(t)) return b;
  return static_cast<int>(DataTypeSize(t)) * 8;
}

class BitCastKernel final : public OpKernel {
 public:
  explicit BitCastKernel(const KernelInfo& info) {
    const int64_t to = info.RequireInt("to");
    if (!IsKnownDataType(static_cast<int32_t>(to)) || to == static_cast<int64_t>(DataType::String))
      throw info.MakeError(ErrorCode::InvalidGraph, "attribute 'to' must be a non-string element type, got " + std::to_string(to));
    to_ = static_cast<DataType>(to);
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const DataType from = X.dtype();
    if (from == DataType::String || BitWidth(from) == 0)
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("BitCast input must be a non-string tensor, got ") + DataTypeName(from));
    if (BitWidth(from) != BitWidth(to_))
      throw ctx.MakeError(ErrorCode::InvalidArgument, std::string("BitCast needs types of the same width: ") + DataTypeName(from) + " has " +
                                                          std::to_string(BitWidth(from)) + " bits, " + DataTypeName(to_) + " has " +
                                                          std::to_string(BitWidth(to_)));
    Tensor& Y = ctx.Output(0, to_, X.shape());
    if (X.size() == 0) return;
    if (const int bits = PackedBits(to_)) {
      // Sub-byte types are stored one per byte, the signed ones sign-extended: keep the low
      // bits, then extend them again for the target.
      const uint8_t* x = X.data<uint8_t>();
      uint8_t* y = Y.data<uint8_t>();
      const uint32_t mask = (1u << bits) - 1;
      const bool sign_ext = to_ == DataType::Int4 || to_ == DataType::Int2;
      for (int64_t i = 0; i < X.size(); ++i) {
        uint32_t v = x[i] & mask;
        if (sign_ext && (v >> (bits - 1))) v |= ~mask;
        y[i] = static_cast<uint8_t>(v);
      }
      return;
    }
    std::memcpy(Y.raw_data(), X.raw_data(), X.nbytes());
  }

 private:
  DataType to_;
};

}  // namespace

void RegisterBitCastKernels(KernelRegistry& r) { RegisterOp<BitCastKernel>(r, "BitCast", kNumeric | kBool, 26); }

}  // namespace onyx::math
