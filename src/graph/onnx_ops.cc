// What ONNX itself says about the operators of the default domain (ai.onnx) and of ai.onnx.ml:
// which exist, from which opset, and how many inputs and outputs each version takes. The table is generated from
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

namespace {
template <size_t N>
const OnnxSchema* FindIn(const OnnxSchema (&table)[N], const std::string& op_type, int64_t opset) {
  const OnnxSchema* found = nullptr;
  for (auto it = std::lower_bound(std::begin(table), std::end(table), op_type, NameLess);
       it != std::end(table) && op_type == it->name && it->since_version <= opset; ++it)
    found = &*it;
  return found;
}
}  // namespace

const OnnxSchema* FindOnnxSchema(const std::string& op_type, int64_t opset) { return FindIn(kOnnxSchemas, op_type, opset); }

const OnnxSchema* FindOnnxSchema(const std::string& domain, const std::string& op_type, int64_t opset) {
  if (domain.empty()) return FindIn(kOnnxSchemas, op_type, opset);
  if (domain == "ai.onnx.ml") return FindIn(kOnnxMlSchemas, op_type, opset);
  return nullptr;
}

}  // namespace onyx
