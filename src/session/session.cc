#include "onyx/session.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "core/execution_provider.h"
#include "core/kernel_registry.h"
#include "core/profiler.h"
#include "core/thread_pool.h"
#include "cpu_kernels.h"
#ifdef ONYX_USE_CUDA
#include "cuda_provider.h"
#endif
#include "model/model_loader.h"
#include "graph/gradient.h"
#include "graph/shape_inference.h"
#include "image/image_kernels.h"
#include "optimizer/optimizer.h"
#include "session/execution_plan.h"
#include "session/partitioner.h"

namespace onyx {

const KernelRegistry& KernelRegistry::Global() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    RegisterCpuKernels(r);
    RegisterImageKernels(r);
#ifdef ONYX_USE_CUDA
    cuda::RegisterCudaKernels(r);
    cuda::RegisterCudaProvider();
#endif
    return r;
  }();
  return registry;
}

std::vector<std::string> AvailableProviders() {
  KernelRegistry::Global();  // registers the built-in providers
  return RegisteredExecutionProviders();
}

const char* Version() { return ONYX_VERSION; }

namespace {
// One provider per device for copies and allocations outside sessions (kept for the process).
const ExecutionProvider& ProviderFor(Device device) {
  static std::mutex mu;
  static std::map<std::pair<int, int>, std::unique_ptr<ExecutionProvider>> providers;
  std::lock_guard<std::mutex> lock(mu);
  auto& p = providers[{static_cast<int>(device.type), device.id}];
  if (!p) {
    KernelRegistry::Global();  // registers the built-in providers
    if (device.type == DeviceType::CPU) p = CreateExecutionProvider(kCpuProvider);
    else if (device.type == DeviceType::CUDA) p = CreateExecutionProvider("CUDAExecutionProvider", {{"device_id", std::to_string(device.id)}});
    else throw Error(ErrorCode::InvalidArgument, "no provider for device " + device.ToString());
  }
  return *p;
}
}  // namespace

Tensor CopyTensor(const Tensor& src, Device target) {
  if (src.on_cpu() && target.is_cpu()) return src.Clone();
  Tensor dst = AllocateTensor(src.dtype(), src.shape(), target);
  CopyTensorInto(src, dst);
  return dst;
}

void CopyTensorInto(const Tensor& src, Tensor& dst) {
  const Device via = !dst.on_cpu() ? dst.device() : src.device();
  const ExecutionProvider& p = ProviderFor(via);
  if (!src.on_cpu() && !dst.on_cpu() && src.device() != dst.device())
    throw Error(ErrorCode::NotImplemented, "copies between two devices (" + src.device().ToString() + " to " + dst.device().ToString() + ") go through the host");
  p.Copy(src, dst);
  p.Synchronize();
}

Tensor AllocateTensor(DataType dtype, const std::vector<int64_t>& shape, Device device) {
  if (device.is_cpu()) return Tensor(dtype, shape);
  return ProviderFor(device).Allocate(dtype, shape);
}

struct Session::Impl {
  SessionOptions options;
  Model model;
  std::vector<ValueInfo> inputs;       // feedable inputs (without initializer defaults)
  std::vector<ValueInfo> all_inputs;   // every graph input, in order
  std::vector<ValueInfo> outputs;
  std::vector<std::string> providers;
  std::vector<std::unique_ptr<ExecutionProvider>> provider_objects;  // in priority order, CPU last
  std::vector<NodePlacement> placement;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<ExecutionPlan> plan;
  std::unordered_map<std::string, size_t> input_index;   // name -> position in all_inputs
  std::unordered_map<std::string, size_t> output_index;  // name -> position in outputs
  // Null unless profiling was enabled; thread-safe, and runs touch it only when they end.
  std::unique_ptr<Profiler> profiler;

  ~Impl();
  // Starts profiling (if enabled) before the model is read, so that loading is in the trace.
  void StartProfiling(const SessionOptions& opts);
  void Init(Model m, const SessionOptions& opts);
  void CreateProviders(const SessionOptions& opts);
  void Log(int severity, const std::string& message) const;
  void CheckFeed(const ValueInfo& vi, const Value& v) const;
};

Session::Impl::~Impl() {
  // As onnxruntime: a session destroyed with profiling on still writes its trace.
  if (!profiler || !profiler->enabled()) return;
  try {
    profiler->End();
  } catch (const Error& e) {
    Log(3, std::string("profile not written: ") + e.what());
  }
}

void Session::Impl::StartProfiling(const SessionOptions& opts) {
  options.log_severity_level = opts.log_severity_level;
  if (!opts.enable_profiling) return;
  if (opts.profiling_max_events == 0) throw Error(ErrorCode::InvalidArgument, "profiling_max_events must be > 0");
  profiler = std::make_unique<Profiler>(opts.profile_file_prefix, opts.profiling_max_events);
}

void Session::Impl::Init(Model m, const SessionOptions& opts) {
  const auto init_begin = ProfileClock::now();
  options = opts;
  model = std::move(m);
  Graph& g = *model.graph;
  g.SortAndValidate();
  InferShapes(g);
  if (ExpandGradients(g)) {  // needs the inferred types; the expansion is then sorted and inferred
    g.SortAndValidate();
    InferShapes(g);
  }
  std::set<std::string> initializer_names;
  for (const auto& [n, t] : g.initializers) initializer_names.insert(n);
  for (const auto& in : g.inputs) {
    input_index[in.name] = all_inputs.size();
    all_inputs.push_back(in);
    if (!initializer_names.count(in.name)) inputs.push_back(in);
  }
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    outputs.push_back(g.outputs[i]);
    output_index[g.outputs[i].name] = i;
  }

  CreateProviders(opts);
  if (opts.intra_op_num_threads < 0) throw Error(ErrorCode::InvalidArgument, "intra_op_num_threads must be >= 0, got " + std::to_string(opts.intra_op_num_threads));
  int threads = opts.intra_op_num_threads > 0 ? opts.intra_op_num_threads : ThreadPool::DefaultThreadCount();
  if (threads > 1) pool = std::make_unique<ThreadPool>(threads);

  OptimizerContext octx{&KernelRegistry::Global(), kCpuProvider, providers};
  OptimizeGraph(g, opts.graph_optimization_level, octx);
  if (!opts.optimized_model_filepath.empty()) SaveModel(g, model.metadata, opts.optimized_model_filepath);
  std::vector<const ExecutionProvider*> eps;
  for (const auto& p : provider_objects) eps.push_back(p.get());
  Placement placed = PartitionGraph(g, eps, PartitionOptions{opts.disable_cpu_ep_fallback});
  if (eps.size() > 1) {
    Log(1, "node placement: " + placed.Summary());
    const std::string fallback = placed.FallbackOps();
    if (!fallback.empty())
      Log(2, "some nodes run on the CPU because " + eps.front()->name() + " cannot run them: " + fallback +
                 " (onyx info MODEL --providers ... shows the placement)");
  }
  placement = std::move(placed.nodes);
  // Weights the kernels packed leave the graph too, as the plan drops them.
  auto release = [&g](const std::string& name) {
    Tensor& t = g.initializers.at(name);
    t = Tensor::Borrow(t.dtype(), t.shape(), nullptr, t.device());
  };
  plan = std::make_unique<ExecutionPlan>(model.graph, eps, std::vector<std::string>{}, opts.enable_mem_pattern,
                                         opts.enable_cpu_mem_arena ? HostBlockCache::Create() : nullptr, release);
  if (profiler) profiler->AddSessionEvent("session_initialization", init_begin);
}

void Session::Impl::Log(int severity, const std::string& message) const {
  if (severity >= options.log_severity_level) std::fprintf(stderr, "[onyx %s] %s\n", severity >= 3 ? "E" : severity == 2 ? "W" : "I", message.c_str());
}

void Session::Impl::CreateProviders(const SessionOptions& opts) {
  std::vector<std::string> wanted = opts.providers;
  if (std::find(wanted.begin(), wanted.end(), kCpuProvider) == wanted.end()) wanted.push_back(kCpuProvider);
  const auto available = AvailableProviders();
  for (const auto& name : wanted) {
    if (std::find(available.begin(), available.end(), name) == available.end()) {
      std::string list;
      for (const auto& a : available) list += (list.empty() ? "" : ", ") + a;
      throw Error(ErrorCode::InvalidArgument, "execution provider '" + name + "' is not available in this build of onyx (available: " + list + ")");
    }
    if (std::find(providers.begin(), providers.end(), name) != providers.end()) continue;
    auto it = opts.provider_options.find(name);
    const ProviderOptions po = it == opts.provider_options.end() ? ProviderOptions{} : it->second;
    try {
      provider_objects.push_back(CreateExecutionProvider(name, po));
    } catch (const Error& e) {
      if (name == kCpuProvider || opts.disable_cpu_ep_fallback || e.code() == ErrorCode::InvalidArgument) throw;
      Log(2, "cannot create " + name + ", running on the remaining providers: " + e.what());
      continue;
    }
    providers.push_back(name);
  }
  for (const auto& [name, po] : opts.provider_options)
    if (std::find(wanted.begin(), wanted.end(), name) == wanted.end())
      throw Error(ErrorCode::InvalidArgument, "options given for execution provider '" + name + "', which is not in the providers list");
}

namespace {
std::string DescribeValue(const Value& v) {
  if (v.is_none()) return "None";
  if (v.is_sequence()) return std::string("seq(tensor(") + DataTypeName(v.sequence_elem_type()) + "))";
  return std::string("tensor(") + DataTypeName(v.tensor().dtype()) + ")";
}
}  // namespace

void Session::Impl::CheckFeed(const ValueInfo& vi, const Value& v) const {
  if (vi.kind == ValueInfo::Kind::Tensor) {
    if (!v.is_tensor())
      throw Error(ErrorCode::InvalidArgument, "input '" + vi.name + "' expects " + vi.type_string + " but got " + DescribeValue(v));
    const Tensor& t = v.tensor();
    if (vi.dtype != DataType::Undefined && t.dtype() != vi.dtype)
      throw Error(ErrorCode::InvalidArgument, "Unexpected input data type for input '" + vi.name + "'. Actual: (" +
                                                  DescribeValue(v) + ") , expected: (" + vi.type_string + ")");
    if (vi.has_shape) {
      if (t.rank() != vi.shape.size())
        throw Error(ErrorCode::InvalidArgument, "Invalid rank for input: " + vi.name + " Got: " + std::to_string(t.rank()) +
                                                    " Expected: " + std::to_string(vi.shape.size()) + " Please fix either the inputs/outputs or the model.");
      std::string bad;
      for (size_t i = 0; i < t.rank(); ++i)
        if (vi.shape[i].is_fixed() && vi.shape[i].value != t.dim(i))
          bad += " index: " + std::to_string(i) + " Got: " + std::to_string(t.dim(i)) + " Expected: " + std::to_string(vi.shape[i].value);
      if (!bad.empty())
        throw Error(ErrorCode::InvalidArgument, "Got invalid dimensions for input: " + vi.name + " for the following indices" + bad +
                                                    " Please fix either the inputs/outputs or the model.");
    }
  } else if (vi.kind == ValueInfo::Kind::Sequence) {
    if (!v.is_sequence())
      throw Error(ErrorCode::InvalidArgument, "input '" + vi.name + "' expects " + vi.type_string + " but got " + DescribeValue(v));
  }
}

Session::Session(const std::string& model_path, const SessionOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->StartProfiling(options);
  const auto begin = ProfileClock::now();
  Model m = LoadModelFromFile(model_path);
  if (impl_->profiler) impl_->profiler->AddSessionEvent("model_loading_uri", begin);
  impl_->Init(std::move(m), options);
}

Session::Session(const void* model_bytes, size_t size, const SessionOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->StartProfiling(options);
  const auto begin = ProfileClock::now();
  Model m = LoadModelFromBytes(model_bytes, size, "");
  if (impl_->profiler) impl_->profiler->AddSessionEvent("model_loading_array", begin);
  impl_->Init(std::move(m), options);
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

const std::vector<ValueInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<ValueInfo>& Session::outputs() const { return impl_->outputs; }
const ModelMetadata& Session::metadata() const { return impl_->model.metadata; }
std::vector<std::string> Session::providers() const { return impl_->providers; }
const std::vector<NodePlacement>& Session::placement() const { return impl_->placement; }

MemoryPlanSummary Session::memory_plan() const {
  const MemoryPlan& p = impl_->plan->memory_plan();
  return {p.peak_bytes, p.total_bytes, p.live_lower_bound, p.buffers.size(), p.unplanned_values};
}

std::string Session::EndProfiling() { return impl_->profiler ? impl_->profiler->End() : std::string(); }

int64_t Session::ProfilingStartTimeNs() const { return impl_->profiler ? impl_->profiler->start_time_ns() : 0; }

std::vector<Value> Session::RunValues(const std::vector<std::pair<std::string, Value>>& feeds,
                                      const std::vector<std::string>& output_names, const RunOptions& run_options) const {
  const Impl& s = *impl_;
  std::vector<Value> inputs(s.all_inputs.size());
  std::vector<bool> given(s.all_inputs.size(), false);
  for (const auto& [name, v] : feeds) {
    auto it = s.input_index.find(name);
    if (it == s.input_index.end()) {
      std::string names;
      for (const auto& in : s.inputs) names += (names.empty() ? "" : ", ") + in.name;
      throw Error(ErrorCode::InvalidArgument, "Invalid input name: '" + name + "' (the model's inputs are: " + names + ")");
    }
    if (given[it->second]) throw Error(ErrorCode::InvalidArgument, "input '" + name + "' is fed twice");
    s.CheckFeed(s.all_inputs[it->second], v);
    inputs[it->second] = v;
    given[it->second] = true;
  }
  std::string missing;
  for (const auto& in : s.inputs)
    if (!given[s.input_index.at(in.name)] && in.kind != ValueInfo::Kind::Optional) missing += (missing.empty() ? "'" : ", '") + in.name + "'";
  if (!missing.empty()) throw Error(ErrorCode::InvalidArgument, "Required inputs (" + missing + ") are missing from input feed");

  std::vector<int> wanted;
  if (output_names.empty()) {
    wanted = s.plan->output_slots();
  } else {
    for (const auto& n : output_names) {
      auto it = s.output_index.find(n);
      if (it == s.output_index.end()) {
        std::string names;
        for (const auto& o : s.outputs) names += (names.empty() ? "" : ", ") + o.name;
        throw Error(ErrorCode::InvalidArgument, "Invalid output name: '" + n + "' (the model's outputs are: " + names + ")");
      }
      wanted.push_back(s.plan->output_slots()[it->second]);
    }
  }
  if (!s.profiler || !s.profiler->enabled())
    return s.plan->Execute(inputs, s.pool.get(), nullptr, wanted, run_options.terminate.get(), run_options.keep_outputs_on_device);
  RunProfile profile(*s.profiler);
  const auto begin = ProfileClock::now();
  // The run's events reach the profiler whether it succeeds or fails: a failing run is what
  // one most wants to see in a trace.
  auto hand_over = [&] {
    ProfileEvent e;
    e.name = "model_run";
    e.ts_us = s.profiler->Micros(begin);
    e.dur_us = s.profiler->Micros(ProfileClock::now()) - e.ts_us;
    e.tid = profile.tid();
    profile.Add(std::move(e));
    if (s.profiler->Merge(std::move(profile.events()), profile.dropped()))
      s.Log(2, "profiling keeps at most " + std::to_string(s.profiler->max_events()) +
                   " events; later ones are dropped (call EndProfiling to write the trace)");
  };
  std::vector<Value> out;
  try {
    out = s.plan->Execute(inputs, s.pool.get(), nullptr, wanted, run_options.terminate.get(), run_options.keep_outputs_on_device, &profile);
  } catch (...) {
    hand_over();
    throw;
  }
  hand_over();
  return out;
}

std::vector<Tensor> Session::Run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                                 const std::vector<std::string>& output_names) const {
  std::vector<std::pair<std::string, Value>> vfeeds;
  vfeeds.reserve(feeds.size());
  for (const auto& [n, t] : feeds) vfeeds.emplace_back(n, Value(t));
  std::vector<Value> values = RunValues(vfeeds, output_names);
  std::vector<Tensor> out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i].is_tensor())
      throw Error(ErrorCode::InvalidArgument, "output " + std::to_string(i) + " is not a tensor; use RunValues for sequences and optionals");
    out.push_back(values[i].tensor());
  }
  return out;
}

}  // namespace onyx
