#pragma once
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/op_kernel.h"

namespace onyx {

struct KernelDef {
  std::string provider;  // "CPUExecutionProvider"
  std::string domain;    // "" = ai.onnx
  std::string op_type;
  int64_t since_version = 1;
  int64_t end_version = INT64_MAX;  // inclusive
  std::vector<DataType> types;      // element types the kernel accepts (documentation + docs/operators.md)
  KernelFactory factory;
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
