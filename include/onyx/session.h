#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "onyx/tensor.h"
#include "onyx/value.h"

namespace onyx {

enum class GraphOptimizationLevel { DisableAll = 0, EnableBasic = 1, EnableExtended = 2, EnableAll = 99 };

struct SessionOptions {
  GraphOptimizationLevel graph_optimization_level = GraphOptimizationLevel::EnableAll;
  int intra_op_num_threads = 0;  // 0: one thread per physical core
  int inter_op_num_threads = 0;  // accepted for compatibility; nodes run sequentially
  int log_severity_level = 2;    // 0 verbose .. 4 fatal, as in onnxruntime
  std::string optimized_model_filepath;
  std::vector<std::string> providers;  // empty: CPU only (as onnxruntime); CPU is always added last
  // Per provider name: its options, e.g. {"CUDAExecutionProvider", {{"device_id", "0"}}}.
  std::map<std::string, std::map<std::string, std::string>> provider_options;
  // Fail instead of falling back to the CPU when a requested provider is unavailable or cannot
  // run a node (onnxruntime's "session.disable_cpu_ep_fallback").
  bool disable_cpu_ep_fallback = false;
  // Serve intermediate values whose sizes are static from one block per run, at offsets
  // planned at session creation (onnxruntime's "memory pattern"; see Session::memory_plan).
  bool enable_mem_pattern = true;
  // Keep the large host blocks that runs free and hand them to later runs, instead of returning
  // them to the system (onnxruntime's CPU memory arena). The blocks kept are at most as many
  // bytes as runs ever held at once, and go with the session.
  bool enable_cpu_mem_arena = true;
  // Records model loading, initialization, every run and every node into a Chrome trace in
  // onnxruntime's format (open it in https://ui.perfetto.dev or chrome://tracing), written by
  // Session::EndProfiling or when the session is destroyed.
  bool enable_profiling = false;
  // The trace goes to PREFIX_YYYY-MM-DD_HH-MM-SS_mmm.json, named as onnxruntime names it
  // (whose default prefix is "onnxruntime_profile_").
  std::string profile_file_prefix = "onyx_profile_";
  // Events kept at most, so that a service that never ends profiling stays bounded; later
  // events are dropped, a warning is logged once and the trace ends with a
  // "profiling_events_dropped" event. onnxruntime drops beyond 1,000,000 too (and only warns).
  size_t profiling_max_events = 1000000;
};

struct RunOptions {
  // Set to true from another thread to stop a run in flight: the run fails with ErrorCode::Fail
  // before its next node (and inside Loop/Scan iterations). Copies of RunOptions share the flag.
  std::shared_ptr<std::atomic<bool>> terminate = std::make_shared<std::atomic<bool>>(false);
  // Leave outputs that a device provider produced in device memory (io binding) instead of
  // copying them to the host.
  bool keep_outputs_on_device = false;
};

// Where the session runs one node (copy nodes at device edges included).
struct NodePlacement {
  std::string node;
  std::string op_type;
  std::string provider;
  std::string reason;  // why a node stays on the CPU although a device provider was requested
};

// One dimension of a declared shape: a fixed size, a symbolic name, or unknown.
struct Dim {
  int64_t value = -1;
  std::string symbol;
  bool is_fixed() const { return value >= 0; }
  bool is_symbolic() const { return value < 0 && !symbol.empty(); }
};

struct ValueInfo {
  enum class Kind { Tensor, Sequence, Optional, Map, Unknown };
  std::string name;
  Kind kind = Kind::Tensor;
  DataType dtype = DataType::Undefined;  // element type (of the tensor inside for sequences)
  bool has_shape = false;
  std::vector<Dim> shape;
  // "tensor(float)", "seq(tensor(int64))", "optional(tensor(float))" as onnxruntime prints them.
  std::string type_string;
};

struct ModelMetadata {
  std::string producer_name;
  std::string producer_version;
  std::string graph_name;
  std::string domain;
  std::string description;
  std::string graph_description;
  int64_t version = 0;
  int64_t ir_version = 0;
  std::map<std::string, std::string> custom_metadata_map;
  std::map<std::string, int64_t> opset_imports;  // domain ("" = ai.onnx) -> version
};

// The static memory plan of a session's intermediate values (graph inputs, outputs and
// initializers excluded): each value's lifetime from the execution order and its size from
// shape inference, packed into one arena by offset so that values alive together never share
// bytes. With SessionOptions::enable_mem_pattern, each run allocates that arena once and takes
// those values from it.
struct MemoryPlanSummary {
  size_t planned_peak_bytes = 0;   // the arena: highest offset + size over planned values
  size_t intermediate_bytes = 0;   // the same values without reuse
  size_t live_peak_bytes = 0;      // most bytes alive at one step, a lower bound for any plan
  size_t planned_values = 0;
  // Values sized only at run time: symbolic dims, strings, sequences, device memory.
  size_t unplanned_values = 0;
};

class Session {
 public:
  Session(const std::string& model_path, const SessionOptions& options = {});
  Session(const void* model_bytes, size_t size, const SessionOptions& options = {});
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  const std::vector<ValueInfo>& inputs() const;
  const std::vector<ValueInfo>& outputs() const;
  const ModelMetadata& metadata() const;
  std::vector<std::string> providers() const;
  const std::vector<NodePlacement>& placement() const;
  MemoryPlanSummary memory_plan() const;

  // Writes the profile and stops profiling; returns the file's path, or "" when profiling is
  // off or already ended. Runs still in flight when it is called are not recorded.
  std::string EndProfiling();
  // When profiling started (before model loading), in nanoseconds since the Unix epoch; 0 when
  // profiling is off. Trace timestamps are microseconds from this moment.
  int64_t ProfilingStartTimeNs() const;

  // Runs the model. output_names empty means all outputs, in model order. Safe to call
  // concurrently from several threads.
  std::vector<Tensor> Run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                          const std::vector<std::string>& output_names = {}) const;
  // Feeds may live on a device (e.g. CUDA tensors from CopyTensor): a feed already where its
  // first reader runs is not copied.
  std::vector<Value> RunValues(const std::vector<std::pair<std::string, Value>>& feeds,
                               const std::vector<std::string>& output_names = {},
                               const RunOptions& run_options = {}) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

std::vector<std::string> AvailableProviders();

// Copies a tensor between the host and a device (Device{DeviceType::CUDA, id}); throws if the
// device's provider is not built in or the device is absent. A host-to-host copy is a Clone.
Tensor CopyTensor(const Tensor& src, Device target);
// Copies src into dst's existing storage (same dtype and element count, any devices).
void CopyTensorInto(const Tensor& src, Tensor& dst);
// A tensor with undefined contents on a device (zero-filled on the host).
Tensor AllocateTensor(DataType dtype, const std::vector<int64_t>& shape, Device device);
const char* Version();

}  // namespace onyx
