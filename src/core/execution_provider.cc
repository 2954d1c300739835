#include "core/execution_provider.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <utility>

#include "onyx/error.h"

namespace onyx {

namespace {
constexpr const char* kCpuProviderName = "CPUExecutionProvider";

bool TypeListed(const std::vector<DataType>& types, DataType t) {
  return types.empty() || std::find(types.begin(), types.end(), t) != types.end();
}

struct FactoryTable {
  std::mutex mu;
  std::vector<std::pair<std::string, ExecutionProviderFactory>> factories;  // in priority order
};

FactoryTable& Factories() {
  static FactoryTable* table = [] {
    auto* t = new FactoryTable;
    t->factories.emplace_back(kCpuProviderName, [](const ProviderOptions&) {
      return std::make_unique<ExecutionProvider>(kCpuProviderName, Device{});
    });
    return t;
  }();
  return *table;
}
}  // namespace

bool ExecutionProvider::Claims(const Node& node, const KernelDef& def, const NodeOperandTypes& types) const {
  if (is_cpu()) return true;
  if (!types.all_tensors) return false;
  if (def.supports) return def.supports(node, types);
  if (types.inputs.empty()) return true;
  return types.inputs[0] != DataType::Undefined && TypeListed(def.types, types.inputs[0]);
}

Tensor ExecutionProvider::Allocate(DataType dtype, const std::vector<int64_t>& shape) const {
  if (!is_cpu()) throw Error(ErrorCode::NotImplemented, name_ + " does not allocate device memory");
  return Tensor(dtype, shape);
}

void ExecutionProvider::Copy(const Tensor& src, Tensor& dst) const {
  if (src.dtype() != dst.dtype() || src.size() != dst.size())
    throw Error(ErrorCode::RuntimeException, "copy between tensors of different type or size");
  if (!src.on_cpu() || !dst.on_cpu()) throw Error(ErrorCode::NotImplemented, name_ + " cannot copy device memory");
  if (src.dtype() == DataType::String) {
    for (int64_t i = 0; i < src.size(); ++i) dst.data<std::string>()[i] = src.data<std::string>()[i];
  } else if (src.nbytes()) {
    std::memcpy(dst.raw_data(), src.raw_data(), src.nbytes());
  }
}

void RegisterExecutionProviderFactory(const std::string& name, ExecutionProviderFactory factory) {
  auto& t = Factories();
  std::lock_guard<std::mutex> lock(t.mu);
  for (auto& [n, f] : t.factories)
    if (n == name) {
      f = std::move(factory);
      return;
    }
  // Device providers come before the CPU, which stays last.
  t.factories.insert(t.factories.end() - 1, {name, std::move(factory)});
}

std::unique_ptr<ExecutionProvider> CreateExecutionProvider(const std::string& name, const ProviderOptions& options) {
  ExecutionProviderFactory factory;
  {
    auto& t = Factories();
    std::lock_guard<std::mutex> lock(t.mu);
    for (auto& [n, f] : t.factories)
      if (n == name) factory = f;
  }
  if (!factory) throw Error(ErrorCode::NotImplemented, "execution provider '" + name + "' is not built into this onyx");
  return factory(options);
}

std::vector<std::string> RegisteredExecutionProviders() {
  auto& t = Factories();
  std::lock_guard<std::mutex> lock(t.mu);
  std::vector<std::string> names;
  for (const auto& [n, f] : t.factories) names.push_back(n);
  return names;
}

}  // namespace onyx
