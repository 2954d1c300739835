#include "cublas_loader.h"

#include <dlfcn.h>

#include <mutex>
#include <string>

#include "onyx/error.h"

namespace onyx::cuda {
namespace {

// The soname of the toolkit onyx was built with (CMake passes it), then the same file in the
// toolkit's library folder, for processes whose loader path does not include it.
void* OpenCublas(std::string& tried) {
  for (const char* name : {ONYX_CUBLAS_SONAME, ONYX_CUBLAS_PATH}) {
    if (void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL)) return h;
    const char* why = dlerror();
    tried += std::string("\n  ") + name + ": " + (why ? why : "not found");
  }
  return nullptr;
}

template <typename F>
void Resolve(void* lib, F& fn, const char* symbol) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
  if (!fn)
    throw Error(ErrorCode::Fail, std::string("cuBLAS (") + ONYX_CUBLAS_SONAME + ") has no entry point " + symbol +
                                     ": it is older than the CUDA toolkit onyx was built with");
}

CublasApi Load() {
  std::string tried;
  void* lib = OpenCublas(tried);
  if (!lib)
    throw Error(ErrorCode::Fail, "the CUDA provider needs cuBLAS, which could not be loaded:" + tried +
                                     "\nput the folder that holds it on LD_LIBRARY_PATH");
  CublasApi api{};
  // The names the header's macros expand to (cublasCreate is cublasCreate_v2, ...).
#define ONYX_STRINGIFY_NAME(x) #x
#define ONYX_RESOLVE(field, fn) Resolve(lib, api.field, ONYX_STRINGIFY_NAME(fn))
  ONYX_RESOLVE(create, cublasCreate);
  ONYX_RESOLVE(destroy, cublasDestroy);
  ONYX_RESOLVE(set_stream, cublasSetStream);
  ONYX_RESOLVE(set_math_mode, cublasSetMathMode);
  ONYX_RESOLVE(gemm_ex, cublasGemmEx);
  ONYX_RESOLVE(gemm_strided_batched_ex, cublasGemmStridedBatchedEx);
  ONYX_RESOLVE(get_status_string, cublasGetStatusString);
#undef ONYX_RESOLVE
#undef ONYX_STRINGIFY_NAME
  return api;  // the library stays loaded for the life of the process
}

}  // namespace

const CublasApi& Cublas() {
  // A function-local static retries on the next call if Load() throws.
  static const CublasApi api = Load();
  return api;
}

}  // namespace onyx::cuda
