#pragma once
#include <cstdint>

namespace onyx::mlas {

// What the processor and the operating system together allow. Detected once (cpuid + xgetbv:
// a CPU flag alone is not enough, the OS must also save the YMM/ZMM registers on context switch).
struct CpuFeatures {
  bool avx = false;
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
};

const CpuFeatures& GetCpuFeatures();

// The SIMD tiers the kernels are written for, in increasing order.
enum class Isa : uint8_t { Scalar = 0, Avx2 = 1, Avx512 = 2 };

const char* IsaName(Isa isa);

// The best tier this machine runs (Avx2 needs AVX2 + FMA, Avx512 needs AVX-512F).
Isa MaxSupportedIsa();

// The tier kernels should use now: the best supported one, lowered by the environment variable
// ONYX_CPU_ISA=scalar|avx2|avx512 (read once) and by SetIsaLimit. Never above MaxSupportedIsa().
Isa ActiveIsa();

// Caps the tier (tests use it to run lower paths on a bigger machine); returns the previous cap.
// Kernels that cached their choice at creation keep it.
Isa SetIsaLimit(Isa limit);

}  // namespace onyx::mlas
