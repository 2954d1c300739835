#pragma once
#include <cstdint>
#include <string>

namespace onyx {

// One version of an ai.onnx or ai.onnx.ml operator as the ONNX spec defines it (src/graph/onnx_schemas.inc,
// generated from the onnx package by scripts/gen_onnx_schemas.py).
struct OnnxSchema {
  const char* name;
  int since_version;
  int min_inputs, max_inputs;
  int min_outputs, max_outputs;
};

// The version of op_type in effect at `opset`; nullptr if the op does not exist there (yet).
const OnnxSchema* FindOnnxSchema(const std::string& op_type, int64_t opset);
// Same for a domain: "" (ai.onnx) or "ai.onnx.ml"; nullptr for other domains.
const OnnxSchema* FindOnnxSchema(const std::string& domain, const std::string& op_type, int64_t opset);

// The newest ai.onnx opset this build knows the operators of.
int NewestOnnxOpset();

}  // namespace onyx
