// Softmax and LogSoftmax (before opset 13 over the input coerced to 2-D at `axis`, since 13
// along `axis`), and LayerNormalization on CUDA, for float and float16.
#include <memory>
#include <string>

#include "cuda_math.h"
#include "math/math_shapes.h"
#include "nn/nn_common.h"
#include "row_ops_impl.h"

namespace onyx::cuda {

namespace {

template <bool kLog>
class SoftmaxKernel final : public CudaKernel {
 public:
  explicit SoftmaxKernel(const KernelInfo& info)
      : CudaKernel(info), legacy_(info.opset() < 13), axis_(info.GetInt("axis", info.opset() < 13 ? 1 : -1)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    if (!IsFloatType(X.dtype()))
      throw ctx.MakeError(ErrorCode::NotImplemented,
                          std::string("element type ") + DataTypeName(X.dtype()) + " is not supported on CUDA");
    const SoftmaxDims dims = ResolveSoftmaxDims(X.shape(), axis_, legacy_, ctx);
    const int64_t outer = dims.outer, len = dims.len, inner = dims.inner;
    Tensor& Y = ctx.Output(0, X.dtype(), X.shape());
    if (Y.size() == 0) return;
    CheckCuda(LaunchSoftmax(X.dtype() == DataType::Float16, kLog, X.raw_data(), Y.raw_data(), outer, len, inner, stream()),
              kLog ? "LogSoftmax" : "Softmax");
  }

 private:
  bool legacy_;
  int64_t axis_;
};

class LayerNormKernel final : public CudaKernel {
 public:
  explicit LayerNormKernel(const KernelInfo& info)
      : CudaKernel(info), axis_(info.GetInt("axis", -1)), epsilon_(info.GetFloat("epsilon", 1e-5f)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const Tensor& S = ctx.Input(1);
    const Tensor* B = ctx.OptionalInput(2);
    if (!IsFloatType(X.dtype()) || !IsFloatType(S.dtype()) || (B && B->dtype() != S.dtype()))
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element types ") + DataTypeName(X.dtype()) + ", " +
                                                         DataTypeName(S.dtype()) + " are not supported on CUDA");
    const LayerNormLayout layout = ResolveLayerNormLayout(X.shape(), axis_, ctx);
    const std::vector<int64_t>& norm_shape = layout.norm_shape;
    const std::vector<int64_t>& stat_shape = layout.stat_shape;
    const int64_t n = layout.n, rows = layout.rows;
    Tensor& Y = ctx.Output(0, X.dtype(), X.shape());
    Tensor* mean = ctx.has_output(1) ? &ctx.Output(1, DataType::Float, stat_shape) : nullptr;
    Tensor* inv = ctx.has_output(2) ? &ctx.Output(2, DataType::Float, stat_shape) : nullptr;
    if (rows == 0) return;
    std::shared_ptr<void> scale_buf, bias_buf;
    const void* scale = Param(ctx, S, norm_shape, "Scale", scale_buf);
    const void* bias = B ? Param(ctx, *B, norm_shape, "B", bias_buf) : nullptr;
    CheckCuda(LaunchLayerNorm(X.dtype() == DataType::Float16, S.dtype() == DataType::Float16, X.raw_data(), scale, bias,
                              Y.raw_data(), mean ? mean->data<float>() : nullptr, inv ? inv->data<float>() : nullptr,
                              rows, n, epsilon_, stream()),
              "LayerNormalization");
  }

 private:
  // The parameter's values over the normalized shape: the tensor itself when it has that many
  // elements, else expanded (right-aligned numpy broadcasting) into scratch memory.
  const void* Param(const KernelContext& ctx, const Tensor& p, const std::vector<int64_t>& norm_shape, const char* name,
                    std::shared_ptr<void>& buf) const {
    const int64_t n = ShapeSize(norm_shape);
    if (p.size() == n) return p.raw_data();
    const std::vector<int64_t> trimmed = LayerNormParamShape(p.shape(), norm_shape, name, ctx);
    const BroadcastParams bp = MakeBroadcastParams(ctx, {&trimmed}, norm_shape);
    const size_t elem = DataTypeSize(p.dtype());
    buf = cuda().Scratch(static_cast<size_t>(n) * elem);
    CheckCuda(LaunchBroadcastCopy(static_cast<int>(elem), p.raw_data(), buf.get(), n, bp, stream()), name);
    return buf.get();
  }

  int64_t axis_;
  float epsilon_;
};

}  // namespace

void RegisterCudaSoftmaxKernels(KernelRegistry& r) {
  auto float_input = [](const Node&, const NodeOperandTypes& t) { return IsFloatType(InputType(t, 0)); };
  KernelDef softmax = CudaDef<SoftmaxKernel<false>>("Softmax", 1, INT64_MAX, FloatTypes());
  softmax.supports = float_input;
  r.Register(std::move(softmax));
  KernelDef log_softmax = CudaDef<SoftmaxKernel<true>>("LogSoftmax", 1, INT64_MAX, FloatTypes());
  log_softmax.supports = float_input;
  r.Register(std::move(log_softmax));

  // From opset 1 as on the CPU: onnxruntime runs ai.onnx LayerNormalization below opset 17 too.
  KernelDef ln = CudaDef<LayerNormKernel>("LayerNormalization", 1, INT64_MAX, FloatTypes());
  ln.supports = [](const Node& n, const NodeOperandTypes& t) {
    if (!IsFloatType(InputType(t, 0)) || !HasInput(n, 1) || !IsFloatType(InputType(t, 1))) return false;
    if (HasInput(n, 2) && InputType(t, 2) != InputType(t, 1)) return false;
    // Mean and InvStdDev are produced in float (stash_type 1); a double stash stays on the CPU.
    const Attribute* stash = n.FindAttribute("stash_type");
    if (stash && (stash->type != Attribute::Type::Int || stash->i != static_cast<int64_t>(DataType::Float))) return false;
    for (size_t i = 1; i <= 2; ++i)
      if (HasOutput(n, i) && OutputType(t, i) != DataType::Float && OutputType(t, i) != DataType::Undefined) return false;
    return true;
  };
  r.Register(std::move(ln));
}

}  // namespace onyx::cuda
