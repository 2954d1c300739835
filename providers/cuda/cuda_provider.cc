#include "cuda_provider.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "cublas_loader.h"
#include "onyx/error.h"

namespace onyx::cuda {

void CheckCuda(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear a sticky-free error so later calls are not blamed for it
    throw Error(ErrorCode::RuntimeException, std::string("CUDA error in ") + what + ": " + cudaGetErrorString(status));
  }
}

void CheckCublas(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS)
    throw Error(ErrorCode::RuntimeException, std::string("cuBLAS error in ") + what + ": " + Cublas().get_status_string(status));
}

void CheckCudnn(cudnnStatus_t status, const char* what) {
  if (status != CUDNN_STATUS_SUCCESS)
    throw Error(ErrorCode::RuntimeException, std::string("cuDNN error in ") + what + ": " + cudnnGetErrorString(status));
}

int CudaDeviceCount() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

namespace {
int64_t ParseInt(const std::string& key, const std::string& value) {
  char* end = nullptr;
  long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || v < 0)
    throw Error(ErrorCode::InvalidArgument, "CUDAExecutionProvider option '" + key + "' must be a non-negative integer, got '" + value + "'");
  return v;
}
}  // namespace

CudaOptions CudaOptions::Parse(const ProviderOptions& options) {
  CudaOptions o;
  for (const auto& [key, value] : options) {
    if (key == "device_id") {
      o.device_id = static_cast<int>(ParseInt(key, value));
    } else if (key == "gpu_mem_limit") {
      o.memory_limit = static_cast<size_t>(ParseInt(key, value));
    } else if (key == "cudnn_conv_algo_search") {
      if (value == "HEURISTIC") o.conv_algo_search = ConvSearch::Heuristic;
      else if (value == "EXHAUSTIVE") o.conv_algo_search = ConvSearch::Exhaustive;
      else if (value == "DEFAULT") o.conv_algo_search = ConvSearch::Default;
      else throw Error(ErrorCode::InvalidArgument, "cudnn_conv_algo_search must be HEURISTIC, EXHAUSTIVE or DEFAULT, got '" + value + "'");
    } else if (key == "use_tf32") {
      o.use_tf32 = ParseInt(key, value) != 0;
    } else if (key == "arena_extend_strategy" || key == "do_copy_in_default_stream" || key == "cudnn_conv_use_max_workspace") {
      // Accepted for compatibility with onnxruntime scripts; onyx's allocator and stream use
      // have one behaviour.
    } else {
      throw Error(ErrorCode::InvalidArgument, "unknown CUDAExecutionProvider option '" + key +
                                                  "' (known: device_id, gpu_mem_limit, cudnn_conv_algo_search, use_tf32)");
    }
  }
  return o;
}

// ---- allocator ----

namespace {
size_t RoundBlock(size_t bytes) {
  if (bytes <= 1 << 20) return (std::max<size_t>(bytes, 1) + 511) & ~size_t(511);
  return (bytes + (size_t(1) << 20) - 1) & ~((size_t(1) << 20) - 1);  // 1 MiB steps for big blocks
}
}  // namespace

CudaAllocator::~CudaAllocator() { ReleaseCached(); }

std::shared_ptr<void> CudaAllocator::Allocate(size_t bytes) {
  const size_t block = RoundBlock(bytes);
  void* p = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.lower_bound(block);
    if (it != free_.end() && it->first <= block * 2) {
      p = it->second;
      const size_t got = it->first;
      free_.erase(it);
      in_use_ += got;
      // The deleter must return the block's real size.
      return std::shared_ptr<void>(p, [this, got](void* q) { Free(q, got); });
    }
    if (limit_ && reserved_ + block > limit_) {
      for (auto& [sz, q] : free_) cudaFree(q), reserved_ -= sz;
      free_.clear();
      if (reserved_ + block > limit_)
        throw Error(ErrorCode::Fail, "CUDA allocation of " + std::to_string(bytes) + " bytes exceeds gpu_mem_limit (" +
                                         std::to_string(limit_) + " bytes, " + std::to_string(in_use_) + " in use)");
    }
    cudaSetDevice(device_id_);
    cudaError_t st = cudaMalloc(&p, block);
    if (st != cudaSuccess) {
      cudaGetLastError();
      for (auto& [sz, q] : free_) cudaFree(q), reserved_ -= sz;
      free_.clear();
      CheckCuda(cudaMalloc(&p, block), "cudaMalloc");
    }
    reserved_ += block;
    in_use_ += block;
  }
  return std::shared_ptr<void>(p, [this, block](void* q) { Free(q, block); });
}

void CudaAllocator::Free(void* p, size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  in_use_ -= bytes;
  free_.emplace(bytes, p);
}

size_t CudaAllocator::bytes_in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}

size_t CudaAllocator::bytes_reserved() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reserved_;
}

void CudaAllocator::ReleaseCached() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!free_.empty()) {
    cudaSetDevice(device_id_);
    cudaDeviceSynchronize();  // blocks may still be read by queued work
  }
  for (auto& [sz, q] : free_) cudaFree(q), reserved_ -= sz;
  free_.clear();
}

// ---- provider ----

CudaExecutionProvider::CudaExecutionProvider(const ProviderOptions& options)
    : ExecutionProvider(kCudaProvider, Device{DeviceType::CUDA, CudaOptions::Parse(options).device_id}),
      options_(CudaOptions::Parse(options)) {
  const int count = CudaDeviceCount();
  if (count == 0) throw Error(ErrorCode::Fail, "no CUDA device is present (or the NVIDIA driver is not loaded)");
  if (options_.device_id >= count)
    throw Error(ErrorCode::InvalidArgument, "device_id " + std::to_string(options_.device_id) + " is out of range: " +
                                                std::to_string(count) + " CUDA device(s) present");
  CheckCuda(cudaSetDevice(options_.device_id), "cudaSetDevice");
  CheckCuda(cudaGetDeviceProperties(&properties_, options_.device_id), "cudaGetDeviceProperties");
  CheckCuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  const CublasApi& blas = Cublas();
  CheckCublas(blas.create(&cublas_), "cublasCreate");
  CheckCublas(blas.set_stream(cublas_, stream_), "cublasSetStream");
  CheckCublas(blas.set_math_mode(cublas_, options_.use_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
  CheckCudnn(cudnnCreate(&cudnn_), "cudnnCreate");
  CheckCudnn(cudnnSetStream(cudnn_, stream_), "cudnnSetStream");
  allocator_ = std::make_shared<CudaAllocator>(options_.device_id, options_.memory_limit);
}

CudaExecutionProvider::~CudaExecutionProvider() {
  cudaSetDevice(options_.device_id);
  if (stream_) cudaStreamSynchronize(stream_);
  if (cudnn_) cudnnDestroy(cudnn_);
  if (cublas_) Cublas().destroy(cublas_);
  if (stream_) cudaStreamDestroy(stream_);
  // Cached blocks go back to the driver; blocks still held by tensors return to the allocator,
  // which the tensors keep alive.
  allocator_->ReleaseCached();
}

void CudaExecutionProvider::Activate() const { CheckCuda(cudaSetDevice(options_.device_id), "cudaSetDevice"); }

Tensor CudaExecutionProvider::Allocate(DataType dtype, const std::vector<int64_t>& shape) const {
  if (dtype == DataType::String) throw Error(ErrorCode::NotImplemented, "string tensors cannot live on a CUDA device");
  const int64_t n = ShapeSize(shape);
  const size_t es = DataTypeSize(dtype);
  if (es == 0) throw Error(ErrorCode::NotImplemented, std::string("tensors of type ") + DataTypeName(dtype) + " cannot live on a CUDA device");
  // The allocator captures itself by pointer; the shared_ptr chain keeps it alive via the deleter.
  std::shared_ptr<CudaAllocator> alloc = allocator_;
  std::shared_ptr<void> block = alloc->Allocate(static_cast<size_t>(n) * es);
  std::shared_ptr<void> storage(block.get(), [block, alloc](void*) mutable { block.reset(); });
  return Tensor::Wrap(dtype, shape, std::move(storage), device());
}

std::shared_ptr<void> CudaExecutionProvider::Scratch(size_t bytes) const {
  std::shared_ptr<CudaAllocator> alloc = allocator_;
  std::shared_ptr<void> block = alloc->Allocate(bytes);
  return std::shared_ptr<void>(block.get(), [block, alloc](void*) mutable { block.reset(); });
}

void CudaExecutionProvider::Copy(const Tensor& src, Tensor& dst) const {
  if (src.dtype() != dst.dtype() || src.size() != dst.size())
    throw Error(ErrorCode::RuntimeException, "copy between tensors of different type or size");
  if (src.dtype() == DataType::String) throw Error(ErrorCode::NotImplemented, "string tensors cannot be copied to a CUDA device");
  const size_t n = src.nbytes();
  if (n == 0) return;
  Activate();
  if (src.on_cpu() && dst.on_cpu()) {
    std::memcpy(dst.raw_data(), src.raw_data(), n);
  } else if (src.on_cpu()) {
    // From pageable memory the call returns once the bytes are staged, so src may be freed.
    CheckCuda(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), n, cudaMemcpyHostToDevice, stream_), "cudaMemcpyAsync to the device");
  } else if (dst.on_cpu()) {
    CheckCuda(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), n, cudaMemcpyDeviceToHost, stream_), "cudaMemcpyAsync to the host");
    CheckCuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
  } else {
    CheckCuda(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), n, cudaMemcpyDeviceToDevice, stream_), "cudaMemcpyAsync on the device");
  }
}

void CudaExecutionProvider::Synchronize() const {
  Activate();
  CheckCuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
}

const CudaExecutionProvider& CudaExecutionProvider::From(const KernelInfo& info) {
  const auto* p = dynamic_cast<const CudaExecutionProvider*>(info.provider());
  if (!p) throw info.MakeError(ErrorCode::RuntimeException, "a CUDA kernel was created outside the CUDA execution provider");
  return *p;
}

void RegisterCudaKernels(KernelRegistry& r) {
  RegisterCudaBlasKernels(r);
  RegisterCudaMathKernels(r);
  RegisterCudaNnKernels(r);
  RegisterCudaTensorKernels(r);
  RegisterCudaReductionKernels(r);
}

void RegisterCudaProvider() {
  RegisterExecutionProviderFactory(kCudaProvider, [](const ProviderOptions& options) -> std::unique_ptr<ExecutionProvider> {
    return std::make_unique<CudaExecutionProvider>(options);
  });
}

}  // namespace onyx::cuda
