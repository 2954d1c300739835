#pragma once
// float <-> 8-bit float conversions for the four ONNX float8 formats, one byte per value.
// Encoding rounds to nearest even; `saturate` clamps finite overflow and infinities to the
// largest finite value (as QuantizeLinear/Cast with saturate=1 require), otherwise overflow
// becomes NaN (the FN/FNUZ formats have no infinity) or infinity (E5M2).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "onyx/data_type.h"

namespace onyx::float8 {

enum class Format { E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ };

struct FormatInfo {
  int mant_bits;
  int bias;
  uint8_t max_code;  // largest finite magnitude code (sign bit clear)
  bool fnuz;         // no negative zero, 0x80 is the only NaN
  bool has_inf;      // E5M2 only
};

constexpr FormatInfo Info(Format f) {
  switch (f) {
    case Format::E4M3FN: return {3, 7, 0x7e, false, false};
    case Format::E4M3FNUZ: return {3, 8, 0x7f, true, false};
    case Format::E5M2: return {2, 15, 0x7b, false, true};
    case Format::E5M2FNUZ: return {2, 16, 0x7f, true, false};
  }
  return {3, 7, 0x7e, false, false};
}

inline bool IsFloat8(DataType t) {
  return t == DataType::Float8E4M3FN || t == DataType::Float8E4M3FNUZ || t == DataType::Float8E5M2 ||
         t == DataType::Float8E5M2FNUZ;
}

// Only valid when IsFloat8(t).
inline Format FormatOf(DataType t) {
  switch (t) {
    case DataType::Float8E4M3FNUZ: return Format::E4M3FNUZ;
    case DataType::Float8E5M2: return Format::E5M2;
    case DataType::Float8E5M2FNUZ: return Format::E5M2FNUZ;
    default: return Format::E4M3FN;
  }
}

// The NaN codes ml_dtypes (and so onnx's reference data) produce.
inline uint8_t NanCode(Format f, uint8_t sign) {
  const FormatInfo fi = Info(f);
  if (fi.fnuz) return 0x80;
  return static_cast<uint8_t>(sign | (fi.has_inf ? 0x7e : 0x7f));
}

inline uint8_t FromFloat(float v, Format f, bool saturate) {
  const FormatInfo fi = Info(f);
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  const uint8_t sign = static_cast<uint8_t>((bits >> 24) & 0x80);
  const uint32_t absbits = bits & 0x7fffffffu;
  if (absbits > 0x7f800000u) return NanCode(f, sign);
  if (absbits == 0x7f800000u) {
    if (saturate) return static_cast<uint8_t>(sign | fi.max_code);
    return fi.has_inf ? static_cast<uint8_t>(sign | 0x7c) : NanCode(f, sign);
  }
  const int e = static_cast<int>(absbits >> 23);
  const uint32_t m = absbits & 0x7fffffu;
  uint32_t code;
  const int target_e = e - 127 + fi.bias;
  if (e == 0) {
    code = 0;  // float32 subnormals are far below the smallest float8 subnormal
  } else if (target_e >= 1) {
    const int shift = 23 - fi.mant_bits;
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1u))) ++r;
    // A mantissa carry moves into the exponent field, which is the correct next binade.
    code = (static_cast<uint32_t>(target_e) << fi.mant_bits) + r;
  } else {
    // Subnormal target: value = r * 2^(1 - bias - mant_bits).
    const uint32_t full = m | 0x800000u;
    const int s = 151 - fi.bias - fi.mant_bits - e;
    if (s >= 25) {
      code = 0;
    } else {
      uint32_t r = full >> s;
      const uint32_t rem = full & ((1u << s) - 1), half = 1u << (s - 1);
      if (rem > half || (rem == half && (r & 1u))) ++r;
      code = r;
    }
  }
  if (code > fi.max_code) {
    if (saturate) return static_cast<uint8_t>(sign | fi.max_code);
    return fi.has_inf ? static_cast<uint8_t>(sign | 0x7c) : NanCode(f, sign);
  }
  if (code == 0 && fi.fnuz) return 0;
  return static_cast<uint8_t>(sign | code);
}

inline float ToFloat(uint8_t c, Format f) {
  const FormatInfo fi = Info(f);
  const bool neg = (c & 0x80) != 0;
  const uint32_t mag = c & 0x7fu;
  if (fi.fnuz) {
    if (c == 0x80) return std::numeric_limits<float>::quiet_NaN();
  } else if (fi.has_inf) {
    if (mag >= 0x7c) {
      if (mag == 0x7c) return neg ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
      return std::numeric_limits<float>::quiet_NaN();
    }
  } else if (mag == 0x7f) {
    return std::numeric_limits<float>::quiet_NaN();
  }
  const uint32_t e = mag >> fi.mant_bits, m = mag & ((1u << fi.mant_bits) - 1);
  float v;
  if (e == 0) {
    v = std::ldexp(static_cast<float>(m), 1 - fi.bias - fi.mant_bits);
  } else {
    const uint32_t bits = ((e - fi.bias + 127) << 23) | (m << (23 - fi.mant_bits));
    std::memcpy(&v, &bits, 4);
  }
  return neg ? -v : v;
}

// ---- FLOAT8E8M0: a bare biased exponent, value 2^(code-127); 0xff is NaN; no sign, no zero ----

enum class E8M0Round { Up, Down, Nearest };

// Follows onnx's reference (numpy_helper.to_float8e8m0): NaN/Inf give 0xff; "up" rounds any
// fraction up, "nearest" rounds on the guard bit (ties up); saturate keeps the result at 0xfe.
inline uint8_t E8M0FromFloat(float v, bool saturate, E8M0Round mode) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  const uint32_t e = (bits >> 23) & 0xffu;
  if (e == 0xffu) return 0xff;
  bool up = false;
  if (mode == E8M0Round::Up) {
    up = (bits & 0x7fffffu) != 0;
  } else if (mode == E8M0Round::Nearest) {
    const bool g = bits & 0x400000u, r = bits & 0x200000u, st = (bits & 0x1fffffu) != 0;
    up = g && (r || st || e > 0);
  }
  if (up && saturate && e == 0xfeu) up = false;
  return static_cast<uint8_t>(e + (up ? 1u : 0u));
}

inline float E8M0ToFloat(uint8_t c) {
  if (c == 0xff) return std::numeric_limits<float>::quiet_NaN();
  return std::ldexp(1.0f, static_cast<int>(c) - 127);
}

// ---- FLOAT4E2M1: one 4-bit code per byte (sign 0x8); magnitudes 0 .5 1 1.5 2 3 4 6; no Inf/NaN ----

inline constexpr float kFloat4Values[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};

inline float Float4ToFloat(uint8_t c) {
  const float m = kFloat4Values[c & 0x7];
  return (c & 0x8) ? -m : m;
}

// Rounds to nearest even and always saturates to +-6 (Inf too), as ml_dtypes/onnx do; NaN gives
// the code 0x8 (-0) for a positive-signed NaN and 0x0 for a negative one, matching ml_dtypes.
inline uint8_t Float4FromFloat(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  const uint8_t sign = (bits & 0x80000000u) ? 0x8 : 0x0;
  if ((bits & 0x7fffffffu) > 0x7f800000u) return sign ? 0x0 : 0x8;
  const float a = std::fabs(v);
  uint8_t code = 7;
  for (uint8_t c = 0; c < 7; ++c) {
    const float mid = 0.5f * (kFloat4Values[c] + kFloat4Values[c + 1]);
    if (a < mid || (a == mid && (c & 1) == 0)) {
      code = c;
      break;
    }
  }
  return static_cast<uint8_t>(sign | code);
}

}  // namespace onyx::float8
