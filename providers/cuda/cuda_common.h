#pragma once
// Shared by the host side of CUDA kernels (compiled by the C++ compiler, not nvcc).
#include <memory>
#include <string>
#include <vector>

#include "core/kernel_registry.h"
#include "core/op_kernel.h"
#include "cuda_provider.h"

namespace onyx::cuda {

// The element types most CUDA kernels take.
inline const std::vector<DataType>& FloatTypes() {
  static const std::vector<DataType> t = {DataType::Float, DataType::Float16};
  return t;
}

// Base of CUDA kernels: the provider (stream, handles, allocator) they were created for.
class CudaKernel : public OpKernel {
 public:
  explicit CudaKernel(const KernelInfo& info) : cuda_(CudaExecutionProvider::From(info)) {}

 protected:
  const CudaExecutionProvider& cuda() const { return cuda_; }
  cudaStream_t stream() const { return cuda_.stream(); }

 private:
  const CudaExecutionProvider& cuda_;
};

// A KernelDef for the CUDA provider whose factory constructs K(info).
template <typename K>
KernelDef CudaDef(const std::string& op, int64_t since, int64_t end, std::vector<DataType> types,
                  std::vector<int> host_inputs = {}, std::string domain = "") {
  KernelDef d;
  d.provider = kCudaProvider;
  d.domain = std::move(domain);
  d.op_type = op;
  d.since_version = since;
  d.end_version = end;
  d.types = std::move(types);
  d.host_inputs = std::move(host_inputs);
  d.factory = [](const KernelInfo& info) -> std::unique_ptr<OpKernel> { return std::make_unique<K>(info); };
  return d;
}

// Throws naming the kernel launch if the last launch failed.
inline void CheckLaunch(const char* what) { CheckCuda(cudaGetLastError(), what); }

}  // namespace onyx::cuda
