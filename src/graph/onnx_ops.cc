// What ONNX itself says about the operators of the default domain (ai.onnx): which exist, from
// which opset, and how many inputs and outputs each version takes. The table is generated from
// the onnx package (scripts/gen_onnx_schemas.py). It lets the loader tell a model that is not
// valid ONNX (InvalidGraph) from one that onyx cannot run yet (NotImplemented).
#include <algorithm>
#include <cstring>
#include <string>

#include "graph/graph.h"
#include "graph/onnx_schema.h"

namespace onyx {

namespace {
#include "graph/onnx_schemas.inc"

bool NameLess(const OnnxSchema& s, const std::string& name) { return std::strcmp(s.name, name.c_str()) < 0; }
}  // namespace

int NewestOnnxOpset() { return kNewestOnnxOpset; }

bool IsOnnxOperator(const std::string& op_type) {
  auto it = std::lower_bound(std::begin(kOnnxSchemas), std::end(kOnnxSchemas), op_type, NameLess);
  return it != std::end(kOnnxSchemas) && op_type == it->name;
}

const OnnxSchema* FindOnnxSchema(const std::string& op_type, int64_t opset) {
  const OnnxSchema* found = nullptr;
  for (auto it = std::lower_bound(std::begin(kOnnxSchemas), std::end(kOnnxSchemas), op_type, NameLess);
       it != std::end(kOnnxSchemas) && op_type == it->name && it->since_version <= opset; ++it)
    found = &*it;
  return found;
}

}  // namespace onyx
