// 16-bit floating point storage types.
//
// float16 and bfloat16 are storage formats in ledge: arithmetic converts to float, computes,
// and rounds back (round-to-nearest-even), which is what the ONNX reference does too.
// Both types convert implicitly to and from float so that templated reference kernels
// work on them unchanged.
#pragma once

#include <cstdint>
#include <cstring>

namespace ledge {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t float_to_half_bits(float f);
float half_bits_to_float(uint16_t h);

struct Float16 {
  uint16_t bits = 0;
  Float16() = default;
  Float16(float f) : bits(float_to_half_bits(f)) {}            // NOLINT: implicit by design
  operator float() const { return half_bits_to_float(bits); }  // NOLINT
  static Float16 from_bits(uint16_t b) {
    Float16 h;
    h.bits = b;
    return h;
  }
};

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  BFloat16(float f) {  // NOLINT: implicit by design
    uint32_t u = float_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
      bits = static_cast<uint16_t>((u >> 16) | 0x40u);  // quiet NaN
    } else {
      u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
      bits = static_cast<uint16_t>(u >> 16);
    }
  }
  operator float() const { return bits_float(static_cast<uint32_t>(bits) << 16); }  // NOLINT
  static BFloat16 from_bits(uint16_t b) {
    BFloat16 h;
    h.bits = b;
    return h;
  }
};

}  // namespace ledge
