#pragma once
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/op_kernel.h"

namespace onyx {

// What the partitioner knows of a node's operands when it asks a provider whether it takes it.
struct NodeOperandTypes {
  std::vector<DataType> inputs;   // Undefined: omitted, not a tensor, or type unknown
  std::vector<DataType> outputs;
  bool all_tensors = true;        // false if any operand is a sequence, optional or map
};

struct KernelDef {
  std::string provider;  // "CPUExecutionProvider"
  std::string domain;    // "" = ai.onnx
  std::string op_type;
  int64_t since_version = 1;
  int64_t end_version = INT64_MAX;  // inclusive
  std::vector<DataType> types;      // element types the kernel accepts (documentation + docs/operators.md)
  KernelFactory factory;
  // Device kernels only: inputs the kernel reads on the host (shapes, axes, pads...), so the
  // partitioner does not copy them to the device. -1 means every input (metadata-only ops
  // such as Shape accept a tensor wherever it lives).
  std::vector<int> host_inputs = {};
  // Device kernels only: whether the kernel takes this node (operand types, attributes it does
  // not implement...). Unset: `types`, when not empty, must contain the type of input 0.
  std::function<bool(const Node&, const NodeOperandTypes&)> supports = {};

  bool ReadsOnHost(size_t input) const {
    for (int i : host_inputs)
      if (i < 0 || static_cast<size_t>(i) == input) return true;
    return false;
  }
};

// One registry of every kernel of every provider. Families register explicitly through
// their Register*Kernels(KernelRegistry&) functions (no static initialisers).
class KernelRegistry {
 public:
  void Register(KernelDef def);
  // The kernel of this provider for (domain, op, opset), or nullptr.
  const KernelDef* Find(const std::string& provider, const std::string& domain, const std::string& op_type,
                        int64_t opset) const;
  bool HasOp(const std::string& domain, const std::string& op_type) const;
  const std::vector<KernelDef>& all() const { return defs_; }

  // The process-wide registry with every built-in kernel.
  static const KernelRegistry& Global();

 private:
  std::vector<KernelDef> defs_;
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<size_t>> index_;
};

// Helper: register the same factory for ops with several names.
inline const std::vector<DataType>& AllNumericTypes() {
  static const std::vector<DataType> t = {DataType::Float, DataType::Double, DataType::Float16, DataType::BFloat16,
                                          DataType::Int8,  DataType::Int16,  DataType::Int32,   DataType::Int64,
                                          DataType::UInt8, DataType::UInt16, DataType::UInt32,  DataType::UInt64};
  return t;
}

}  // namespace onyx
