// MaxPool and AveragePool on cuDNN (1 to 3 spatial dims, symmetric padding, floor mode, no
// dilations, no Indices output); GlobalMaxPool and GlobalAveragePool as one reduction per
// (n, c) plane. Window geometry is the CPU kernels' own.
#include "cudnn_common.h"
#include "nn/nn_common.h"
#include "nn_impl.h"

namespace onyx::cuda {

namespace {

enum class PoolMode { Max, Average };

std::vector<int64_t> Lift(std::vector<int64_t> v, int64_t fill) {
  if (v.size() == 1) v.insert(v.begin(), fill);
  return v;
}

template <PoolMode kMode>
class Pool final : public CudaKernel {
 public:
  explicit Pool(const KernelInfo& info)
      : CudaKernel(info), attrs_(info), mode_(kMode), count_include_pad_(info.GetInt("count_include_pad", 0) != 0) {
    if (attrs_.kernel_shape.empty()) throw info.MakeError(ErrorCode::InvalidGraph, "required attribute 'kernel_shape' is missing");
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const DataType dt = X.dtype();
    if (!IsCudaFloat(dt))
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(dt) + " is not supported");
    if (X.rank() < 3 || X.rank() > 5)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input X should have rank 3 to 5 (N, C, 1 to 3 spatial dims), got shape " +
                                                          ShapeToString(X.shape()));
    const std::vector<int64_t> in_spatial(X.shape().begin() + 2, X.shape().end());
    const WindowGeometry g = ComputeWindowGeometry(attrs_, in_spatial, attrs_.kernel_shape, ctx);
    std::vector<int64_t> y_shape = {X.dim(0), X.dim(1)};
    y_shape.insert(y_shape.end(), g.output.begin(), g.output.end());
    Tensor& Y = ctx.Output(0, dt, y_shape);
    if (Y.size() == 0) return;
    for (size_t d = 0; d < g.rank(); ++d)
      if (g.pad_begin[d] != g.pad_end[d] || g.dilations[d] != 1)
        throw ctx.MakeError(ErrorCode::NotImplemented, "CUDA pooling takes symmetric pads and no dilations");
    cuda().Activate();
    std::vector<int64_t> xdims = {X.dim(0), X.dim(1)}, ydims = {X.dim(0), X.dim(1)};
    for (int64_t v : Lift(in_spatial, 1)) xdims.push_back(v);
    for (int64_t v : Lift(g.output, 1)) ydims.push_back(v);
    CudnnTensor xd, yd;
    xd.Set(dt, xdims, ctx);
    yd.Set(dt, ydims, ctx);
    const std::vector<int> window = CudnnDims(Lift(g.kernel, 1), ctx), pads = CudnnDims(Lift(g.pad_begin, 0), ctx),
                           strides = CudnnDims(Lift(g.strides, 1), ctx);
    const cudnnPoolingMode_t mode = mode_ == PoolMode::Max ? CUDNN_POOLING_MAX_DETERMINISTIC
                                    : count_include_pad_   ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                                                           : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
    CudnnPooling pd;
    CheckCudnn(cudnnSetPoolingNdDescriptor(pd.get(), mode, CUDNN_NOT_PROPAGATE_NAN, static_cast<int>(window.size()),
                                           window.data(), pads.data(), strides.data()),
               "cudnnSetPoolingNdDescriptor");
    std::vector<int> out(ydims.size());
    CheckCudnn(cudnnGetPoolingNdForwardOutputDim(pd.get(), xd.get(), static_cast<int>(out.size()), out.data()),
               "cudnnGetPoolingNdForwardOutputDim");
    for (size_t i = 0; i < out.size(); ++i)
      if (out[i] != ydims[i])
        throw ctx.MakeError(ErrorCode::RuntimeException, "cuDNN computes the pooling output shape differently (dim " +
                                                             std::to_string(i) + ": " + std::to_string(out[i]) + " vs " +
                                                             ShapeToString(ydims) + ")");
    const float one = 1.f, zero = 0.f;
    CheckCudnn(cudnnPoolingForward(cuda().cudnn(), pd.get(), &one, xd.get(), X.raw_data(), &zero, yd.get(), Y.raw_data()),
               "cudnnPoolingForward");
  }

 private:
  WindowAttributes attrs_;
  PoolMode mode_;
  bool count_include_pad_;
};

template <PoolMode kMode>
class GlobalPool final : public CudaKernel {
 public:
  explicit GlobalPool(const KernelInfo& info) : CudaKernel(info), mode_(kMode) {}

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const DataType dt = X.dtype();
    if (!IsCudaFloat(dt))
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(dt) + " is not supported");
    if (X.rank() < 3)
      throw ctx.MakeError(ErrorCode::InvalidArgument, "input X should have rank >= 3 (N, C, spatial...), got shape " +
                                                          ShapeToString(X.shape()));
    std::vector<int64_t> y_shape(X.rank(), 1);
    y_shape[0] = X.dim(0);
    y_shape[1] = X.dim(1);
    Tensor& Y = ctx.Output(0, dt, y_shape);
    if (Y.size() == 0) return;
    cuda().Activate();
    const int64_t planes = X.dim(0) * X.dim(1);
    LaunchGlobalPool(dt == DataType::Float16, mode_ == PoolMode::Max, X.raw_data(), Y.raw_data(), planes,
                     planes > 0 ? X.size() / planes : 0, stream());
    CheckLaunch("global pooling");
  }

 private:
  PoolMode mode_;
};

bool AttributeInts(const Node& node, const char* name, std::vector<int64_t>* out) {
  const Attribute* a = node.FindAttribute(name);
  if (!a) return false;
  *out = a->ints;
  return true;
}

// What cuDNN pooling computes like ONNX: symmetric pads smaller than the window, floor mode,
// no dilations, no Indices output; auto_pad SAME only where its padding is even whatever the
// input size (stride 1 and an odd window).
bool SupportsPool(const Node& node, const NodeOperandTypes& t) {
  if (t.inputs.empty() || !IsCudaFloat(t.inputs[0])) return false;
  if (node.outputs.size() > 1 && !node.outputs[1].empty()) return false;
  std::vector<int64_t> kernel, strides, pads, dilations;
  if (!AttributeInts(node, "kernel_shape", &kernel) || kernel.empty() || kernel.size() > 3) return false;
  if (const Attribute* c = node.FindAttribute("ceil_mode"); c && c->i != 0) return false;
  if (AttributeInts(node, "dilations", &dilations))
    for (int64_t d : dilations)
      if (d != 1) return false;
  AttributeInts(node, "strides", &strides);
  if (AttributeInts(node, "pads", &pads)) {
    if (pads.size() != 2 * kernel.size()) return false;
    for (size_t d = 0; d < kernel.size(); ++d)
      if (pads[d] != pads[d + kernel.size()] || pads[d] < 0 || pads[d] >= kernel[d]) return false;
  }
  const Attribute* ap = node.FindAttribute("auto_pad");
  if (ap && (ap->s == "SAME_UPPER" || ap->s == "SAME_LOWER")) {
    for (int64_t s : strides)
      if (s != 1) return false;
    for (int64_t k : kernel)
      if (k % 2 == 0) return false;
  }
  return true;
}

bool SupportsGlobalPool(const Node&, const NodeOperandTypes& t) { return !t.inputs.empty() && IsCudaFloat(t.inputs[0]); }

template <typename K>
KernelDef PoolDef(const char* op, int64_t since, int64_t end, bool global) {
  KernelDef d = CudaDef<K>(op, since, end, FloatTypes());
  d.supports = global ? SupportsGlobalPool : SupportsPool;
  return d;
}

}  // namespace

void RegisterCudaPoolKernels(KernelRegistry& r) {
  for (auto [since, end] : {std::pair<int64_t, int64_t>{1, 7}, {8, 9}, {10, 11}, {12, INT64_MAX}})
    r.Register(PoolDef<Pool<PoolMode::Max>>("MaxPool", since, end, false));
  for (auto [since, end] : {std::pair<int64_t, int64_t>{1, 6}, {7, 9}, {10, 10}, {11, 18}, {19, INT64_MAX}})
    r.Register(PoolDef<Pool<PoolMode::Average>>("AveragePool", since, end, false));
  r.Register(PoolDef<GlobalPool<PoolMode::Max>>("GlobalMaxPool", 1, INT64_MAX, true));
  r.Register(PoolDef<GlobalPool<PoolMode::Average>>("GlobalAveragePool", 1, INT64_MAX, true));
}

}  // namespace onyx::cuda
