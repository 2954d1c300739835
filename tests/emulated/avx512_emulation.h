// Plain C++ stand-ins for the AVX-512F intrinsics that sgemm_kernel_avx512.cc uses, so that its
// logic (tile shape, masks, blocking) is tested on machines without AVX-512. Semantics follow the
// Intel intrinsics guide; masked-off lanes are neither read nor written.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
struct __m512 { float v[16]; };
typedef uint16_t __mmask16;
#define _MM_HINT_T0 0
inline void _mm_prefetch(const char*, int) {}
inline __m512 _mm512_setzero_ps() { __m512 r; for (int i = 0; i < 16; ++i) r.v[i] = 0.f; return r; }
inline __m512 _mm512_loadu_ps(const float* p) { __m512 r; std::memcpy(r.v, p, 64); return r; }
inline __m512 _mm512_set1_ps(float x) { __m512 r; for (int i = 0; i < 16; ++i) r.v[i] = x; return r; }
inline __m512 _mm512_fmadd_ps(__m512 a, __m512 b, __m512 c) { __m512 r; for (int i = 0; i < 16; ++i) r.v[i] = std::fma(a.v[i], b.v[i], c.v[i]); return r; }
inline __m512 _mm512_mul_ps(__m512 a, __m512 b) { __m512 r; for (int i = 0; i < 16; ++i) r.v[i] = a.v[i] * b.v[i]; return r; }
inline __m512 _mm512_add_ps(__m512 a, __m512 b) { __m512 r; for (int i = 0; i < 16; ++i) r.v[i] = a.v[i] + b.v[i]; return r; }
inline void _mm512_storeu_ps(void* p, __m512 a) { float* f = static_cast<float*>(p); for (int i = 0; i < 16; ++i) f[i] = a.v[i]; }
// As the instructions: the second operand when either is NaN.
inline __m512 _mm512_max_ps(__m512 a, __m512 b) { __m512 r; for (int i = 0; i < 16; ++i) r.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i]; return r; }
inline __m512 _mm512_min_ps(__m512 a, __m512 b) { __m512 r; for (int i = 0; i < 16; ++i) r.v[i] = a.v[i] < b.v[i] ? a.v[i] : b.v[i]; return r; }
inline __m512 _mm512_maskz_loadu_ps(__mmask16 k, const void* p) {
  __m512 r; const float* f = static_cast<const float*>(p);
  for (int i = 0; i < 16; ++i) r.v[i] = (k >> i & 1) ? f[i] : 0.f;
  return r;
}
inline void _mm512_mask_storeu_ps(void* p, __mmask16 k, __m512 a) {
  float* f = static_cast<float*>(p);
  for (int i = 0; i < 16; ++i) if (k >> i & 1) f[i] = a.v[i];
}
inline float _mm512_reduce_add_ps(__m512 a) { float s = 0; for (int i = 0; i < 16; ++i) s += a.v[i]; return s; }
