#include "onyx/session.h"

#include <filesystem>
#include <mutex>
#include <set>
#include <unordered_map>

#include "core/kernel_registry.h"
#include "core/thread_pool.h"
#include "cpu_kernels.h"
#include "model/model_loader.h"
#include "graph/shape_inference.h"
#include "optimizer/optimizer.h"
#include "session/execution_plan.h"

namespace onyx {

const KernelRegistry& KernelRegistry::Global() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    RegisterCpuKernels(r);
    return r;
  }();
  return registry;
}

std::vector<std::string> AvailableProviders() { return {kCpuProvider}; }

const char* Version() { return ONYX_VERSION; }

struct Session::Impl {
  SessionOptions options;
  Model model;
  std::vector<ValueInfo> inputs;       // feedable inputs (without initializer defaults)
  std::vector<ValueInfo> all_inputs;   // every graph input, in order
  std::vector<ValueInfo> outputs;
  std::vector<std::string> providers;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<ExecutionPlan> plan;
  std::unordered_map<std::string, size_t> input_index;   // name -> position in all_inputs
  std::unordered_map<std::string, size_t> output_index;  // name -> position in outputs

  void Init(Model m, const SessionOptions& opts);
  void CheckFeed(const ValueInfo& vi, const Value& v) const;
};

void Session::Impl::Init(Model m, const SessionOptions& opts) {
  options = opts;
  model = std::move(m);
  Graph& g = *model.graph;
  g.SortAndValidate();
  InferShapes(g);
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

  const auto available = AvailableProviders();
  if (opts.providers.empty()) {
    providers = available;
  } else {
    for (const auto& p : opts.providers) {
      if (std::find(available.begin(), available.end(), p) == available.end()) {
        std::string list;
        for (const auto& a : available) list += (list.empty() ? "" : ", ") + a;
        throw Error(ErrorCode::InvalidArgument, "execution provider '" + p + "' is not available in this build of onyx (available: " + list + ")");
      }
      providers.push_back(p);
    }
  }
  if (std::find(providers.begin(), providers.end(), kCpuProvider) == providers.end()) providers.push_back(kCpuProvider);

  if (opts.intra_op_num_threads < 0) throw Error(ErrorCode::InvalidArgument, "intra_op_num_threads must be >= 0, got " + std::to_string(opts.intra_op_num_threads));
  int threads = opts.intra_op_num_threads > 0 ? opts.intra_op_num_threads : ThreadPool::DefaultThreadCount();
  if (threads > 1) pool = std::make_unique<ThreadPool>(threads);

  OptimizerContext octx{&KernelRegistry::Global(), kCpuProvider};
  OptimizeGraph(g, opts.graph_optimization_level, octx);
  if (!opts.optimized_model_filepath.empty()) SaveModel(g, model.metadata, opts.optimized_model_filepath);
  plan = std::make_unique<ExecutionPlan>(model.graph, KernelRegistry::Global(), providers);
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
  impl_->Init(LoadModelFromFile(model_path), options);
}

Session::Session(const void* model_bytes, size_t size, const SessionOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->Init(LoadModelFromBytes(model_bytes, size, ""), options);
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

const std::vector<ValueInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<ValueInfo>& Session::outputs() const { return impl_->outputs; }
const ModelMetadata& Session::metadata() const { return impl_->model.metadata; }
std::vector<std::string> Session::providers() const { return impl_->providers; }

std::vector<Value> Session::RunValues(const std::vector<std::pair<std::string, Value>>& feeds,
                                      const std::vector<std::string>& output_names) const {
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
  return s.plan->Execute(inputs, s.pool.get(), nullptr, wanted);
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
