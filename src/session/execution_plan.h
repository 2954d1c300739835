#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/execution_provider.h"
#include "core/host_block_cache.h"
#include "core/kernel_registry.h"
#include "core/op_kernel.h"
#include "graph/graph.h"
#include "session/memory_planner.h"

namespace onyx {

class ThreadPool;
class RunProfile;
struct Frame;

// A graph compiled for execution: value slots, kernels created once, and when each slot can be
// released. Immutable after construction, so several runs may use it at once; everything a run
// changes lives in a Frame.
class ExecutionPlan {
 public:
  // outer_names: values visible from enclosing graphs (for subgraphs); providers: in priority
  // order. A node that the partitioner assigned (Node::provider) runs there; others run on the
  // first provider with a kernel for them. Subgraphs run on the CPU provider.
  // serve_from_arena: each run takes the planned intermediates (memory_plan()) from one block.
  // host_cache: where runs take large host values (and that block) from, so that later runs
  // reuse what earlier ones freed; null: the heap.
  // release_initializer(name): the plan dropped that initializer's data (every reader packed
  // it; see released_constants()), so the graph's owner may drop its copy.
  ExecutionPlan(std::shared_ptr<const Graph> graph, std::vector<const ExecutionProvider*> providers,
                const std::vector<std::string>& outer_names = {}, bool serve_from_arena = false,
                std::shared_ptr<HostBlockCache> host_cache = nullptr,
                std::function<void(const std::string&)> release_initializer = nullptr);

  const Graph& graph() const { return *graph_; }
  int SlotOf(const std::string& name) const;  // -1 if unknown
  const std::vector<int>& input_slots() const { return input_slots_; }
  const std::vector<int>& output_slots() const { return output_slots_; }
  // Per node: which provider runs it.
  const std::vector<std::string>& node_providers() const { return node_providers_; }
  // Lifetimes, sizes and arena offsets of the intermediate values whose sizes are static.
  const MemoryPlan& memory_plan() const { return memory_plan_; }
  // Initializers whose every reader packed them at creation (OpKernel::PackedConstantInput): the
  // plan holds them as tensors without data, and the owner of the graph may drop its copy too.
  const std::vector<std::string>& released_constants() const { return released_constants_; }

  // Executes the graph. inputs are the values of the graph inputs in order (None for an
  // omitted input that has an initializer). parent: the enclosing frame for outer-scope reads.
  // keep_device_outputs: graph outputs produced on a device stay there (no copy to the host).
  // profile: where the run records one event per node (null: profiling off).
  std::vector<Value> Execute(const std::vector<Value>& inputs, ThreadPool* pool, const Frame* parent,
                             const std::vector<int>& wanted_output_slots, const std::atomic<bool>* terminate = nullptr,
                             bool keep_device_outputs = false, RunProfile* profile = nullptr) const;

 private:
  friend class PlanKernelInfo;
  const ExecutionProvider* FindProvider(const std::string& name) const;
  void PlanMemory(const std::vector<int>& last_use);
  class PackedConstantTracker;
  // A host tensor for slot's planned block in this run's arena, or an undefined tensor when the
  // slot has none or a value that still holds an overlapping block (a view that outlived its
  // planned lifetime) would be overwritten.
  Tensor ArenaTensor(Frame& frame, int slot) const;
  struct Step;
  void RunStep(Frame& frame, const Step& step, ThreadPool* pool, const std::atomic<bool>* terminate, bool keep_device_outputs,
               RunProfile* profile) const;
  void RunStepProfiled(Frame& frame, const Step& step, ThreadPool* pool, const std::atomic<bool>* terminate,
                       bool keep_device_outputs, RunProfile& profile) const;
  struct Step {
    const Node* node;
    const ExecutionProvider* provider;
    std::unique_ptr<OpKernel> kernel;
    std::vector<int> inputs;   // slot per input, -1 if omitted
    std::vector<int> outputs;  // slot per output, -1 if omitted
    std::vector<int> release;  // slots whose last reader is this step
    // Per output: the input whose storage it may take over (OpKernel::InPlaceInput, with the
    // input's value dying here and belonging to this run), or -1.
    std::vector<int> in_place_input;
  };
  std::shared_ptr<const Graph> graph_;
  std::vector<const ExecutionProvider*> providers_;
  std::vector<const ExecutionProvider*> devices_;  // device providers that run steps of this plan
  // Device providers queue work on one stream per session, so runs of a plan that uses one are
  // serialised; CPU-only plans run concurrently.
  std::unique_ptr<std::mutex> device_mutex_;
  std::unordered_map<std::string, int> slots_;
  std::vector<std::string> slot_names_;
  std::vector<Value> constants_;  // per slot: initializer value or None
  std::vector<bool> constant_slots_;  // per slot: an initializer no feed can override (profiling's parameter_size)
  std::vector<std::string> released_constants_;
  std::vector<std::pair<int, std::string>> outer_reads_;
  std::vector<int> input_slots_, output_slots_;
  std::vector<bool> input_read_on_host_;  // per graph input: some host kernel reads it directly
  std::vector<Step> steps_;
  std::vector<std::string> node_providers_;
  MemoryPlan memory_plan_;
  bool serve_from_arena_ = false;
  std::shared_ptr<HostBlockCache> host_cache_;
  std::vector<int> planned_buffer_;  // per slot: index into memory_plan_.buffers, or -1
  struct PlannedType {
    DataType dtype;
    std::vector<int64_t> shape;
    std::vector<int> shares_bytes_with;  // other buffers at overlapping offsets (alive at other times)
  };
  std::vector<PlannedType> planned_types_;  // per planned buffer

  friend struct Frame;
  friend class FrameKernelContext;
  friend class PackedConstantTracker;
};

// This run's block for the planned intermediates, and per planned buffer a handle that expires
// when no tensor uses the buffer any more.
struct RunArena {
  std::shared_ptr<void> block;
  std::vector<std::weak_ptr<void>> users;
};

// Per-run state of one ExecutionPlan.
struct Frame {
  const ExecutionPlan* plan;
  const Frame* parent;
  std::vector<Value> values;
  std::unique_ptr<RunArena> arena;  // null: every value allocates its own storage
  const Value* Lookup(const std::string& name) const;
};

}  // namespace onyx
