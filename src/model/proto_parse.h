#pragma once
// Internal to src/model: message parsers shared by the model and tensor loaders.
#include <string>

#include "model/proto_reader.h"
#include "onyx/tensor.h"

namespace onyx {
Tensor ParseTensor(proto::Reader r, const std::string& model_dir);
}  // namespace onyx
