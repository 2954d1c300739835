#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/kernel_registry.h"
#include "onyx/tensor.h"

namespace onyx {

using ProviderOptions = std::map<std::string, std::string>;

// An execution provider: a device, the kernels that run there, and how to move tensors to and
// from it. The CPU provider is the host itself. Providers are created per session.
class ExecutionProvider {
 public:
  ExecutionProvider(std::string name, Device device) : name_(std::move(name)), device_(device) {}
  virtual ~ExecutionProvider() = default;
  ExecutionProvider(const ExecutionProvider&) = delete;
  ExecutionProvider& operator=(const ExecutionProvider&) = delete;

  const std::string& name() const { return name_; }
  Device device() const { return device_; }
  bool is_cpu() const { return device_.is_cpu(); }

  // The registry holding this provider's kernels (by default the process-wide one).
  virtual const KernelRegistry& registry() const { return KernelRegistry::Global(); }
  // Whether this provider runs the node, given that `def` is its kernel for it. The default
  // accepts tensor operands whose types satisfy the kernel's declared type predicate.
  virtual bool Claims(const Node& node, const KernelDef& def, const NodeOperandTypes& types) const;

  // A tensor in this provider's memory. Host tensors are zero-filled; device contents are
  // undefined until a kernel writes them.
  virtual Tensor Allocate(DataType dtype, const std::vector<int64_t>& shape) const;
  // Copies src into dst (same dtype and element count); either may be on the host or on this
  // provider's device. Returns once dst may be read by host code or by later device work.
  virtual void Copy(const Tensor& src, Tensor& dst) const;
  // Waits until all work queued by this provider's kernels has finished.
  virtual void Synchronize() const {}

 private:
  std::string name_;
  Device device_;
};

// Creates providers by name. "CPUExecutionProvider" always exists; others register a factory
// when they are built in (CUDA) or by tests (an emulated device).
using ExecutionProviderFactory = std::function<std::unique_ptr<ExecutionProvider>(const ProviderOptions&)>;
void RegisterExecutionProviderFactory(const std::string& name, ExecutionProviderFactory factory);
// Throws NotImplemented for unknown names; the factory throws if the device is absent.
std::unique_ptr<ExecutionProvider> CreateExecutionProvider(const std::string& name, const ProviderOptions& options = {});
// Names of the providers this build can create, in priority order (CPU last).
std::vector<std::string> RegisteredExecutionProviders();

}  // namespace onyx
