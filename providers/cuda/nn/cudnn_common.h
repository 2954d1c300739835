#pragma once
// cuDNN descriptors owned by RAII wrappers, and the per-file registration functions of the
// CUDA nn family. Descriptors are built per call (they are cheap), so kernels stay safe under
// concurrent Run() calls.
#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "cuda_common.h"

namespace onyx::cuda {

void RegisterCudaConvKernels(KernelRegistry& r);           // nn/conv.cc: Conv, ConvTranspose
void RegisterCudaPoolKernels(KernelRegistry& r);           // nn/pool.cc: MaxPool, AveragePool, Global*Pool
void RegisterCudaBatchNormKernels(KernelRegistry& r);      // nn/batch_norm.cc

inline bool IsCudaFloat(DataType t) { return t == DataType::Float || t == DataType::Float16; }

inline cudnnDataType_t CudnnType(DataType t) { return t == DataType::Float16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT; }

// Dims as the ints cuDNN takes; throws naming the node when one does not fit.
inline std::vector<int> CudnnDims(const std::vector<int64_t>& v, const KernelContext& ctx) {
  std::vector<int> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] < 0 || v[i] > INT_MAX)
      throw ctx.MakeError(ErrorCode::NotImplemented, "dimension " + std::to_string(v[i]) + " in " + ShapeToString(v) +
                                                         " exceeds the 32-bit range of cuDNN");
    out[i] = static_cast<int>(v[i]);
  }
  return out;
}

class CudnnTensor {
 public:
  CudnnTensor() { CheckCudnn(cudnnCreateTensorDescriptor(&d_), "cudnnCreateTensorDescriptor"); }
  ~CudnnTensor() { cudnnDestroyTensorDescriptor(d_); }
  CudnnTensor(const CudnnTensor&) = delete;
  CudnnTensor& operator=(const CudnnTensor&) = delete;
  // A packed NC... tensor of 4 or 5 dims.
  void Set(DataType dt, const std::vector<int64_t>& dims, const KernelContext& ctx) {
    const std::vector<int> d = CudnnDims(dims, ctx);
    std::vector<int> strides(d.size());
    int64_t s = 1;
    for (size_t i = d.size(); i-- > 0;) {
      if (s > INT_MAX) throw ctx.MakeError(ErrorCode::NotImplemented, "tensor " + ShapeToString(dims) + " is too large for cuDNN");
      strides[i] = static_cast<int>(s);
      s *= std::max(d[i], 1);
    }
    CheckCudnn(cudnnSetTensorNdDescriptor(d_, CudnnType(dt), static_cast<int>(d.size()), d.data(), strides.data()),
               "cudnnSetTensorNdDescriptor");
  }
  cudnnTensorDescriptor_t get() const { return d_; }

 private:
  cudnnTensorDescriptor_t d_ = nullptr;
};

class CudnnFilter {
 public:
  CudnnFilter() { CheckCudnn(cudnnCreateFilterDescriptor(&d_), "cudnnCreateFilterDescriptor"); }
  ~CudnnFilter() { cudnnDestroyFilterDescriptor(d_); }
  CudnnFilter(const CudnnFilter&) = delete;
  CudnnFilter& operator=(const CudnnFilter&) = delete;
  void Set(DataType dt, const std::vector<int64_t>& dims, const KernelContext& ctx) {
    const std::vector<int> d = CudnnDims(dims, ctx);
    CheckCudnn(cudnnSetFilterNdDescriptor(d_, CudnnType(dt), CUDNN_TENSOR_NCHW, static_cast<int>(d.size()), d.data()),
               "cudnnSetFilterNdDescriptor");
  }
  cudnnFilterDescriptor_t get() const { return d_; }

 private:
  cudnnFilterDescriptor_t d_ = nullptr;
};

class CudnnConvolution {
 public:
  CudnnConvolution() { CheckCudnn(cudnnCreateConvolutionDescriptor(&d_), "cudnnCreateConvolutionDescriptor"); }
  ~CudnnConvolution() { cudnnDestroyConvolutionDescriptor(d_); }
  CudnnConvolution(const CudnnConvolution&) = delete;
  CudnnConvolution& operator=(const CudnnConvolution&) = delete;
  cudnnConvolutionDescriptor_t get() const { return d_; }

 private:
  cudnnConvolutionDescriptor_t d_ = nullptr;
};

class CudnnActivation {
 public:
  CudnnActivation() { CheckCudnn(cudnnCreateActivationDescriptor(&d_), "cudnnCreateActivationDescriptor"); }
  ~CudnnActivation() { cudnnDestroyActivationDescriptor(d_); }
  CudnnActivation(const CudnnActivation&) = delete;
  CudnnActivation& operator=(const CudnnActivation&) = delete;
  cudnnActivationDescriptor_t get() const { return d_; }

 private:
  cudnnActivationDescriptor_t d_ = nullptr;
};

class CudnnPooling {
 public:
  CudnnPooling() { CheckCudnn(cudnnCreatePoolingDescriptor(&d_), "cudnnCreatePoolingDescriptor"); }
  ~CudnnPooling() { cudnnDestroyPoolingDescriptor(d_); }
  CudnnPooling(const CudnnPooling&) = delete;
  CudnnPooling& operator=(const CudnnPooling&) = delete;
  cudnnPoolingDescriptor_t get() const { return d_; }

 private:
  cudnnPoolingDescriptor_t d_ = nullptr;
};

}  // namespace onyx::cuda
