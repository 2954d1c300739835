#pragma once
// Float arithmetic on contiguous runs, for the binary ops' common shapes: two arrays of one
// length, and an array with a scalar on either side. Plain loops with an AVX2 clone chosen at run
// time; results equal the scalar expression element by element (no reassociation). y may be a or b.
#include <cstdint>

namespace onyx::mlas {

enum class BinaryF32Op { Add, Sub, Mul, Div };

// y[i] = a[i] op b[i]
void BinaryF32(BinaryF32Op op, const float* a, const float* b, float* y, int64_t n);
// y[i] = a[i] op s
void BinaryScalarRightF32(BinaryF32Op op, const float* a, float s, float* y, int64_t n);
// y[i] = s op b[i]
void BinaryScalarLeftF32(BinaryF32Op op, float s, const float* b, float* y, int64_t n);

}  // namespace onyx::mlas
