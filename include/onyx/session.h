#pragma once
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
  std::vector<std::string> providers;  // empty: all available, CPU last
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

  // Runs the model. output_names empty means all outputs, in model order. Safe to call
  // concurrently from several threads.
  std::vector<Tensor> Run(const std::vector<std::pair<std::string, Tensor>>& feeds,
                          const std::vector<std::string>& output_names = {}) const;
  std::vector<Value> RunValues(const std::vector<std::pair<std::string, Value>>& feeds,
                               const std::vector<std::string>& output_names = {}) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

std::vector<std::string> AvailableProviders();
const char* Version();

}  // namespace onyx
