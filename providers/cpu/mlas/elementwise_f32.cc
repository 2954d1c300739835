#include "mlas/elementwise_f32.h"

// An AVX2 clone of each loop, picked by the loader from the CPU's features; the default clone is
// plain x86-64 (SSE2). No -march flags: the same binary runs on any x86-64.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ONYX_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ONYX_CLONES
#endif

namespace onyx::mlas {

namespace {

// One function per op and form, so that each loop is a plain vectorisable body (GCC versions it
// for the case where y overlaps an input).
#define ONYX_BINARY_F32(NAME, EXPR)                                                          \
  ONYX_CLONES void NAME(const float* a, const float* b, float* y, int64_t n) {               \
    for (int64_t i = 0; i < n; ++i) {                                                        \
      const float u = a[i], v = b[i];                                                        \
      y[i] = EXPR;                                                                           \
    }                                                                                        \
  }                                                                                          \
  ONYX_CLONES void NAME##Right(const float* a, float v, float* y, int64_t n) {               \
    for (int64_t i = 0; i < n; ++i) {                                                        \
      const float u = a[i];                                                                  \
      y[i] = EXPR;                                                                           \
    }                                                                                        \
  }                                                                                          \
  ONYX_CLONES void NAME##Left(float u, const float* b, float* y, int64_t n) {                \
    for (int64_t i = 0; i < n; ++i) {                                                        \
      const float v = b[i];                                                                  \
      y[i] = EXPR;                                                                           \
    }                                                                                        \
  }

ONYX_BINARY_F32(AddLoop, u + v)
ONYX_BINARY_F32(SubLoop, u - v)
ONYX_BINARY_F32(MulLoop, u * v)
ONYX_BINARY_F32(DivLoop, u / v)

#undef ONYX_BINARY_F32

}  // namespace

void BinaryF32(BinaryF32Op op, const float* a, const float* b, float* y, int64_t n) {
  switch (op) {
    case BinaryF32Op::Add: return AddLoop(a, b, y, n);
    case BinaryF32Op::Sub: return SubLoop(a, b, y, n);
    case BinaryF32Op::Mul: return MulLoop(a, b, y, n);
    case BinaryF32Op::Div: return DivLoop(a, b, y, n);
  }
}

void BinaryScalarRightF32(BinaryF32Op op, const float* a, float s, float* y, int64_t n) {
  switch (op) {
    case BinaryF32Op::Add: return AddLoopRight(a, s, y, n);
    case BinaryF32Op::Sub: return SubLoopRight(a, s, y, n);
    case BinaryF32Op::Mul: return MulLoopRight(a, s, y, n);
    case BinaryF32Op::Div: return DivLoopRight(a, s, y, n);
  }
}

void BinaryScalarLeftF32(BinaryF32Op op, float s, const float* b, float* y, int64_t n) {
  switch (op) {
    case BinaryF32Op::Add: return AddLoopLeft(s, b, y, n);
    case BinaryF32Op::Sub: return SubLoopLeft(s, b, y, n);
    case BinaryF32Op::Mul: return MulLoopLeft(s, b, y, n);
    case BinaryF32Op::Div: return DivLoopLeft(s, b, y, n);
  }
}

}  // namespace onyx::mlas
