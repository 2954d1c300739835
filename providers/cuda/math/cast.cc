// Cast and CastLike among float, float16, double, int8, uint8, int32, int64 and bool; Identity
// and inference-mode Dropout, which output their input tensor without a copy.
#include <string>

#include "cuda_math.h"

namespace onyx::cuda {

namespace {

// The converted tensor, or the input itself when the type does not change.
void CastTo(KernelContext& ctx, DataType to, cudaStream_t stream) {
  const Tensor& X = ctx.Input(0);
  ElemType from_e, to_e;
  if (!ToElemType(X.dtype(), &from_e) || !ToElemType(to, &to_e))
    throw ctx.MakeError(ErrorCode::NotImplemented, std::string("cast from ") + DataTypeName(X.dtype()) + " to " +
                                                       DataTypeName(to) + " is not supported on CUDA");
  if (X.dtype() == to) {
    ctx.SetOutput(0, X);
    return;
  }
  Tensor& Y = ctx.Output(0, to, X.shape());
  if (Y.size() == 0) return;
  CheckCuda(LaunchCast(from_e, to_e, X.raw_data(), Y.raw_data(), Y.size(), stream), ctx.node().op_type.c_str());
}

class CastKernel final : public CudaKernel {
 public:
  explicit CastKernel(const KernelInfo& info) : CudaKernel(info), to_(static_cast<DataType>(info.RequireInt("to"))) {}
  void Compute(KernelContext& ctx) const override { CastTo(ctx, to_, stream()); }

 private:
  DataType to_;
};

class CastLikeKernel final : public CudaKernel {
 public:
  explicit CastLikeKernel(const KernelInfo& info) : CudaKernel(info) {}
  void Compute(KernelContext& ctx) const override { CastTo(ctx, ctx.Input(1).dtype(), stream()); }
};

class IdentityKernel final : public CudaKernel {
 public:
  explicit IdentityKernel(const KernelInfo& info) : CudaKernel(info) {}
  void Compute(KernelContext& ctx) const override { ctx.SetOutput(0, ctx.Input(0)); }
};

// Inference only (the supports predicate declines a training_mode input): the output is the
// input; the optional mask is all true (bool since opset 10, the input's type before).
class DropoutKernel final : public CudaKernel {
 public:
  explicit DropoutKernel(const KernelInfo& info) : CudaKernel(info), opset_(info.opset()) {}
  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    if (ctx.has_output(1)) {
      const DataType mask_type = opset_ < 10 ? X.dtype() : DataType::Bool;
      ElemType e;
      if (!ToElemType(mask_type, &e))
        throw ctx.MakeError(ErrorCode::NotImplemented,
                            std::string("mask of element type ") + DataTypeName(mask_type) + " is not supported on CUDA");
      Tensor& mask = ctx.Output(1, mask_type, X.shape());
      if (mask.size() > 0) CheckCuda(LaunchFill(e, mask.raw_data(), mask.size(), 1.0f, stream()), "Dropout mask");
    }
    ctx.SetOutput(0, X);
  }

 private:
  int64_t opset_;
};

bool CastPair(DataType from, DataType to) { return IsElemType(from) && IsElemType(to); }

}  // namespace

void RegisterCudaCastKernels(KernelRegistry& r) {
  const std::vector<DataType> cast_types = {DataType::Float, DataType::Float16, DataType::Double, DataType::Int8,
                                            DataType::UInt8, DataType::Int32,   DataType::Int64,  DataType::Bool};
  // Opset 1 named the target type with a string; from 6 it is an element type number.
  KernelDef cast = CudaDef<CastKernel>("Cast", 6, INT64_MAX, cast_types);
  cast.supports = [](const Node& n, const NodeOperandTypes& t) {
    const Attribute* to = n.FindAttribute("to");
    if (!to || to->type != Attribute::Type::Int) return false;
    return CastPair(InputType(t, 0), static_cast<DataType>(to->i));
  };
  r.Register(std::move(cast));

  // Input 1 only gives the target type: it stays wherever it is (no copy to the device).
  KernelDef cast_like = CudaDef<CastLikeKernel>("CastLike", 15, INT64_MAX, cast_types, {1});
  cast_like.supports = [](const Node& n, const NodeOperandTypes& t) {
    return n.inputs.size() == 2 && CastPair(InputType(t, 0), InputType(t, 1));
  };
  r.Register(std::move(cast_like));

  // Any fixed-size standard element type: the output is the input tensor.
  const std::vector<DataType> identity_types = {DataType::Float, DataType::Float16, DataType::BFloat16, DataType::Double,
                                                DataType::Int8,  DataType::UInt8,   DataType::Int16,    DataType::UInt16,
                                                DataType::Int32, DataType::UInt32,  DataType::Int64,    DataType::UInt64,
                                                DataType::Bool};
  KernelDef identity = CudaDef<IdentityKernel>("Identity", 1, INT64_MAX, identity_types);
  identity.supports = [identity_types](const Node&, const NodeOperandTypes& t) {
    for (DataType x : identity_types)
      if (InputType(t, 0) == x) return true;
    return false;
  };
  r.Register(std::move(identity));

  // ratio (input 1) is not read in inference; training_mode (input 2) makes the node stay on
  // the CPU, which implements training mode.
  KernelDef dropout = CudaDef<DropoutKernel>("Dropout", 1, INT64_MAX, {DataType::Float, DataType::Float16, DataType::Double},
                                             {1, 2});
  dropout.supports = [](const Node& n, const NodeOperandTypes& t) {
    const DataType x = InputType(t, 0);
    if (x != DataType::Float && x != DataType::Float16 && x != DataType::Double) return false;
    return !HasInput(n, 2);
  };
  r.Register(std::move(dropout));
}

}  // namespace onyx::cuda
