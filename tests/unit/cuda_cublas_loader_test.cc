// cuBLAS is opened on first use, not linked (providers/cuda/cublas_loader.h). Opening it and
// resolving its entry points needs no GPU, so this runs on every CUDA build.
#include <gtest/gtest.h>

#include <string>

#include "cublas_loader.h"

namespace onyx::cuda {
namespace {

TEST(CudaCublasLoader, ResolvesEveryEntryPointWithoutADevice) {
  const CublasApi& api = Cublas();
  EXPECT_NE(api.create, nullptr);
  EXPECT_NE(api.destroy, nullptr);
  EXPECT_NE(api.set_stream, nullptr);
  EXPECT_NE(api.set_math_mode, nullptr);
  EXPECT_NE(api.gemm_ex, nullptr);
  EXPECT_NE(api.gemm_strided_batched_ex, nullptr);
  ASSERT_NE(api.get_status_string, nullptr);
  // A call through the table reaches the library.
  EXPECT_NE(std::string(api.get_status_string(CUBLAS_STATUS_NOT_INITIALIZED)).find("not initialized"), std::string::npos);
  EXPECT_EQ(&Cublas(), &api);  // loaded once
}

}  // namespace
}  // namespace onyx::cuda
