// Conv and ConvTranspose on cuDNN (1-D as 2-D with a leading spatial dim of 1, 2-D, 3-D), and
// com.microsoft FusedConv (the optimizer's Conv + [residual Add] + activation fusion):
//   Y = act(Conv(X, W) + B + Z)
// Ungrouped convolutions under the HEURISTIC (default) and EXHAUSTIVE searches run on cuDNN's
// graph API (cudnn_graph.h): one plan per shape, with bias, addend and Relu inside the graph where
// cuDNN has an engine for that, because cuDNN 9's legacy calls rebuild a plan on every call. The
// DEFAULT search and grouped convolutions use the legacy calls; there FusedConv in float with
// Relu or no activation is one cudnnConvolutionBiasActivationForward call. Whatever a plan or call
// leaves out (bias, addend, other activations) follows as separate passes.
// Window geometry (pads, auto_pad, output shapes) is the CPU kernels' own, so both providers
// agree on shapes. cuDNN only pads symmetrically: Conv pads the input's extra side itself, and
// ConvTranspose computes the unpadded output and crops it when cuDNN cannot express the result.
#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

#include "cudnn_common.h"
#include "cudnn_graph.h"
#include "fused_activation_attrs.h"
#include "math/cuda_math.h"
#include "math/elementwise_impl.h"
#include "nn/nn_common.h"
#include "nn_impl.h"

namespace onyx::cuda {

namespace {

// Largest workspace an algorithm may ask for.
constexpr size_t kMaxWorkspace = size_t(1) << 30;

struct ChosenAlgo {
  int algo = 0;  // cudnnConvolutionFwdAlgo_t or cudnnConvolutionBwdDataAlgo_t
  size_t workspace = 0;
};

// The algorithm chosen per input and weight shape, shared by the kernel's concurrent runs.
class AlgoCache {
 public:
  bool Find(const std::vector<int64_t>& key, ChosenAlgo* out) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    *out = it->second;
    return true;
  }
  void Put(const std::vector<int64_t>& key, ChosenAlgo a) const {
    std::lock_guard<std::mutex> lock(mu_);
    map_[key] = a;
  }

 private:
  mutable std::mutex mu_;
  mutable std::map<std::vector<int64_t>, ChosenAlgo> map_;
};

std::vector<int64_t> CacheKey(const Tensor& X, const Tensor& W) {
  std::vector<int64_t> k = X.shape();
  k.push_back(-1);
  k.insert(k.end(), W.shape().begin(), W.shape().end());
  return k;
}

// 1-D problems run as 2-D ones over a height of 1.
std::vector<int64_t> LiftSpatial(std::vector<int64_t> v, int64_t fill) {
  if (v.size() == 1) v.insert(v.begin(), fill);
  return v;
}

std::vector<int64_t> Concat(std::vector<int64_t> head, const std::vector<int64_t>& spatial) {
  head.insert(head.end(), spatial.begin(), spatial.end());
  return head;
}

// Up to 3 spatial dims as exactly 3 (leading 1s), for the window copy kernel.
void To3(const std::vector<int64_t>& v, int64_t fill, int64_t out[3]) {
  const size_t off = 3 - v.size();
  for (size_t i = 0; i < 3; ++i) out[i] = i < off ? fill : v[i - off];
}

// Tensor cores for float16; for float TF32 tensor cores only when the session allows them.
cudnnMathType_t MathType(DataType dt, const CudaExecutionProvider& cuda) {
  if (dt == DataType::Float16) return CUDNN_TENSOR_OP_MATH;
  return cuda.options().use_tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
}

// The descriptors of one cuDNN convolution: x (N, C, spatial), w (M, C / group, kernel),
// y (N, M, out) as the forward convolution sees them.
struct ConvDescriptors {
  CudnnTensor x, y, bias;
  CudnnFilter w;
  CudnnConvolution conv;

  void Set(const CudaExecutionProvider& cuda, DataType dt, const std::vector<int64_t>& xdims,
           const std::vector<int64_t>& wdims, const std::vector<int64_t>& ydims, const std::vector<int64_t>& pads,
           const std::vector<int64_t>& strides, const std::vector<int64_t>& dilations, int64_t group,
           const KernelContext& ctx) {
    x.Set(dt, xdims, ctx);
    w.Set(dt, wdims, ctx);
    y.Set(dt, ydims, ctx);
    std::vector<int64_t> bdims(ydims.size(), 1);
    bdims[1] = ydims[1];
    bias.Set(dt, bdims, ctx);
    const std::vector<int> p = CudnnDims(pads, ctx), s = CudnnDims(strides, ctx), d = CudnnDims(dilations, ctx);
    // float16 accumulates in float.
    CheckCudnn(cudnnSetConvolutionNdDescriptor(conv.get(), static_cast<int>(p.size()), p.data(), s.data(), d.data(),
                                               CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
               "cudnnSetConvolutionNdDescriptor");
    CheckCudnn(cudnnSetConvolutionGroupCount(conv.get(), CudnnDims({group}, ctx)[0]), "cudnnSetConvolutionGroupCount");
    CheckCudnn(cudnnSetConvolutionMathType(conv.get(), MathType(dt, cuda)), "cudnnSetConvolutionMathType");
    // cuDNN's idea of the forward output must be ours, or the call would read out of bounds.
    std::vector<int> out(ydims.size());
    CheckCudnn(cudnnGetConvolutionNdForwardOutputDim(conv.get(), x.get(), w.get(), static_cast<int>(out.size()), out.data()),
               "cudnnGetConvolutionNdForwardOutputDim");
    for (size_t i = 0; i < out.size(); ++i)
      if (out[i] != ydims[i])
        throw ctx.MakeError(ErrorCode::RuntimeException, "cuDNN computes the convolution output shape differently (dim " +
                                                             std::to_string(i) + ": " + std::to_string(out[i]) + " vs " +
                                                             ShapeToString(ydims) + ")");
  }
};

ChosenAlgo ChooseForwardAlgo(const CudaExecutionProvider& cuda, const ConvDescriptors& d, const void* x, const void* w,
                             void* y) {
  cudnnHandle_t h = cuda.cudnn();
  const auto search = cuda.options().conv_algo_search;
  auto workspace_of = [&](cudnnConvolutionFwdAlgo_t algo, size_t* bytes) {
    return cudnnGetConvolutionForwardWorkspaceSize(h, d.x.get(), d.w.get(), d.conv.get(), d.y.get(), algo, bytes) ==
               CUDNN_STATUS_SUCCESS &&
           *bytes <= kMaxWorkspace;
  };
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int returned = 0;
  if (search == CudaOptions::ConvSearch::Exhaustive) {
    size_t free_bytes = 0, total_bytes = 0;
    CheckCuda(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
    const size_t limit = std::min(kMaxWorkspace, free_bytes / 2);
    std::shared_ptr<void> ws = limit ? cuda.Scratch(limit) : nullptr;
    CheckCudnn(cudnnFindConvolutionForwardAlgorithmEx(h, d.x.get(), x, d.w.get(), w, d.conv.get(), d.y.get(), y,
                                                      CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf, ws.get(), limit),
               "cudnnFindConvolutionForwardAlgorithmEx");
    for (int i = 0; i < returned; ++i) {
      size_t bytes = 0;
      if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= limit && workspace_of(perf[i].algo, &bytes))
        return {static_cast<int>(perf[i].algo), bytes};
    }
  } else if (search == CudaOptions::ConvSearch::Heuristic) {
    CheckCudnn(cudnnGetConvolutionForwardAlgorithm_v7(h, d.x.get(), d.w.get(), d.conv.get(), d.y.get(),
                                                      CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf),
               "cudnnGetConvolutionForwardAlgorithm_v7");
    for (int i = 0; i < returned; ++i) {
      size_t bytes = 0;
      if (perf[i].status == CUDNN_STATUS_SUCCESS && workspace_of(perf[i].algo, &bytes))
        return {static_cast<int>(perf[i].algo), bytes};
    }
  }
  // Default search, or nothing usable found: the implicit GEMMs take every configuration.
  for (cudnnConvolutionFwdAlgo_t algo :
       {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM}) {
    size_t bytes = 0;
    if (workspace_of(algo, &bytes)) return {static_cast<int>(algo), bytes};
  }
  throw Error(ErrorCode::RuntimeException, "cuDNN offers no forward convolution algorithm for this configuration");
}

ChosenAlgo ChooseBackwardDataAlgo(const CudaExecutionProvider& cuda, const ConvDescriptors& d, const void* w,
                                  const void* dy, void* dx) {
  cudnnHandle_t h = cuda.cudnn();
  const auto search = cuda.options().conv_algo_search;
  auto workspace_of = [&](cudnnConvolutionBwdDataAlgo_t algo, size_t* bytes) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(), algo, bytes) ==
               CUDNN_STATUS_SUCCESS &&
           *bytes <= kMaxWorkspace;
  };
  cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  int returned = 0;
  if (search == CudaOptions::ConvSearch::Exhaustive) {
    size_t free_bytes = 0, total_bytes = 0;
    CheckCuda(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
    const size_t limit = std::min(kMaxWorkspace, free_bytes / 2);
    std::shared_ptr<void> ws = limit ? cuda.Scratch(limit) : nullptr;
    CheckCudnn(cudnnFindConvolutionBackwardDataAlgorithmEx(h, d.w.get(), w, d.y.get(), dy, d.conv.get(), d.x.get(), dx,
                                                           CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &returned, perf,
                                                           ws.get(), limit),
               "cudnnFindConvolutionBackwardDataAlgorithmEx");
    for (int i = 0; i < returned; ++i) {
      size_t bytes = 0;
      if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= limit && workspace_of(perf[i].algo, &bytes))
        return {static_cast<int>(perf[i].algo), bytes};
    }
  } else if (search == CudaOptions::ConvSearch::Heuristic) {
    CheckCudnn(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(),
                                                           CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &returned, perf),
               "cudnnGetConvolutionBackwardDataAlgorithm_v7");
    for (int i = 0; i < returned; ++i) {
      size_t bytes = 0;
      if (perf[i].status == CUDNN_STATUS_SUCCESS && workspace_of(perf[i].algo, &bytes))
        return {static_cast<int>(perf[i].algo), bytes};
    }
  }
  for (cudnnConvolutionBwdDataAlgo_t algo : {CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, CUDNN_CONVOLUTION_BWD_DATA_ALGO_0}) {
    size_t bytes = 0;
    if (workspace_of(algo, &bytes)) return {static_cast<int>(algo), bytes};
  }
  throw Error(ErrorCode::RuntimeException, "cuDNN offers no backward-data convolution algorithm for this configuration");
}

// Y[n, m, ...] += B[m] (B omitted: nothing).
void AddBias(const CudaExecutionProvider& cuda, const ConvDescriptors& d, const Tensor* B, Tensor& Y) {
  if (!B) return;
  const float one = 1.f;
  CheckCudnn(cudnnAddTensor(cuda.cudnn(), &one, d.bias.get(), B->raw_data(), &one, d.y.get(), Y.raw_data()),
             "cudnnAddTensor");
}

// Y = 0 (+ B): the output of a convolution with no input elements or no weights.
void ZeroPlusBias(const CudaExecutionProvider& cuda, const Tensor* B, Tensor& Y, const KernelContext& ctx) {
  CheckCuda(cudaMemsetAsync(Y.raw_data(), 0, Y.nbytes(), cuda.stream()), "cudaMemsetAsync");
  if (!B) return;
  std::vector<int64_t> ydims = Y.shape();
  while (ydims.size() < 4) ydims.push_back(1);
  if (ydims.size() > 5) throw ctx.MakeError(ErrorCode::NotImplemented, "more than 3 spatial dimensions are not supported");
  std::vector<int64_t> bdims(ydims.size(), 1);
  bdims[1] = ydims[1];
  CudnnTensor yd, bd;
  yd.Set(Y.dtype(), ydims, ctx);
  bd.Set(Y.dtype(), bdims, ctx);
  const float one = 1.f;
  CheckCudnn(cudnnAddTensor(cuda.cudnn(), &one, bd.get(), B->raw_data(), &one, yd.get(), Y.raw_data()), "cudnnAddTensor");
}

class CudaEvent {
 public:
  CudaEvent() { CheckCuda(cudaEventCreate(&e_), "cudaEventCreate"); }
  ~CudaEvent() { cudaEventDestroy(e_); }
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;
  cudaEvent_t get() const { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

// The elementwise kernel of a fused activation (its parameters as the standalone op's).
UnaryOp UnaryOf(const mlas::Activation& a, UnaryParams* p) {
  p->alpha = a.alpha;
  p->beta = a.beta;
  switch (a.kind) {
    case mlas::ActivationKind::Relu: return UnaryOp::Relu;
    case mlas::ActivationKind::LeakyRelu: return UnaryOp::LeakyRelu;
    case mlas::ActivationKind::Tanh: return UnaryOp::Tanh;
    case mlas::ActivationKind::Sigmoid: return UnaryOp::Sigmoid;
    case mlas::ActivationKind::Clip: return UnaryOp::Clip;
    case mlas::ActivationKind::HardSigmoid: return UnaryOp::HardSigmoid;
    case mlas::ActivationKind::Identity: break;
  }
  throw Error(ErrorCode::RuntimeException, "no elementwise kernel for the identity activation");
}

void CheckSpatialRank(size_t rank, const KernelContext& ctx) {
  if (rank < 1 || rank > 3)
    throw ctx.MakeError(ErrorCode::NotImplemented, "CUDA convolutions take 1 to 3 spatial dimensions, got " + std::to_string(rank));
}

// Conv, and FusedConv (fused = true: activation attributes, addend input Z).
class Conv final : public CudaKernel {
 public:
  explicit Conv(const KernelInfo& info, bool fused = false)
      : CudaKernel(info),
        attrs_(info),
        group_(info.GetInt("group", 1)),
        fused_(fused),
        activation_(fused ? FusedConvActivation(info) : mlas::Activation{}) {
    if (group_ <= 0) throw info.MakeError(ErrorCode::InvalidGraph, "group should be positive, got " + std::to_string(group_));
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const Tensor& W = ctx.Input(1);
    const Tensor* B = ctx.OptionalInput(2);
    const Tensor* Z = fused_ ? ctx.OptionalInput(3) : nullptr;
    CheckConvOperands(ctx, X, W, B);
    const DataType dt = X.dtype();
    if (!IsCudaFloat(dt))
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(dt) + " is not supported");
    const size_t rank = X.rank() - 2;
    CheckSpatialRank(rank, ctx);
    const ConvShape shape = ResolveConvShape(attrs_, group_, X, W, B, ctx);
    const int64_t N = shape.N, C = shape.C, M = shape.M;
    const WindowGeometry& g = shape.geo;
    const std::vector<int64_t> in_spatial(X.shape().begin() + 2, X.shape().end());
    const std::vector<int64_t> kernel(W.shape().begin() + 2, W.shape().end());
    const std::vector<int64_t> y_shape = Concat({N, M}, g.output);
    if (Z && (Z->dtype() != dt || Z->shape() != y_shape))
      throw ctx.MakeError(ErrorCode::InvalidArgument, "Z should be " + std::string(DataTypeName(dt)) + " " +
                                                          ShapeToString(y_shape) + " like the output, got " +
                                                          DataTypeName(Z->dtype()) + " " + ShapeToString(Z->shape()));
    Tensor& Y = ctx.Output(0, dt, y_shape);
    if (Y.size() == 0) return;
    cuda().Activate();
    if (X.size() == 0 || W.size() == 0) {
      ZeroPlusBias(cuda(), B, Y, ctx);
      return Epilogue(Z, Y, ctx);
    }

    // cuDNN pads both sides by the smaller pad; the rest is padded here with zeros.
    std::vector<int64_t> pads(rank), extra_begin(rank), padded(rank);
    bool pad_here = false;
    for (size_t d = 0; d < rank; ++d) {
      pads[d] = std::min(g.pad_begin[d], g.pad_end[d]);
      extra_begin[d] = g.pad_begin[d] - pads[d];
      padded[d] = in_spatial[d] + extra_begin[d] + (g.pad_end[d] - pads[d]);
      pad_here = pad_here || padded[d] != in_spatial[d];
    }
    const void* x = X.raw_data();
    std::shared_ptr<void> x_padded;
    if (pad_here) {
      x_padded = cuda().Scratch(static_cast<size_t>(ShapeSize(Concat({N, C}, padded))) * DataTypeSize(dt));
      int64_t src[3], dst[3], off[3];
      To3(in_spatial, 1, src);
      To3(padded, 1, dst);
      std::vector<int64_t> neg(rank);
      for (size_t d = 0; d < rank; ++d) neg[d] = -extra_begin[d];
      To3(neg, 0, off);
      LaunchWindowCopy(static_cast<int>(DataTypeSize(dt)), x, src, x_padded.get(), dst, off, N * C, stream());
      CheckLaunch("Conv input padding");
      x = x_padded.get();
    }

    // The cache key is the shape cuDNN sees (padded input).
    std::vector<int64_t> key = Concat({N, C}, padded);
    key.push_back(-1);
    key.insert(key.end(), W.shape().begin(), W.shape().end());
    ConvGraphSpec spec;
    spec.dtype = dt;
    spec.x = Concat({N, C}, LiftSpatial(padded, 1));
    spec.w = Concat({M, W.dim(1)}, LiftSpatial(kernel, 1));
    spec.y = Concat({N, M}, LiftSpatial(g.output, 1));
    spec.pads = LiftSpatial(pads, 0);
    spec.strides = LiftSpatial(g.strides, 1);
    spec.dilations = LiftSpatial(g.dilations, 1);
    spec.bias = B != nullptr;
    spec.addend = Z != nullptr;
    spec.relu = activation_.kind == mlas::ActivationKind::Relu;
    spec.allow_tf32 = cuda().options().use_tf32;
    if (GraphForward(key, spec, x, W, B, Z, Y, ctx)) return;

    ConvDescriptors d;
    d.Set(cuda(), dt, spec.x, spec.w, spec.y, spec.pads, spec.strides, spec.dilations, group_, ctx);
    ChosenAlgo algo;
    if (!cache_.Find(key, &algo)) {
      algo = ChooseForwardAlgo(cuda(), d, x, W.raw_data(), Y.raw_data());
      cache_.Put(key, algo);
    }
    std::shared_ptr<void> ws = algo.workspace ? cuda().Scratch(algo.workspace) : nullptr;
    if (fused_ && FusedForward(d, algo, ws.get(), x, W, B, Z, Y)) return;
    const float one = 1.f, zero = 0.f;
    CheckCudnn(cudnnConvolutionForward(cuda().cudnn(), &one, d.x.get(), x, d.w.get(), W.raw_data(), d.conv.get(),
                                       static_cast<cudnnConvolutionFwdAlgo_t>(algo.algo), ws.get(), algo.workspace, &zero,
                                       d.y.get(), Y.raw_data()),
               "cudnnConvolutionForward");
    AddBias(cuda(), d, B, Y);
    Epilogue(Z, Y, ctx);
  }

 private:
  // The graph API path, for ungrouped convolutions: one plan per shape, built on first use and
  // then only executed. HEURISTIC (the default) takes the heuristics' first engine, EXHAUSTIVE
  // times the first 8 on the run's own buffers. False where it does not apply (DEFAULT search,
  // groups) or cuDNN has no engine for the shape: the legacy calls take it then.
  bool GraphForward(const std::vector<int64_t>& key, const ConvGraphSpec& spec, const void* x, const Tensor& W,
                    const Tensor* B, const Tensor* Z, Tensor& Y, const KernelContext& ctx) const {
    const auto search = cuda().options().conv_algo_search;
    if (group_ != 1 || search == CudaOptions::ConvSearch::Default) return false;
    for (const void* p : {x, W.raw_data(), B ? B->raw_data() : nullptr, Z ? Z->raw_data() : nullptr,
                          static_cast<const void*>(Y.raw_data())})
      if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;  // the plans assume 16-byte alignment
    const ConvGraphPlan* plan = nullptr;
    {
      std::lock_guard<std::mutex> lock(plans_mu_);
      auto it = plans_.find(key);
      if (it == plans_.end()) {
        auto run = [&](const ConvGraphPlan& p, void* ws) {
          p.Execute(cuda().cudnn(), x, W.raw_data(), B ? B->raw_data() : nullptr, Z ? Z->raw_data() : nullptr,
                    Y.raw_data(), ws);
        };
        auto time = [&](const ConvGraphPlan& p) -> float {
          try {
            std::shared_ptr<void> ws = p.workspace() ? cuda().Scratch(p.workspace()) : nullptr;
            run(p, ws.get());  // warm-up
            CudaEvent begin, end;
            CheckCuda(cudaEventRecord(begin.get(), stream()), "cudaEventRecord");
            for (int i = 0; i < 3; ++i) run(p, ws.get());
            CheckCuda(cudaEventRecord(end.get(), stream()), "cudaEventRecord");
            CheckCuda(cudaEventSynchronize(end.get()), "cudaEventSynchronize");
            float ms = 0.f;
            CheckCuda(cudaEventElapsedTime(&ms, begin.get(), end.get()), "cudaEventElapsedTime");
            return ms;
          } catch (const Error&) {
            return std::numeric_limits<float>::infinity();
          }
        };
        const int candidates = search == CudaOptions::ConvSearch::Exhaustive ? 8 : 1;
        it = plans_.emplace(key, ConvGraphPlan::Build(cuda().cudnn(), spec, candidates, time)).first;
      }
      plan = it->second.get();
    }
    if (!plan) return false;
    std::shared_ptr<void> ws = plan->workspace() ? cuda().Scratch(plan->workspace()) : nullptr;
    plan->Execute(cuda().cudnn(), x, W.raw_data(), B ? B->raw_data() : nullptr, Z ? Z->raw_data() : nullptr,
                  Y.raw_data(), ws.get());
    if (!plan->fused()) {
      AddChannelBias(B, Y, ctx);
      Epilogue(Z, Y, ctx);
    } else if (activation_.kind != mlas::ActivationKind::Relu) {
      Epilogue(nullptr, Y, ctx);  // the graph has bias and Z, not this activation
    }
    return true;
  }

  // Y[n, m, ...] += B[m] with the elementwise kernel (B omitted: nothing).
  void AddChannelBias(const Tensor* B, Tensor& Y, const KernelContext& ctx) const {
    if (!B) return;
    ElemType t;
    if (!ToElemType(Y.dtype(), &t)) throw ctx.MakeError(ErrorCode::NotImplemented, "unsupported element type");
    const int64_t N = Y.dim(0), M = Y.dim(1), S = Y.size() / std::max<int64_t>(1, N * M);
    BroadcastParams p;
    p.rank = 3;
    p.dims[0] = N;
    p.dims[1] = M;
    p.dims[2] = S;
    p.strides[0][0] = M * S;
    p.strides[0][1] = S;
    p.strides[0][2] = 1;
    p.strides[1][1] = 1;  // B advances with the channel only
    CheckCuda(LaunchBinary(BinaryOp::Add, t, t, Y.raw_data(), B->raw_data(), Y.raw_data(), Y.size(), p, stream()),
              "Conv bias");
  }

  // Y = act(conv + B + Z) in one cuDNN call, where cuDNN takes it: float, Relu or no activation
  // (the identity only with the implicit precomputed GEMM). False where the separate passes must
  // do it; a configuration cuDNN refuses once is not offered again.
  bool FusedForward(const ConvDescriptors& d, const ChosenAlgo& algo, void* ws, const void* x, const Tensor& W,
                    const Tensor* B, const Tensor* Z, Tensor& Y) const {
    const bool relu = activation_.kind == mlas::ActivationKind::Relu;
    if (Y.dtype() != DataType::Float || fused_refused_.load(std::memory_order_relaxed)) return false;
    if (!relu && (activation_.kind != mlas::ActivationKind::Identity ||
                  algo.algo != CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM || (!B && !Z)))
      return false;
    std::shared_ptr<void> zero_bias;
    const void* bias = B ? B->raw_data() : nullptr;
    if (!B) {
      zero_bias = cuda().Scratch(static_cast<size_t>(Y.dim(1)) * sizeof(float));
      CheckCuda(cudaMemsetAsync(zero_bias.get(), 0, static_cast<size_t>(Y.dim(1)) * sizeof(float), stream()),
                "cudaMemsetAsync");
      bias = zero_bias.get();
    }
    CudnnActivation act;
    CheckCudnn(cudnnSetActivationDescriptor(act.get(), relu ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY,
                                            CUDNN_PROPAGATE_NAN, 0.0),
               "cudnnSetActivationDescriptor");
    const float one = 1.f, alpha2 = Z ? 1.f : 0.f;
    const cudnnStatus_t status = cudnnConvolutionBiasActivationForward(
        cuda().cudnn(), &one, d.x.get(), x, d.w.get(), W.raw_data(), d.conv.get(),
        static_cast<cudnnConvolutionFwdAlgo_t>(algo.algo), ws, algo.workspace, &alpha2, d.y.get(),
        Z ? Z->raw_data() : Y.raw_data(), d.bias.get(), bias, act.get(), d.y.get(), Y.raw_data());
    if (status == CUDNN_STATUS_SUCCESS) return true;
    if (status != CUDNN_STATUS_NOT_SUPPORTED && status != CUDNN_STATUS_BAD_PARAM) CheckCudnn(status, "cudnnConvolutionBiasActivationForward");
    fused_refused_.store(true, std::memory_order_relaxed);
    return false;
  }

  // After the convolution and its bias: Y += Z, then Y = act(Y), each where the node has it.
  void Epilogue(const Tensor* Z, Tensor& Y, const KernelContext& ctx) const {
    ElemType t;
    if (!ToElemType(Y.dtype(), &t)) throw ctx.MakeError(ErrorCode::NotImplemented, "unsupported element type");
    if (Z) {
      BroadcastParams p;
      p.dims[0] = Y.size();
      p.strides[0][0] = p.strides[1][0] = 1;
      CheckCuda(LaunchBinary(BinaryOp::Add, t, t, Y.raw_data(), Z->raw_data(), Y.raw_data(), Y.size(), p, stream()),
                "FusedConv addend");
    }
    if (activation_.kind == mlas::ActivationKind::Identity) return;
    UnaryParams q;
    const UnaryOp op = UnaryOf(activation_, &q);
    CheckCuda(LaunchUnary(op, t, Y.raw_data(), Y.raw_data(), Y.size(), q, stream()), "FusedConv activation");
  }

  WindowAttributes attrs_;
  int64_t group_;
  bool fused_;
  mlas::Activation activation_;
  AlgoCache cache_;
  mutable std::atomic<bool> fused_refused_{false};
  mutable std::mutex plans_mu_;
  mutable std::map<std::vector<int64_t>, std::unique_ptr<ConvGraphPlan>> plans_;  // nullptr: no engine
};

class ConvTranspose final : public CudaKernel {
 public:
  explicit ConvTranspose(const KernelInfo& info)
      : CudaKernel(info),
        attrs_(info),
        group_(info.GetInt("group", 1)),
        output_padding_(info.GetInts("output_padding")),
        output_shape_(info.GetInts("output_shape")) {
    if (group_ <= 0) throw info.MakeError(ErrorCode::InvalidGraph, "group should be positive, got " + std::to_string(group_));
  }

  void Compute(KernelContext& ctx) const override {
    const Tensor& X = ctx.Input(0);
    const Tensor& W = ctx.Input(1);
    const Tensor* B = ctx.OptionalInput(2);
    CheckConvOperands(ctx, X, W, B);
    const DataType dt = X.dtype();
    if (!IsCudaFloat(dt))
      throw ctx.MakeError(ErrorCode::NotImplemented, std::string("element type ") + DataTypeName(dt) + " is not supported");
    const size_t rank = X.rank() - 2;
    CheckSpatialRank(rank, ctx);
    const ConvTransposeShape shape =
        ResolveConvTransposeShape(attrs_, group_, output_padding_, output_shape_, X, W, B, ctx);
    const int64_t N = shape.N, C = shape.C, M = shape.M;
    const std::vector<int64_t>& x_spatial = shape.x_spatial;
    const std::vector<int64_t>& kernel = shape.kernel;
    const std::vector<int64_t>& strides = shape.strides;
    const std::vector<int64_t>& dilations = shape.dilations;
    const std::vector<int64_t>& pad_begin = shape.pad_begin;
    const std::vector<int64_t>& y_spatial = shape.y_spatial;
    const std::vector<int64_t>& full = shape.full;
    // As the CPU kernel: Y[o] = F[o + pad_begin], F the unpadded transposed convolution of
    // size s * (in - 1) + effective kernel, zero beyond.
    bool direct = true;  // cuDNN can write Y itself (symmetric padding, output within one stride)
    for (size_t d = 0; d < rank; ++d) {
      const int64_t slack = y_spatial[d] + 2 * pad_begin[d] - full[d];
      direct = direct && x_spatial[d] > 0 && slack >= 0 && slack < strides[d];
    }
    Tensor& Y = ctx.Output(0, dt, Concat({N, M}, y_spatial));
    if (Y.size() == 0) return;
    cuda().Activate();
    if (X.size() == 0 || W.size() == 0) return ZeroPlusBias(cuda(), B, Y, ctx);

    // cuDNN's backward data of the convolution that maps (N, M, dx) to (N, C, x_spatial).
    const std::vector<int64_t> dx_spatial = direct ? y_spatial : full;
    const std::vector<int64_t> cudnn_pads = direct ? pad_begin : std::vector<int64_t>(rank, 0);
    std::shared_ptr<void> f;
    void* dx = Y.raw_data();
    if (!direct) {
      f = cuda().Scratch(static_cast<size_t>(ShapeSize(Concat({N, M}, full))) * DataTypeSize(dt));
      dx = f.get();
    }
    ConvDescriptors d;
    d.Set(cuda(), dt, Concat({N, M}, LiftSpatial(dx_spatial, 1)), Concat({C, W.dim(1)}, LiftSpatial(kernel, 1)),
          Concat({N, C}, LiftSpatial(x_spatial, 1)), LiftSpatial(cudnn_pads, 0), LiftSpatial(strides, 1),
          LiftSpatial(dilations, 1), group_, ctx);
    std::vector<int64_t> key = CacheKey(X, W);
    key.push_back(direct ? 1 : 0);
    key.insert(key.end(), y_spatial.begin(), y_spatial.end());
    key.insert(key.end(), pad_begin.begin(), pad_begin.end());
    ChosenAlgo algo;
    if (!cache_.Find(key, &algo)) {
      algo = ChooseBackwardDataAlgo(cuda(), d, W.raw_data(), X.raw_data(), dx);
      cache_.Put(key, algo);
    }
    std::shared_ptr<void> ws = algo.workspace ? cuda().Scratch(algo.workspace) : nullptr;
    const float one = 1.f, zero = 0.f;
    CheckCudnn(cudnnConvolutionBackwardData(cuda().cudnn(), &one, d.w.get(), W.raw_data(), d.y.get(), X.raw_data(),
                                            d.conv.get(), static_cast<cudnnConvolutionBwdDataAlgo_t>(algo.algo), ws.get(),
                                            algo.workspace, &zero, d.x.get(), dx),
               "cudnnConvolutionBackwardData");
    if (!direct) {
      int64_t src[3], dst[3], off[3];
      To3(full, 1, src);
      To3(y_spatial, 1, dst);
      To3(pad_begin, 0, off);
      LaunchWindowCopy(static_cast<int>(DataTypeSize(dt)), dx, src, Y.raw_data(), dst, off, N * M, stream());
      CheckLaunch("ConvTranspose output crop");
    }
    if (B) {
      // The bias descriptor of d is shaped for C channels here; Y has M.
      AddBiasToOutput(B, Y, ctx);
    }
  }

 private:
  void AddBiasToOutput(const Tensor* B, Tensor& Y, const KernelContext& ctx) const {
    std::vector<int64_t> ydims = LiftSpatial(std::vector<int64_t>(Y.shape().begin() + 2, Y.shape().end()), 1);
    ydims.insert(ydims.begin(), {Y.dim(0), Y.dim(1)});
    std::vector<int64_t> bdims(ydims.size(), 1);
    bdims[1] = ydims[1];
    CudnnTensor yd, bd;
    yd.Set(Y.dtype(), ydims, ctx);
    bd.Set(Y.dtype(), bdims, ctx);
    const float one = 1.f;
    CheckCudnn(cudnnAddTensor(cuda().cudnn(), &one, bd.get(), B->raw_data(), &one, yd.get(), Y.raw_data()), "cudnnAddTensor");
  }

  WindowAttributes attrs_;
  int64_t group_;
  std::vector<int64_t> output_padding_, output_shape_;
  AlgoCache cache_;
};

bool SupportsConvLike(const Node& node, const NodeOperandTypes& t) {
  if (t.inputs.size() < 2 || !IsCudaFloat(t.inputs[0]) || t.inputs[1] != t.inputs[0]) return false;
  for (size_t i = 2; i < node.inputs.size(); ++i)  // bias, and FusedConv's addend Z
    if (!node.inputs[i].empty() && (t.inputs.size() <= i || t.inputs[i] != t.inputs[0])) return false;
  const Attribute* ks = node.FindAttribute("kernel_shape");
  if (ks && (ks->ints.empty() || ks->ints.size() > 3)) return false;
  return true;
}

}  // namespace

void RegisterCudaConvKernels(KernelRegistry& r) {
  auto reg = [&](KernelDef d) {
    d.supports = SupportsConvLike;
    r.Register(std::move(d));
  };
  reg(CudaDef<Conv>("Conv", 1, 10, FloatTypes()));
  reg(CudaDef<Conv>("Conv", 11, INT64_MAX, FloatTypes()));
  // Float only, as onnxruntime's FusedConv and the optimizer's fusion.
  KernelDef fused = CudaDef<Conv>("FusedConv", 1, INT64_MAX, {DataType::Float}, {}, "com.microsoft");
  fused.factory = [](const KernelInfo& info) -> std::unique_ptr<OpKernel> { return std::make_unique<Conv>(info, true); };
  reg(std::move(fused));
  reg(CudaDef<ConvTranspose>("ConvTranspose", 1, 10, FloatTypes()));
  reg(CudaDef<ConvTranspose>("ConvTranspose", 11, INT64_MAX, FloatTypes()));
}

}  // namespace onyx::cuda
