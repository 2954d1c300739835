// BatchNormalization inference: parameters folded per channel into y = x * a[c] + b[c].
// Parameters may be float or float16 independently of X (opset 15 lets them differ).
#include "cudnn_common.h"
#include "nn_impl.h"

namespace onyx::cuda {

namespace {

class BatchNormalization final : public CudaKernel {
 public:
  explicit BatchNormalization(const KernelInfo& info) : CudaKernel(info), epsilon_(info.GetFloat("epsilon", 1e-5f)) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const DataType dt = X.dtype();
    if (!IsCudaFloat(dt))
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(dt) + " is not supported");
    if (X.rank() < 2)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input X should have rank >= 2 (N, C, ...), got shape " + ShapeToString(X.shape()));
    const int64_t C = X.dim(1);
    int64_t inner = 1;
    for (size_t d = 2; d < X.rank(); ++d) inner *= X.dim(d);
    const Tensor* p[4];
    for (size_t i = 0; i < 4; ++i) {
      p[i] = &ctx.Input(i + 1);
      if (p[i]->size() != C)
        throw ctx.MakeError(ErrorCode::InvalidArgument, "input " + std::to_string(i + 1) + " of shape " + ShapeToString(p[i]->shape()) +
                                                            " should have " + std::to_string(C) + " elements");
      if (!IsCudaFloat(p[i]->dtype()))
        throw ctx.MakeError(ErrorCode::NotImplemented, "input " + std::to_string(i + 1) + " has element type " +
                                                           DataTypeName(p[i]->dtype()) + "; float or float16 expected");
    }
    Tensor& Y = ctx.Output(0, dt, X.shape());
    if (Y.size() == 0) return;
    cuda().Activate();
    std::shared_ptr<void> folded = cuda().Scratch(static_cast<size_t>(2 * C) * sizeof(float));
    float* a = static_cast<float*>(folded.get());
    float* b = a + C;
    auto half = [&](int i) { return p[i]->dtype() == DataType::Float16; };
    LaunchBatchNormFold(p[0]->raw_data(), half(0), p[1]->raw_data(), half(1), p[2]->raw_data(), half(2), p[3]->raw_data(),
                        half(3), epsilon_, a, b, C, stream());
    CheckLaunch("BatchNormalization parameter folding");
    LaunchChannelAffine(dt == DataType::Float16, X.raw_data(), a, b, Y.raw_data(), X.size(), C, inner, stream());
    CheckLaunch("BatchNormalization");
  }

 private:
  float epsilon_;
};

// Inference only: no training_mode, no running statistics outputs, and before opset 9 the
// default spatial=1 (per-channel parameters).
bool SupportsBatchNorm(const Node& node, const NodeOperandTypes& t) {
  if (t.inputs.size() < 5) return false;
  for (size_t i = 0; i < 5; ++i)
    if (!IsCudaFloat(t.inputs[i])) return false;
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (!node.outputs[i].empty()) return false;
  if (const Attribute* a = node.FindAttribute("training_mode"); a && a->i != 0) return false;
  if (const Attribute* a = node.FindAttribute("spatial"); a && a->i == 0 && node.opset < 9) return false;
  return true;
}

}  // namespace

void RegisterCudaBatchNormKernels(KernelRegistry& r) {
  for (auto [since, end] : {std::pair<int64_t, int64_t>{7, 8}, {9, 13}, {14, 14}, {15, INT64_MAX}}) {
    KernelDef d = CudaDef<BatchNormalization>("BatchNormalization", since, end, FloatTypes());
    d.supports = SupportsBatchNorm;
    r.Register(std::move(d));
  }
}

}  // namespace onyx::cuda
