#include "session/execution_plan.h"

#include <algorithm>
#include <set>

#include "core/profiler.h"
#include "core/thread_pool.h"
#include "session/partitioner.h"

namespace onyx {

namespace {

// Calls f(name) for each value that a subgraph of node (If/Loop/Scan bodies) reads from the
// enclosing scopes: at run time, not through the node's inputs.
template <typename F>
void ForEachSubgraphRead(const Node& node, const F& f) {
  for (const auto& [an, a] : node.attributes) {
    std::vector<std::shared_ptr<Graph>> subs = a.graphs;
    if (a.g) subs.push_back(a.g);
    for (const auto& sg : subs)
      for (const auto& name : sg->OuterScopeReads()) f(name);
  }
}

// Whether any kernel of any provider belongs to `domain` (to tell custom-op domains apart).
bool HasDomain(const KernelRegistry& registry, const std::string& domain) {
  for (const auto& def : registry.all())
    if (def.domain == domain) return true;
  return false;
}


class PlanSubgraph;

class PlanKernelInfoImpl : public KernelInfo {
 public:
  PlanKernelInfoImpl(const Node& node, const std::vector<const Tensor*>& consts, const ExecutionProvider* provider,
                     const std::vector<const ExecutionProvider*>& providers, const std::vector<std::string>& visible)
      : node_(node), consts_(consts), provider_(provider), providers_(providers), visible_(visible) {}
  const Node& node() const override { return node_; }
  const Tensor* ConstantInput(size_t i) const override { return i < consts_.size() ? consts_[i] : nullptr; }
  std::shared_ptr<Subgraph> CompileSubgraph(const Graph& g) const override;
  const ExecutionProvider* provider() const override { return provider_->is_cpu() ? nullptr : provider_; }

 private:
  const Node& node_;
  std::vector<const Tensor*> consts_;
  const ExecutionProvider* provider_;
  const std::vector<const ExecutionProvider*>& providers_;
  const std::vector<std::string>& visible_;
};

// MemcpyFromHost / MemcpyToHost, inserted by the partitioner at device edges. A value already
// where it is going (a feed that the caller placed on the device; a graph output the caller
// wants left on the device) passes through without a copy.
class DeviceCopyKernel final : public OpKernel {
 public:
  DeviceCopyKernel(const ExecutionProvider& device, bool to_host, bool graph_output)
      : device_(device), to_host_(to_host), graph_output_(graph_output) {}
  void Compute(KernelContext& ctx) const override;
  Tensor Run(const Tensor& src) const {
    if (src.device() == (to_host_ ? Device{} : device_.device())) return src;
    Tensor dst = to_host_ ? Tensor(src.dtype(), src.shape()) : device_.Allocate(src.dtype(), src.shape());
    device_.Copy(src, dst);
    return dst;
  }

 private:
  const ExecutionProvider& device_;
  bool to_host_, graph_output_;
};

}  // namespace

class FrameKernelContext : public KernelContext {
 public:
  FrameKernelContext(Frame& frame, const ExecutionPlan::Step& step, ThreadPool* pool, const std::atomic<bool>* terminate,
                     bool keep_device_outputs, RunProfile* profile)
      : frame_(frame), step_(step), pool_(pool), terminate_(terminate), keep_device_outputs_(keep_device_outputs), profile_(profile) {}
  bool keep_device_outputs() const { return keep_device_outputs_; }
  const ExecutionProvider* provider() const override { return step_.provider->is_cpu() ? nullptr : step_.provider; }
  HostBlockCache* host_block_cache() const override { return frame_.plan->host_cache_.get(); }
  const Node& node() const override { return *step_.node; }
  size_t num_inputs() const override { return step_.inputs.size(); }
  size_t num_outputs() const override { return step_.outputs.size(); }
  const Value* InputValue(size_t i) const override {
    if (i >= step_.inputs.size() || step_.inputs[i] < 0) return nullptr;
    return &frame_.values[step_.inputs[i]];
  }
  void SetOutput(size_t i, Value v) override {
    if (i >= step_.outputs.size()) throw MakeError(ErrorCode::RuntimeException, "kernel wrote output " + std::to_string(i) + " which the node does not have");
    if (step_.outputs[i] >= 0) frame_.values[step_.outputs[i]] = std::move(v);
  }
  ThreadPool* thread_pool() const override { return pool_; }
  const Value* LookupOuter(const std::string& name) const override { return frame_.Lookup(name); }
  bool terminated() const override { return terminate_ && *terminate_; }
  const Frame& frame() const { return frame_; }
  const std::atomic<bool>* terminate_flag() const { return terminate_; }
  RunProfile* profile() const { return profile_; }

 protected:
  Tensor& OutputTensorSlot(size_t i) override {
    if (i >= step_.outputs.size()) throw MakeError(ErrorCode::RuntimeException, "kernel wrote output " + std::to_string(i) + " which the node does not have");
    if (step_.outputs[i] < 0) {
      scratch_ = Value(Tensor());
      return scratch_.tensor();
    }
    Value& v = frame_.values[step_.outputs[i]];
    v = Value(Tensor());
    if (frame_.arena) v = Value(frame_.plan->ArenaTensor(frame_, step_.outputs[i]));
    if (!v.tensor().defined() && step_.in_place_input[i] >= 0) {
      // An output the plan did not place (e.g. a symbolic batch) takes over its input's storage
      // when that storage is the run's own heap block and nothing else shares it; KernelContext::
      // Output keeps it only for the same dtype and shape. A planned input stays in its block.
      const int src = step_.inputs[step_.in_place_input[i]];
      const Value& in = frame_.values[src];
      const bool planned = !frame_.plan->planned_buffer_.empty() && frame_.plan->planned_buffer_[src] >= 0;
      if (!planned && in.is_tensor() && in.tensor().on_cpu() && in.tensor().owns_data_alone()) v = in;
    }
    return v.tensor();
  }

 private:
  Frame& frame_;
  const ExecutionPlan::Step& step_;
  ThreadPool* pool_;
  const std::atomic<bool>* terminate_;
  bool keep_device_outputs_;
  RunProfile* profile_;
  Value scratch_;
};

namespace {

void DeviceCopyKernel::Compute(KernelContext& ctx) const {
  const Tensor& src = ctx.Input(0);
  if (graph_output_ && static_cast<FrameKernelContext&>(ctx).keep_device_outputs()) {
    ctx.SetOutput(0, src);
    return;
  }
  ctx.SetOutput(0, Run(src));
}

class PlanSubgraph : public Subgraph {
 public:
  PlanSubgraph(std::shared_ptr<const Graph> g, const std::vector<const ExecutionProvider*>& providers,
               const std::vector<std::string>& visible)
      : plan_(std::move(g), providers, visible) {
    for (int s : plan_.output_slots()) outputs_.push_back(s);
  }
  const Graph& graph() const override { return plan_.graph(); }
  std::vector<Value> Run(KernelContext& ctx, const std::vector<Value>& inputs) const override {
    auto& fctx = static_cast<FrameKernelContext&>(ctx);
    return plan_.Execute(inputs, ctx.thread_pool(), &fctx.frame(), outputs_, fctx.terminate_flag(), false, fctx.profile());
  }

 private:
  ExecutionPlan plan_;
  std::vector<int> outputs_;
};

std::shared_ptr<Subgraph> PlanKernelInfoImpl::CompileSubgraph(const Graph& g) const {
  // The subgraph is owned by the node's attribute, which outlives the plan.
  std::shared_ptr<const Graph> alias(std::shared_ptr<const Graph>(), &g);
  std::vector<const ExecutionProvider*> cpu;
  for (const auto* p : providers_)
    if (p->is_cpu()) cpu.push_back(p);
  return std::make_shared<PlanSubgraph>(alias, cpu, visible_);
}

}  // namespace

const Value* Frame::Lookup(const std::string& name) const {
  int s = plan->SlotOf(name);
  if (s >= 0 && !values[s].is_none()) return &values[s];
  if (s >= 0 && !plan->constants_[s].is_none()) return &plan->constants_[s];
  return parent ? parent->Lookup(name) : nullptr;
}

// Drops each initializer that its readers packed as soon as the last of them is created
// (OpKernel::PackedConstantInput), so that a model's weights are not resident twice, as original
// and packed copy, while the session is created. The plan keeps a tensor of the same type and
// shape without data; release_initializer lets the graph's owner drop its reference too.
class ExecutionPlan::PackedConstantTracker {
 public:
  PackedConstantTracker(ExecutionPlan& plan, const Graph& g, std::function<void(const std::string&)> release)
      : plan_(plan), release_(std::move(release)), readers_(plan.slot_names_.size(), 0),
        keep_(plan.slot_names_.size(), false) {
    for (int s : plan.output_slots_) keep_[s] = true;
    for (int s : plan.input_slots_) keep_[s] = true;  // a feed may replace it
    for (const auto& node : g.nodes) {
      // A device copy of a weight is made once while planning, from the original.
      const bool copy = node.domain == kOnyxInternalDomain;
      for (const auto& in : node.inputs) {
        const int s = plan.SlotOf(in);
        if (s < 0) continue;
        ++readers_[s];
        if (copy) keep_[s] = true;
      }
      ForEachSubgraphRead(node, [&](const std::string& name) {
        const int s = plan.SlotOf(name);
        if (s >= 0) keep_[s] = true;
      });
    }
  }

  // A step's kernel was created: its constant inputs that no later kernel reads are dropped when
  // every reader packed them.
  void Created(const Step& step) {
    for (size_t j = 0; j < step.inputs.size(); ++j) {
      const int s = step.inputs[j];
      if (s < 0 || plan_.constants_[s].is_none() || keep_[s]) continue;
      if (!step.kernel->PackedConstantInput(j)) keep_[s] = true;
      if (--readers_[s] > 0 || keep_[s]) continue;
      const Tensor& t = plan_.constants_[s].tensor();
      plan_.constants_[s] = Value(Tensor::Borrow(t.dtype(), t.shape(), nullptr, t.device()));
      plan_.released_constants_.push_back(plan_.slot_names_[s]);
      if (release_) release_(plan_.slot_names_[s]);
    }
  }

 private:
  ExecutionPlan& plan_;
  std::function<void(const std::string&)> release_;
  std::vector<int> readers_;  // per slot: readers whose kernels are not created yet
  std::vector<bool> keep_;    // per slot: a reader needs the data
};

ExecutionPlan::ExecutionPlan(std::shared_ptr<const Graph> graph, std::vector<const ExecutionProvider*> providers,
                             const std::vector<std::string>& outer_names, bool serve_from_arena,
                             std::shared_ptr<HostBlockCache> host_cache,
                             std::function<void(const std::string&)> release_initializer)
    : graph_(std::move(graph)),
      providers_(std::move(providers)),
      serve_from_arena_(serve_from_arena),
      host_cache_(std::move(host_cache)) {
  const Graph& g = *graph_;
  auto slot = [&](const std::string& name) {
    auto [it, fresh] = slots_.emplace(name, static_cast<int>(slot_names_.size()));
    if (fresh) slot_names_.push_back(name);
    return it->second;
  };
  for (const auto& in : g.inputs) input_slots_.push_back(slot(in.name));
  for (const auto& [name, t] : g.initializers) slot(name);
  for (const auto& node : g.nodes)
    for (const auto& o : node.outputs)
      if (!o.empty()) slot(o);
  // Anything read but not defined here comes from an enclosing graph.
  std::set<std::string> outer(outer_names.begin(), outer_names.end());
  for (const auto& name : g.OuterScopeReads()) {
    if (!slots_.count(name)) outer_reads_.emplace_back(slot(name), name);
  }
  for (const auto& o : g.outputs) output_slots_.push_back(slot(o.name));
  constants_.assign(slot_names_.size(), Value());
  for (const auto& [name, t] : g.initializers) constants_[slots_.at(name)] = Value(t);

  // Names visible to subgraphs of this graph: everything here plus everything outside.
  std::vector<std::string> visible(outer_names);
  visible.insert(visible.end(), slot_names_.begin(), slot_names_.end());

  std::vector<int> last_use(slot_names_.size(), -1);
  PackedConstantTracker packed_constants(*this, g, release_initializer);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& node = g.nodes[i];
    const int step_index = static_cast<int>(steps_.size());
    Step step;
    step.node = &node;
    std::vector<const Tensor*> consts;
    for (const auto& in : node.inputs) {
      int s = in.empty() ? -1 : slot(in);
      step.inputs.push_back(s);
      const bool is_const = s >= 0 && !constants_[s].is_none() &&
                            std::find(input_slots_.begin(), input_slots_.end(), s) == input_slots_.end();
      consts.push_back(is_const ? &constants_[s].tensor() : nullptr);
      if (s >= 0) last_use[s] = step_index;
    }
    // Values that subgraphs read from this scope must live until this node has run.
    ForEachSubgraphRead(node, [&](const std::string& name) {
      auto it = slots_.find(name);
      if (it != slots_.end()) last_use[it->second] = step_index;
    });
    for (const auto& o : node.outputs) step.outputs.push_back(o.empty() ? -1 : slot(o));
    if (node.domain == kOnyxInternalDomain) {
      step.provider = FindProvider(node.provider);
      const Attribute* out_attr = node.FindAttribute("graph_output");
      auto copy = std::make_unique<DeviceCopyKernel>(*step.provider, node.op_type == "MemcpyToHost", out_attr && out_attr->i != 0);
      if (consts[0]) {  // a weight copied to the device once, not per run
        constants_[step.outputs[0]] = Value(copy->Run(*consts[0]));
        continue;
      }
      step.kernel = std::move(copy);
      node_providers_.push_back(step.provider->name());
      steps_.push_back(std::move(step));
      continue;
    }
    const KernelDef* def = nullptr;
    const ExecutionProvider* chosen = nullptr;
    for (const auto* p : providers_) {
      if (!node.provider.empty() && p->name() != node.provider) continue;
      def = p->registry().Find(p->name(), node.domain, node.op_type, node.opset);
      if (def) {
        chosen = p;
        break;
      }
    }
    if (!def && node.domain.empty() && !IsOnnxOperator(node.op_type))
      throw Error(ErrorCode::InvalidGraph, node.Describe() + ": '" + node.op_type + "' is not an ONNX operator (domain ai.onnx)");
    if (!def && !node.domain.empty() && !HasDomain(KernelRegistry::Global(), node.domain))
      throw Error(ErrorCode::NotImplemented, "no kernel for " + node.Describe() + ": onyx has no operators in domain '" + node.domain +
                                                 "' (custom operator libraries are not supported)");
    if (!def) {
      std::string dom = node.domain.empty() ? "ai.onnx" : node.domain;
      throw Error(ErrorCode::NotImplemented,
                  "no kernel for " + node.Describe() + " (domain " + dom + ", opset " + std::to_string(node.opset) +
                      "): onyx does not implement " + node.op_type + (KernelRegistry::Global().HasOp(node.domain, node.op_type) ? " for this opset version" : " yet"));
    }
    step.provider = chosen;
    PlanKernelInfoImpl info(node, consts, chosen, providers_, visible);
    step.kernel = def->factory(info);
    packed_constants.Created(step);
    node_providers_.push_back(chosen->name());
    steps_.push_back(std::move(step));
  }
  for (const auto& step : steps_)
    if (!step.provider->is_cpu() && std::find(devices_.begin(), devices_.end(), step.provider) == devices_.end())
      devices_.push_back(step.provider);
  // A feed placed on a device by the caller must reach host kernels in host memory.
  std::set<int> host_read(output_slots_.begin(), output_slots_.end());
  for (const auto& step : steps_) {
    if (step.provider->is_cpu() && step.node->domain != kOnyxInternalDomain && !ReadsMetadataOnly(*step.node))
      host_read.insert(step.inputs.begin(), step.inputs.end());
  }
  for (int s : input_slots_) input_read_on_host_.push_back(host_read.count(s) > 0);
  if (!devices_.empty()) device_mutex_ = std::make_unique<std::mutex>();
  constant_slots_.assign(slot_names_.size(), false);
  for (size_t s = 0; s < constants_.size(); ++s)
    constant_slots_[s] = !constants_[s].is_none() && std::find(input_slots_.begin(), input_slots_.end(), static_cast<int>(s)) == input_slots_.end();
  std::set<int> keep(output_slots_.begin(), output_slots_.end());
  for (size_t s = 0; s < last_use.size(); ++s) {
    if (last_use[s] >= 0 && !keep.count(static_cast<int>(s)) && constants_[s].is_none())
      steps_[last_use[s]].release.push_back(static_cast<int>(s));
  }
  // In place: an input may lend its storage to an output when this step is its last reader and
  // the run made it (not a feed, a constant or a value of an enclosing graph).
  std::set<int> foreign(input_slots_.begin(), input_slots_.end());
  for (const auto& [s, name] : outer_reads_) foreign.insert(s);
  for (auto& step : steps_) {
    step.in_place_input.assign(step.outputs.size(), -1);
    if (!step.kernel || !step.provider->is_cpu()) continue;
    for (size_t o = 0; o < step.outputs.size(); ++o) {
      const int in = step.kernel->InPlaceInput(o);
      if (step.outputs[o] < 0 || in < 0 || static_cast<size_t>(in) >= step.inputs.size()) continue;
      const int src = step.inputs[in];
      if (src < 0 || foreign.count(src) || !constants_[src].is_none() ||
          std::count(step.inputs.begin(), step.inputs.end(), src) != 1 ||
          std::find(step.release.begin(), step.release.end(), src) == step.release.end())
        continue;
      step.in_place_input[o] = in;
    }
  }
  PlanMemory(last_use);
}

void ExecutionPlan::PlanMemory(const std::vector<int>& last_use) {
  std::unordered_map<std::string, const ValueInfo*> infos;
  for (const auto& vi : graph_->value_info) infos[vi.name] = &vi;
  // Bytes of a value whose type and every dimension inference fixed; 0 when only a run knows.
  auto info = [&](const std::string& name) { return infos.at(name); };
  auto static_bytes = [&](const std::string& name) -> size_t {
    auto it = infos.find(name);
    if (it == infos.end()) return 0;
    const ValueInfo& vi = *it->second;
    if (vi.kind != ValueInfo::Kind::Tensor || !vi.has_shape || DataTypeSize(vi.dtype) == 0) return 0;
    size_t bytes = DataTypeSize(vi.dtype);
    for (const Dim& d : vi.shape) {
      if (!d.is_fixed()) return 0;
      if (d.value == 0) return 0;  // an empty tensor needs no memory
      if (bytes > SIZE_MAX / static_cast<size_t>(d.value)) return 0;
      bytes *= static_cast<size_t>(d.value);
    }
    return bytes;
  };
  const std::set<int> outputs(output_slots_.begin(), output_slots_.end());
  const int last_step = static_cast<int>(steps_.size()) - 1;
  std::vector<int> buffer_of(slot_names_.size(), -1);
  std::vector<bool> taken_over;
  // The planned buffer of input `in` of step i that output slot s may take over in place
  // (OpKernel::InPlaceInput), or -1: a value of s's static type and shape, read by no one after
  // this step (nor twice by it), not taken over already.
  auto in_place_donor = [&](size_t i, const Step& step, int in, int s) -> int {
    if (in < 0) return -1;
    const int src = step.inputs[in];
    if (buffer_of[src] < 0 || last_use[src] != static_cast<int>(i) || taken_over[buffer_of[src]]) return -1;
    const ValueInfo& a = *info(slot_names_[src]);
    const ValueInfo& b = *info(slot_names_[s]);
    if (a.dtype != b.dtype || a.shape.size() != b.shape.size()) return -1;
    for (size_t d = 0; d < a.shape.size(); ++d)
      if (a.shape[d].value != b.shape[d].value) return -1;
    return buffer_of[src];
  };
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Step& step = steps_[i];
    for (size_t o = 0; o < step.outputs.size(); ++o) {
      const int s = step.outputs[o];
      // Graph outputs leave with the caller, so they are not the run's to reuse.
      if (s < 0 || outputs.count(s) || !constants_[s].is_none()) continue;
      const size_t bytes = step.provider->is_cpu() ? static_bytes(slot_names_[s]) : 0;
      if (bytes == 0) {
        ++memory_plan_.unplanned_values;
        continue;
      }
      PlannedBuffer b;
      b.slot = s;
      b.bytes = bytes;
      b.first_step = static_cast<int>(i);
      // A value nobody reads is released by no step: it lives until the run ends.
      b.last_step = last_use[s] >= b.first_step ? last_use[s] : last_step;
      b.reuses = in_place_donor(i, step, step.in_place_input[o], s);
      if (b.reuses >= 0) taken_over[b.reuses] = true;
      buffer_of[s] = static_cast<int>(memory_plan_.buffers.size());
      memory_plan_.buffers.push_back(b);
      taken_over.push_back(false);
    }
  }
  AssignOffsets(memory_plan_);
  if (!serve_from_arena_ || memory_plan_.buffers.empty()) return;
  const auto& buffers = memory_plan_.buffers;
  planned_buffer_.assign(slot_names_.size(), -1);
  for (size_t b = 0; b < buffers.size(); ++b) {
    const ValueInfo& vi = *info(slot_names_[buffers[b].slot]);
    PlannedType t{vi.dtype, {}, {}};
    for (const Dim& d : vi.shape) t.shape.push_back(d.value);
    for (size_t o = 0; o < buffers.size(); ++o)
      if (o != b && buffers[o].offset < buffers[b].offset + buffers[b].bytes && buffers[b].offset < buffers[o].offset + buffers[o].bytes)
        t.shares_bytes_with.push_back(static_cast<int>(o));
    planned_types_.push_back(std::move(t));
    planned_buffer_[buffers[b].slot] = static_cast<int>(b);
  }
}

Tensor ExecutionPlan::ArenaTensor(Frame& frame, int slot) const {
  const int b = planned_buffer_[slot];
  if (b < 0) return Tensor();
  RunArena& arena = *frame.arena;
  // The plan assumed every value dies at its last reader; a kernel that returned a view of its
  // input (Reshape, Identity...) keeps the block alive longer, and then this value goes to the heap.
  void* data = static_cast<char*>(arena.block.get()) + memory_plan_.buffers[b].offset;
  const int donor = memory_plan_.buffers[b].reuses;
  for (int o : planned_types_[b].shares_bytes_with) {
    if (arena.users[o].expired()) continue;
    // In place: the input this output takes over may hold the block, if it alone does (this
    // step's input, whose last reader this is, and no view of it).
    if (o == donor && arena.users[o].use_count() == 1) {
      const Value& in = frame.values[memory_plan_.buffers[o].slot];
      if (in.is_tensor() && in.tensor().raw_data() == data) continue;
    }
    return Tensor();
  }
  // Its own control block, so that users[b] tells when this buffer (not the arena) is free;
  // it holds the arena, so that an output viewing it keeps the block alive after the run.
  std::shared_ptr<void> handle(data, [keep = arena.block](void*) {});
  arena.users[b] = handle;
  const PlannedType& t = planned_types_[b];
  return Tensor::Wrap(t.dtype, t.shape, std::move(handle), Device{});
}

const ExecutionProvider* ExecutionPlan::FindProvider(const std::string& name) const {
  for (const auto* p : providers_)
    if (p->name() == name) return p;
  throw Error(ErrorCode::InvalidGraph, "node assigned to execution provider '" + name + "', which the session does not have");
}

int ExecutionPlan::SlotOf(const std::string& name) const {
  auto it = slots_.find(name);
  return it == slots_.end() ? -1 : it->second;
}

std::vector<Value> ExecutionPlan::Execute(const std::vector<Value>& inputs, ThreadPool* pool, const Frame* parent,
                                          const std::vector<int>& wanted, const std::atomic<bool>* terminate,
                                          bool keep_device_outputs, RunProfile* profile) const {
  std::unique_lock<std::mutex> device_lock;
  if (device_mutex_) device_lock = std::unique_lock<std::mutex>(*device_mutex_);
  Frame frame{this, parent, std::vector<Value>(slot_names_.size()), nullptr};
  if (!planned_types_.empty()) {
    // Uninitialised: KernelContext::Output fills what a kernel takes as output_fill.h says.
    frame.arena = std::make_unique<RunArena>();
    if (host_cache_) {
      frame.arena->block = host_cache_->Get(memory_plan_.peak_bytes);
    } else {
      void* block = ::operator new[](memory_plan_.peak_bytes, std::align_val_t(64));
      frame.arena->block = std::shared_ptr<void>(block, [](void* p) { ::operator delete[](p, std::align_val_t(64)); });
    }
    frame.arena->users.resize(planned_types_.size());
  }
  for (size_t s = 0; s < constants_.size(); ++s)
    if (!constants_[s].is_none()) frame.values[s] = constants_[s];
  for (size_t i = 0; i < input_slots_.size() && i < inputs.size(); ++i) {
    if (inputs[i].is_none() && !constants_[input_slots_[i]].is_none()) continue;
    Value v = inputs[i];
    if (v.is_tensor() && !v.tensor().on_cpu() && input_read_on_host_[i]) {
      const ExecutionProvider* owner = nullptr;
      for (const auto* d : devices_)
        if (d->device() == v.tensor().device()) owner = d;
      if (!owner)
        throw Error(ErrorCode::InvalidArgument, "input '" + graph_->inputs[i].name + "' is on " + v.tensor().device().ToString() +
                                                    ", a device this session does not use; pass it in host memory");
      Tensor host(v.tensor().dtype(), v.tensor().shape());
      owner->Copy(v.tensor(), host);
      v = Value(host);
    }
    frame.values[input_slots_[i]] = std::move(v);
  }
  for (const auto& [s, name] : outer_reads_) {
    const Value* v = parent ? parent->Lookup(name) : nullptr;
    if (!v) throw Error(ErrorCode::InvalidGraph, "subgraph '" + graph_->name + "' reads '" + name + "', which no enclosing graph defines");
    frame.values[s] = *v;
  }
  for (const auto& step : steps_) {
    if (terminate && *terminate) throw Error(ErrorCode::Fail, "the run was terminated by RunOptions.terminate");
    if (profile) [[unlikely]] RunStepProfiled(frame, step, pool, terminate, keep_device_outputs, *profile);
    else RunStep(frame, step, pool, terminate, keep_device_outputs, nullptr);
    for (int s : step.release) frame.values[s] = Value();
  }
  if (profile && !devices_.empty()) [[unlikely]] {
    // Device nodes were recorded when they were launched; the wait for their completion is
    // its own event, so that the trace accounts for the whole run.
    const auto begin = ProfileClock::now();
    for (const auto* d : devices_) d->Synchronize();
    ProfileEvent e;
    e.name = "device_synchronize";
    e.ts_us = profile->profiler().Micros(begin);
    e.dur_us = profile->profiler().Micros(ProfileClock::now()) - e.ts_us;
    e.tid = profile->tid();
    profile->Add(std::move(e));
  } else {
    for (const auto* d : devices_) d->Synchronize();
  }
  std::vector<Value> out;
  out.reserve(wanted.size());
  for (int s : wanted) out.push_back(frame.values[s]);
  return out;
}

void ExecutionPlan::RunStep(Frame& frame, const Step& step, ThreadPool* pool, const std::atomic<bool>* terminate,
                            bool keep_device_outputs, RunProfile* profile) const {
  FrameKernelContext ctx(frame, step, pool, terminate, keep_device_outputs, profile);
  try {
    step.kernel->Compute(ctx);
  } catch (const Error& e) {
    const std::string what = e.what();
    const std::string desc = step.node->Describe();
    if (what.rfind(desc, 0) == 0 || what.find("running ") != std::string::npos) throw;
    throw Error(e.code(), "while running " + desc + ": " + what);
  } catch (const std::bad_alloc&) {
    throw Error(ErrorCode::Fail, "out of memory while running " + step.node->Describe());
  } catch (const std::exception& e) {
    throw Error(ErrorCode::RuntimeException, "while running " + step.node->Describe() + ": " + e.what());
  }
  for (size_t i = 0; i < step.outputs.size(); ++i) {
    int s = step.outputs[i];
    if (s >= 0 && frame.values[s].is_none() && step.node->op_type != "Optional" && step.node->op_type != "If" && step.node->op_type != "Loop")
      throw Error(ErrorCode::RuntimeException, step.node->Describe() + " did not produce output '" + slot_names_[s] + "'");
  }
}

namespace {
// Appends ,"key":[{"float":[2,3]},...] for the tensor values among slots, as onnxruntime
// writes input_type_shape and output_type_shape, and sums their bytes.
void AppendTypeShapes(std::string& args, const char* key, const std::vector<int>& slots, const std::vector<Value>& values,
                      const std::vector<bool>& constant, size_t& bytes, size_t& constant_bytes) {
  args += ",\"";
  args += key;
  args += "\":[";
  bool first = true;
  for (int s : slots) {
    if (s < 0 || !values[s].is_tensor()) continue;
    const Tensor& t = values[s].tensor();
    (constant[s] ? constant_bytes : bytes) += t.nbytes();
    args += first ? "{\"" : ",{\"";
    first = false;
    args += ProfileTypeName(t.dtype());
    args += "\":[";
    for (size_t d = 0; d < t.rank(); ++d) {
      if (d) args += ',';
      args += std::to_string(t.dim(d));
    }
    args += "]}";
  }
  args += "]";
}
}  // namespace

void ExecutionPlan::RunStepProfiled(Frame& frame, const Step& step, ThreadPool* pool, const std::atomic<bool>* terminate,
                                    bool keep_device_outputs, RunProfile& profile) const {
  const auto begin = ProfileClock::now();
  RunStep(frame, step, pool, terminate, keep_device_outputs, &profile);
  const auto end = ProfileClock::now();
  const Node& node = *step.node;
  const size_t node_index = static_cast<size_t>(&node - graph_->nodes.data());
  ProfileEvent e;
  e.category = "Node";
  // onnxruntime names the event after the node; unnamed nodes get their op and index.
  e.name = (node.name.empty() ? node.op_type + "_" + std::to_string(node_index) : node.name) + "_kernel_time";
  e.ts_us = profile.profiler().Micros(begin);
  e.dur_us = profile.profiler().Micros(end) - e.ts_us;
  e.tid = profile.tid();
  std::string& a = e.args;
  a.reserve(256);
  a += "\"op_name\":\"" + JsonEscape(node.op_type) + "\",\"provider\":\"" + step.provider->name() +
       "\",\"node_index\":\"" + std::to_string(node_index) + "\"";
  size_t activation = 0, parameter = 0, output = 0, unused = 0;
  AppendTypeShapes(a, "input_type_shape", step.inputs, frame.values, constant_slots_, activation, parameter);
  AppendTypeShapes(a, "output_type_shape", step.outputs, frame.values, constant_slots_, output, unused);
  a += ",\"activation_size\":\"" + std::to_string(activation) + "\",\"parameter_size\":\"" + std::to_string(parameter) +
       "\",\"output_size\":\"" + std::to_string(output) + "\"";
  // A device kernel returns once its work is queued: dur is the launch, not the execution.
  if (!step.provider->is_cpu()) a += ",\"timing\":\"launch\"";
  profile.Add(std::move(e));
}

}  // namespace onyx
