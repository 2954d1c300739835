#pragma once
// Internal to src/model: message parsers shared by the model and tensor loaders.
#include <string>

#include "model/proto_reader.h"
#include "onyx/tensor.h"

namespace onyx {
class FileBytes;
// file: the mapped model file r reads from, if any; its pages that held the tensor's raw bytes
// are handed back once copied (FileBytes::Consumed).
Tensor ParseTensor(proto::Reader r, const std::string& model_dir, const FileBytes* file = nullptr);
}  // namespace onyx
