#include "mlas/cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define ONYX_X86 1
#endif

namespace onyx::mlas {

namespace {

#if ONYX_X86
uint64_t ReadXcr0() {
  uint32_t eax = 0, edx = 0;
  // xgetbv by opcode bytes: the _xgetbv intrinsic would need -mxsave on this baseline file.
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}
#endif

CpuFeatures Detect() {
  CpuFeatures f;
#if ONYX_X86
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  const bool osxsave = (c & bit_OSXSAVE) != 0;
  if (!osxsave) return f;
  const uint64_t xcr0 = ReadXcr0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;     // SSE and AVX state
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;   // plus opmask, ZMM0-15 upper halves, ZMM16-31
  f.avx = os_ymm && (c & bit_AVX) != 0;
  f.fma = f.avx && (c & bit_FMA) != 0;
  f.f16c = f.avx && (c & bit_F16C) != 0;
  unsigned max_leaf = __get_cpuid_max(0, nullptr);
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    f.avx2 = f.avx && (b & bit_AVX2) != 0;
    f.avx512f = os_zmm && (b & bit_AVX512F) != 0;
    f.avx512bw = f.avx512f && (b & bit_AVX512BW) != 0;
    f.avx512dq = f.avx512f && (b & bit_AVX512DQ) != 0;
    f.avx512vl = f.avx512f && (b & bit_AVX512VL) != 0;
  }
#endif
#ifdef ONYX_MLAS_EMULATE_AVX512
  f.avx512f = true;  // tests/emulated only: the AVX-512 kernels run on emulated intrinsics
#endif
  return f;
}

Isa FromEnvironment() {
  const char* v = std::getenv("ONYX_CPU_ISA");
  if (!v || !*v) return Isa::Avx512;
  if (std::strcmp(v, "scalar") == 0) return Isa::Scalar;
  if (std::strcmp(v, "avx2") == 0) return Isa::Avx2;
  return Isa::Avx512;  // "avx512" or anything unknown: no cap
}

std::atomic<uint8_t>& Limit() {
  static std::atomic<uint8_t> limit{static_cast<uint8_t>(FromEnvironment())};
  return limit;
}

}  // namespace

const CpuFeatures& GetCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

Isa MaxSupportedIsa() {
  const CpuFeatures& f = GetCpuFeatures();
  if (f.avx512f && f.avx2 && f.fma) return Isa::Avx512;
  if (f.avx2 && f.fma) return Isa::Avx2;
  return Isa::Scalar;
}

Isa ActiveIsa() {
  const uint8_t limit = Limit().load(std::memory_order_relaxed);
  const uint8_t max = static_cast<uint8_t>(MaxSupportedIsa());
  return static_cast<Isa>(limit < max ? limit : max);
}

Isa SetIsaLimit(Isa limit) { return static_cast<Isa>(Limit().exchange(static_cast<uint8_t>(limit))); }

}  // namespace onyx::mlas
