#include "cudnn_graph.h"

#include <algorithm>

#include "cudnn_common.h"

namespace onyx::cuda {

namespace {

// Unique ids of the graph's tensors (the variant pack binds pointers by these).
enum : int64_t { kX = 1, kW, kY, kB, kZ, kConvOut = 10, kBiasOut, kAddOut };

// Builds backend descriptors and owns them until they are handed to a plan. Any failure makes
// the builder !ok(); finalize failures of engine configurations are tried one by one instead.
class Builder {
 public:
  ~Builder() {
    for (auto d : owned_) cudnnBackendDestroyDescriptor(d);
  }
  bool ok() const { return ok_; }
  std::vector<cudnnBackendDescriptor_t> Release() {
    std::vector<cudnnBackendDescriptor_t> r;
    r.swap(owned_);
    return r;
  }

  cudnnBackendDescriptor_t Make(cudnnBackendDescriptorType_t type) {
    cudnnBackendDescriptor_t d = nullptr;
    if (!ok_ || cudnnBackendCreateDescriptor(type, &d) != CUDNN_STATUS_SUCCESS) {
      ok_ = false;
      return nullptr;
    }
    owned_.push_back(d);
    return d;
  }
  void Set(cudnnBackendDescriptor_t d, cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t count,
           const void* value) {
    if (ok_ && cudnnBackendSetAttribute(d, name, type, count, value) != CUDNN_STATUS_SUCCESS) ok_ = false;
  }
  void Finalize(cudnnBackendDescriptor_t d) {
    if (ok_ && cudnnBackendFinalize(d) != CUDNN_STATUS_SUCCESS) ok_ = false;
  }

  // A packed tensor (NC... strides); a virtual one only lives inside the graph.
  cudnnBackendDescriptor_t Tensor(int64_t uid, const std::vector<int64_t>& dims, cudnnDataType_t type, bool is_virtual) {
    std::vector<int64_t> strides(dims.size());
    int64_t s = 1;
    for (size_t i = dims.size(); i-- > 0;) {
      strides[i] = s;
      s *= dims[i];
    }
    const int64_t alignment = 16;
    cudnnBackendDescriptor_t t = Make(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
    Set(t, CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &type);
    Set(t, CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, static_cast<int64_t>(dims.size()), dims.data());
    Set(t, CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, static_cast<int64_t>(strides.size()), strides.data());
    Set(t, CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid);
    Set(t, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1, &alignment);
    Set(t, CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1, &is_virtual);
    Finalize(t);
    return t;
  }

  // y = mode(x[, b]) in float.
  cudnnBackendDescriptor_t Pointwise(cudnnPointwiseMode_t mode, cudnnBackendDescriptor_t x, cudnnBackendDescriptor_t b,
                                     cudnnBackendDescriptor_t y) {
    const cudnnDataType_t precision = CUDNN_DATA_FLOAT;
    cudnnBackendDescriptor_t pw = Make(CUDNN_BACKEND_POINTWISE_DESCRIPTOR);
    Set(pw, CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode);
    Set(pw, CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1, &precision);
    Finalize(pw);
    cudnnBackendDescriptor_t op = Make(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR);
    Set(op, CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &pw);
    Set(op, CUDNN_ATTR_OPERATION_POINTWISE_XDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x);
    if (b) Set(op, CUDNN_ATTR_OPERATION_POINTWISE_BDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &b);
    Set(op, CUDNN_ATTR_OPERATION_POINTWISE_YDESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &y);
    Finalize(op);
    return op;
  }

 private:
  std::vector<cudnnBackendDescriptor_t> owned_;
  bool ok_ = true;
};

// Whether the engine of `cfg` uses tensor cores (for float data: TF32).
bool UsesTensorCores(Builder& b, cudnnBackendDescriptor_t cfg) {
  cudnnBackendDescriptor_t engine = b.Make(CUDNN_BACKEND_ENGINE_DESCRIPTOR);
  if (!engine) return true;
  int64_t n = 0;
  if (cudnnBackendGetAttribute(cfg, CUDNN_ATTR_ENGINECFG_ENGINE, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &n, &engine) !=
      CUDNN_STATUS_SUCCESS)
    return true;
  cudnnBackendNumericalNote_t notes[CUDNN_NUMERICAL_NOTE_TYPE_COUNT];
  if (cudnnBackendGetAttribute(engine, CUDNN_ATTR_ENGINE_NUMERICAL_NOTE, CUDNN_TYPE_NUMERICAL_NOTE,
                               CUDNN_NUMERICAL_NOTE_TYPE_COUNT, &n, notes) != CUDNN_STATUS_SUCCESS)
    return true;
  for (int64_t i = 0; i < n; ++i)
    if (notes[i] == CUDNN_NUMERICAL_NOTE_TENSOR_CORE) return true;
  return false;
}

// A finalized execution plan and the workspace it needs.
struct Candidate {
  cudnnBackendDescriptor_t plan;
  size_t workspace;
};

// The execution plans of the graph (conv, then the epilogue where `fused`) in the heuristics'
// order, at most `limit`; `kept` receives every descriptor they rest on.
std::vector<Candidate> TryBuild(cudnnHandle_t handle, const ConvGraphSpec& s, bool fused, int limit,
                                std::vector<cudnnBackendDescriptor_t>* kept) {
  Builder b;
  const cudnnDataType_t io = CudnnType(s.dtype);
  const bool epilogue = fused && (s.bias || s.addend || s.relu);
  cudnnBackendDescriptor_t x = b.Tensor(kX, s.x, io, false);
  cudnnBackendDescriptor_t w = b.Tensor(kW, s.w, io, false);
  cudnnBackendDescriptor_t y = b.Tensor(kY, s.y, io, false);
  cudnnBackendDescriptor_t conv_out = epilogue ? b.Tensor(kConvOut, s.y, CUDNN_DATA_FLOAT, true) : y;

  const int64_t spatial = static_cast<int64_t>(s.pads.size());
  const cudnnDataType_t compute = CUDNN_DATA_FLOAT;
  const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  cudnnBackendDescriptor_t conv = b.Make(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
  b.Set(conv, CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &compute);
  b.Set(conv, CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode);
  b.Set(conv, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1, &spatial);
  b.Set(conv, CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, spatial, s.dilations.data());
  b.Set(conv, CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, spatial, s.strides.data());
  b.Set(conv, CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, spatial, s.pads.data());
  b.Set(conv, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, spatial, s.pads.data());
  b.Finalize(conv);

  const float alpha = 1.f, beta = 0.f;
  cudnnBackendDescriptor_t conv_op = b.Make(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR);
  b.Set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha);
  b.Set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta);
  b.Set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &conv);
  b.Set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &w);
  b.Set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &x);
  b.Set(conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &conv_out);
  b.Finalize(conv_op);
  std::vector<cudnnBackendDescriptor_t> ops = {conv_op};

  if (epilogue) {
    // conv_out [+ B] [+ Z] [relu] -> y; each step writes a virtual tensor except the last.
    struct Step {
      cudnnPointwiseMode_t mode;
      int64_t operand_uid;  // 0: unary
      int64_t out_uid;
    };
    std::vector<Step> steps;
    if (s.bias) steps.push_back({CUDNN_POINTWISE_ADD, kB, kBiasOut});
    if (s.addend) steps.push_back({CUDNN_POINTWISE_ADD, kZ, kAddOut});
    if (s.relu) steps.push_back({CUDNN_POINTWISE_RELU_FWD, 0, 0});
    std::vector<int64_t> bias_dims(s.y.size(), 1);
    bias_dims[1] = s.y[1];
    cudnnBackendDescriptor_t in = conv_out;
    for (size_t i = 0; i < steps.size(); ++i) {
      const bool last = i + 1 == steps.size();
      cudnnBackendDescriptor_t operand = nullptr;
      if (steps[i].operand_uid == kB) operand = b.Tensor(kB, bias_dims, io, false);
      if (steps[i].operand_uid == kZ) operand = b.Tensor(kZ, s.y, io, false);
      cudnnBackendDescriptor_t out = last ? y : b.Tensor(steps[i].out_uid, s.y, CUDNN_DATA_FLOAT, true);
      ops.push_back(b.Pointwise(steps[i].mode, in, operand, out));
      in = out;
    }
  }

  cudnnBackendDescriptor_t graph = b.Make(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  b.Set(graph, CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, static_cast<int64_t>(ops.size()), ops.data());
  b.Set(graph, CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle);
  b.Finalize(graph);

  const cudnnBackendHeurMode_t heur_mode = CUDNN_HEUR_MODE_A;
  cudnnBackendDescriptor_t heur = b.Make(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
  b.Set(heur, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &graph);
  b.Set(heur, CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &heur_mode);
  b.Finalize(heur);
  if (!b.ok()) return {};
  int64_t count = 0;
  if (cudnnBackendGetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &count, nullptr) !=
          CUDNN_STATUS_SUCCESS ||
      count <= 0)
    return {};
  std::vector<cudnnBackendDescriptor_t> configs;
  for (int64_t i = 0; i < count; ++i) configs.push_back(b.Make(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR));
  if (!b.ok() || cudnnBackendGetAttribute(heur, CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, count,
                                          &count, configs.data()) != CUDNN_STATUS_SUCCESS)
    return {};
  const bool no_tensor_cores = s.dtype == DataType::Float && !s.allow_tf32;
  std::vector<Candidate> found;
  for (int64_t i = 0; i < count && static_cast<int>(found.size()) < limit; ++i) {
    if (no_tensor_cores && UsesTensorCores(b, configs[i])) continue;
    cudnnBackendDescriptor_t plan = nullptr;
    if (cudnnBackendCreateDescriptor(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, &plan) != CUDNN_STATUS_SUCCESS) break;
    int64_t bytes = 0, n = 0;
    if (cudnnBackendSetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle) ==
            CUDNN_STATUS_SUCCESS &&
        cudnnBackendSetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1,
                                 &configs[i]) == CUDNN_STATUS_SUCCESS &&
        cudnnBackendFinalize(plan) == CUDNN_STATUS_SUCCESS &&
        cudnnBackendGetAttribute(plan, CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, CUDNN_TYPE_INT64, 1, &n, &bytes) ==
            CUDNN_STATUS_SUCCESS &&
        bytes >= 0 && bytes <= (int64_t(1) << 30)) {
      found.push_back({plan, static_cast<size_t>(bytes)});
    } else {
      cudnnBackendDestroyDescriptor(plan);
    }
  }
  if (!found.empty()) *kept = b.Release();
  return found;
}

}  // namespace

struct ConvGraphPlan::Descriptors {
  std::vector<cudnnBackendDescriptor_t> d;
  ~Descriptors() {
    for (auto x : d) cudnnBackendDestroyDescriptor(x);
  }
};

std::unique_ptr<ConvGraphPlan> ConvGraphPlan::Build(cudnnHandle_t handle, const ConvGraphSpec& spec, int candidates,
                                                    const Timer& time) {
  for (bool fused : {true, false}) {
    if (fused && !spec.bias && !spec.addend && !spec.relu) continue;
    auto graph = std::make_shared<Descriptors>();
    const std::vector<Candidate> found = TryBuild(handle, spec, fused, std::max(1, candidates), &graph->d);
    if (found.empty()) continue;
    std::vector<std::unique_ptr<ConvGraphPlan>> plans;
    for (const Candidate& c : found) {
      std::unique_ptr<ConvGraphPlan> p(new ConvGraphPlan());
      p->graph_ = graph;
      p->plan_ = c.plan;
      p->workspace_ = c.workspace;
      p->fused_ = fused;
      p->bias_ = fused && spec.bias;
      p->addend_ = fused && spec.addend;
      plans.push_back(std::move(p));
    }
    size_t best = 0;
    float best_ms = 0.f;
    for (size_t i = 0; plans.size() > 1 && i < plans.size(); ++i) {
      const float ms = time(*plans[i]);
      if (i == 0 || ms < best_ms) {
        best = i;
        best_ms = ms;
      }
    }
    return std::move(plans[best]);
  }
  return nullptr;
}

ConvGraphPlan::~ConvGraphPlan() { cudnnBackendDestroyDescriptor(plan_); }

void ConvGraphPlan::Execute(cudnnHandle_t handle, const void* x, const void* w, const void* b, const void* z, void* y,
                            void* workspace) const {
  int64_t uids[5] = {kX, kW, kY};
  void* ptrs[5] = {const_cast<void*>(x), const_cast<void*>(w), y};
  int64_t n = 3;
  if (bias_) {
    uids[n] = kB;
    ptrs[n++] = const_cast<void*>(b);
  }
  if (addend_) {
    uids[n] = kZ;
    ptrs[n++] = const_cast<void*>(z);
  }
  cudnnBackendDescriptor_t pack = nullptr;
  CheckCudnn(cudnnBackendCreateDescriptor(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR, &pack), "cudnnBackendCreateDescriptor");
  struct Destroy {
    cudnnBackendDescriptor_t d;
    ~Destroy() { cudnnBackendDestroyDescriptor(d); }
  } destroy{pack};
  CheckCudnn(cudnnBackendSetAttribute(pack, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, n, uids),
             "cudnnBackendSetAttribute(variant pack ids)");
  CheckCudnn(cudnnBackendSetAttribute(pack, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, n, ptrs),
             "cudnnBackendSetAttribute(variant pack pointers)");
  CheckCudnn(cudnnBackendSetAttribute(pack, CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &workspace),
             "cudnnBackendSetAttribute(variant pack workspace)");
  CheckCudnn(cudnnBackendFinalize(pack), "cudnnBackendFinalize(variant pack)");
  CheckCudnn(cudnnBackendExecute(handle, plan_, pack), "cudnnBackendExecute");
}

}  // namespace onyx::cuda
