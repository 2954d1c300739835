#pragma once
// cuBLAS, loaded on first use. libcublas pulls in libcublasLt, whose load alone makes ~150 MB of
// the process resident; linking it would charge that to every process that loads onyx, even one
// that never asks for the CUDA provider. So onyx does not link cuBLAS: the first CUDA provider
// dlopens it and resolves the few entry points onyx calls.
#include <cublas_v2.h>

namespace onyx::cuda {

// cublasGemmEx and cublasGemmStridedBatchedEx are overloaded in C++ (the header adds inline
// wrappers taking a cudaDataType compute type); these are the library's own entry points. The
// static_cast in decltype checks the signature against the header without referencing the symbol.
using CublasGemmExFn = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                                          const void*, const void*, cudaDataType, int, const void*, cudaDataType,
                                          int, const void*, void*, cudaDataType, int, cublasComputeType_t,
                                          cublasGemmAlgo_t);
using CublasGemmStridedBatchedExFn = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int,
                                                        int, int, const void*, const void*, cudaDataType, int,
                                                        long long, const void*, cudaDataType, int, long long,
                                                        const void*, void*, cudaDataType, int, long long, int,
                                                        cublasComputeType_t, cublasGemmAlgo_t);

struct CublasApi {
  decltype(&::cublasCreate_v2) create;
  decltype(&::cublasDestroy_v2) destroy;
  decltype(&::cublasSetStream_v2) set_stream;
  decltype(&::cublasSetMathMode) set_math_mode;
  decltype(static_cast<CublasGemmExFn>(&::cublasGemmEx)) gemm_ex;
  decltype(static_cast<CublasGemmStridedBatchedExFn>(&::cublasGemmStridedBatchedEx)) gemm_strided_batched_ex;
  decltype(&::cublasGetStatusString) get_status_string;
};

// The entry points, loaded once (thread-safe). Throws onyx::Error naming the library and dlerror()
// when libcublas cannot be loaded or lacks one of them.
const CublasApi& Cublas();

}  // namespace onyx::cuda
