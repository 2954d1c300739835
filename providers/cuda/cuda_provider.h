#pragma once
// The CUDA execution provider: one device, one stream per session with cuBLAS and cuDNN handles
// bound to it, and a caching allocator. Host-side kernel classes live in *.cc files of the family
// folders; device code lives in *_impl.cu files behind plain launch functions (cuda_launch.h).
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/execution_provider.h"
#include "core/op_kernel.h"

namespace onyx::cuda {

inline constexpr const char* kCudaProvider = "CUDAExecutionProvider";

// Throw onyx::Error(RuntimeException) naming the call and the library's message.
void CheckCuda(cudaError_t status, const char* what);
void CheckCublas(cublasStatus_t status, const char* what);
void CheckCudnn(cudnnStatus_t status, const char* what);

struct CudaOptions {
  int device_id = 0;
  size_t memory_limit = 0;               // gpu_mem_limit in bytes; 0: no limit
  enum class ConvSearch { Heuristic, Exhaustive, Default } conv_algo_search = ConvSearch::Heuristic;
  bool use_tf32 = true;                  // TF32 tensor cores for float32 GEMM and convolution
  static CudaOptions Parse(const ProviderOptions& options);  // onnxruntime's option names
};

// Device memory cached by block size: blocks freed by tensors go back to a free list and are
// reused by later allocations. Work is stream-ordered (one stream), so a block freed after a
// kernel was queued may be handed to the next kernel at once.
class CudaAllocator {
 public:
  CudaAllocator(int device_id, size_t limit) : device_id_(device_id), limit_(limit) {}
  ~CudaAllocator();
  std::shared_ptr<void> Allocate(size_t bytes);
  size_t bytes_in_use() const;
  size_t bytes_reserved() const;
  void ReleaseCached();  // returns every free block to the driver

 private:
  void Free(void* p, size_t bytes);
  int device_id_;
  size_t limit_;
  mutable std::mutex mu_;
  std::multimap<size_t, void*> free_;  // block size -> block
  size_t in_use_ = 0, reserved_ = 0;
};

class CudaExecutionProvider final : public ExecutionProvider {
 public:
  explicit CudaExecutionProvider(const ProviderOptions& options);
  ~CudaExecutionProvider() override;

  const CudaOptions& options() const { return options_; }
  int device_id() const { return options_.device_id; }
  cudaStream_t stream() const { return stream_; }
  cublasHandle_t cublas() const { return cublas_; }
  cudnnHandle_t cudnn() const { return cudnn_; }
  const cudaDeviceProp& properties() const { return properties_; }
  CudaAllocator& allocator() const { return *allocator_; }

  Tensor Allocate(DataType dtype, const std::vector<int64_t>& shape) const override;
  void Copy(const Tensor& src, Tensor& dst) const override;
  void Synchronize() const override;
  // Device scratch memory (cuDNN workspaces) for work queued on this provider's stream; free it
  // as soon as the work is queued.
  std::shared_ptr<void> Scratch(size_t bytes) const;
  // Makes this provider's device current on the calling thread.
  void Activate() const;

  // The provider a CUDA kernel is created for (throws if it is not a CUDA provider).
  static const CudaExecutionProvider& From(const KernelInfo& info);

 private:
  CudaOptions options_;
  cudaDeviceProp properties_{};
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  std::shared_ptr<CudaAllocator> allocator_;
};

// Number of CUDA devices present (0 when there is no GPU or no driver).
int CudaDeviceCount();

// Registers the provider factory and every CUDA kernel family.
void RegisterCudaProvider();
void RegisterCudaKernels(KernelRegistry& r);

// One registration function per family.
void RegisterCudaBlasKernels(KernelRegistry& r);        // math/blas_kernels.cc: MatMul, Gemm (cuBLAS)
void RegisterCudaMathKernels(KernelRegistry& r);        // math/: elementwise, activations, Softmax, LayerNorm...
void RegisterCudaNnKernels(KernelRegistry& r);          // nn/: Conv, ConvTranspose, pooling, normalization
void RegisterCudaTensorKernels(KernelRegistry& r);      // tensor/: Transpose, Gather, Concat, Split, Slice, Pad...
void RegisterCudaReductionKernels(KernelRegistry& r);   // reduction/

}  // namespace onyx::cuda
