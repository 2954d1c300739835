#pragma once
// Seeded uniform floats in (-bound, bound), for the microkernel tests (header only: the
// emulated AVX-512 test binary, which links no onyx library, uses it too).
#include <cstdint>
#include <random>
#include <vector>

namespace onyx::testing {

inline std::vector<float> UniformFloats(size_t n, uint32_t seed, float bound) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-bound, bound);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace onyx::testing
