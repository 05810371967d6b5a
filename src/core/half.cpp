#include "core/half.h"

namespace ledge {

uint16_t float_to_half_bits(float f) {
  const uint32_t u = float_bits(f);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);  // NaN
  if (abs >= 0x477ff000u) {
    // Rounds to infinity (or is infinity): 65520 and above.
    return static_cast<uint16_t>(sign | 0x7c00u);
  }
  if (abs < 0x38800000u) {
    // Subnormal half (or zero): add 0.5 so the hardware float adder does the rounding.
    const float magic = bits_float(0x3f000000u);  // 0.5
    const float v = bits_float(abs) + magic;
    return static_cast<uint16_t>(sign | (float_bits(v) - 0x3f000000u));
  }
  // Normal: rebias the exponent and round the mantissa to nearest even.
  uint32_t mant_odd = (abs >> 13) & 1u;
  uint32_t v = abs + 0xc8000fffu + mant_odd;  // (15 - 127) << 23, plus rounding bias
  return static_cast<uint16_t>(sign | (v >> 13));
}

float half_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    if (mant == 0) return bits_float(sign);
    // Subnormal: value = mant * 2^-24.
    float v = static_cast<float>(mant) * bits_float(0x33800000u);
    return sign ? -v : v;
  }
  if (exp == 31) return bits_float(sign | 0x7f800000u | (mant << 13));
  return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
}

}  // namespace ledge
