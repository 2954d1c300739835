#include "mlas/nn_cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "mlas/cpu_features.h"

namespace onyx::mlas {

namespace {
bool DetectAvx2() {
#if ONYX_NN_X86
  const char* isa = std::getenv("ONYX_NN_ISA");
  if (isa && std::strcmp(isa, "baseline") == 0) return false;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}
std::atomic<bool> g_force_baseline{false};
}  // namespace

bool NnUseAvx2() {
  static const bool has = DetectAvx2();
  // ONYX_CPU_ISA / SetIsaLimit lower these kernels too, like the GEMM's.
  return has && !g_force_baseline.load(std::memory_order_relaxed) && ActiveIsa() >= Isa::Avx2;
}

void NnForceBaselineIsa(bool force) { g_force_baseline.store(force); }

}  // namespace onyx::mlas
