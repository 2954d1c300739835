#pragma once
#include <memory>
#include <string>

#include "graph/graph.h"
#include "onyx/session.h"

namespace onyx {

struct Model {
  ModelMetadata metadata;
  std::shared_ptr<Graph> graph;
};

// Parses an ONNX ModelProto. External data is resolved relative to model_dir (empty: external
// data is refused). Model-local functions are inlined; Constant nodes stay nodes.
Model LoadModelFromFile(const std::string& path);
Model LoadModelFromBytes(const void* data, size_t size, const std::string& model_dir = "");

// Parses a serialized TensorProto (the .pb files of the ONNX backend test data).
Tensor LoadTensorProto(const void* data, size_t size, const std::string& model_dir = "", std::string* name = nullptr);
// Parses a serialized SequenceProto / OptionalProto-style value (onnx-ml data files); returns a Value.
Value LoadValueProto(const void* data, size_t size, bool is_sequence, bool is_optional);

// Serializes the IR back to ModelProto bytes (initializers as raw_data, in name order).
std::string SerializeModel(const Graph& graph, const ModelMetadata& metadata);
std::string SerializeTensor(const std::string& name, const Tensor& t);
void SaveModel(const Graph& graph, const ModelMetadata& metadata, const std::string& path);

// Reads a whole file; throws NoSuchFile.
std::string ReadFileBytes(const std::string& path);

// A whole file mapped read-only (its pages come from the page cache: no buffer to zero and copy
// into), or read into memory where it cannot be mapped. Throws NoSuchFile.
class FileBytes {
 public:
  explicit FileBytes(const std::string& path);
  ~FileBytes();
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  // The loader has copied [p, p + n) out: the whole pages inside it leave this process's
  // resident memory (they stay in the page cache; a later read faults them back in). A
  // mapping's touched pages count in the process's RSS, so without this a model's weights would
  // be resident twice while it loads. No effect for bytes outside the mapping.
  void Consumed(const void* p, size_t n) const;

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
  void* mapped_ = nullptr;  // the mapping, when the file is mapped
  std::string read_;        // the bytes, when it is not
};

}  // namespace onyx
