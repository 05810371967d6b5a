#include "artifact/crc32.h"

#include <zlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ledge::artifact {

uint32_t crc32_reference(uint32_t crc, const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc, p, n));
}

#if defined(__x86_64__)
namespace {

// Folding constants of the reflected polynomial 0xEDB88320: x^(512+64) and x^512 mod P for
// four lanes 64 bytes apart, x^(128+64) and x^128 mod P for one lane 16 bytes on (the values
// of Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ").
__attribute__((target("pclmul,sse4.1"))) __m128i fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("pclmul,sse4.1"))) __m128i load(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// Folds the message down to 16 bytes congruent to it, then lets zlib finish those 16 (and the
// tail of under 16): the fold keeps the CRC's value, so zlib's result is the whole message's.
__attribute__((target("pclmul,sse4.1"))) uint32_t crc32_pclmul(uint32_t crc, const uint8_t* p,
                                                               size_t n) {
  const __m128i four_lanes = _mm_set_epi64x(0x1c6e41596, 0x154442bd4);
  const __m128i one_lane = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0);
  // zlib inverts the running value before and after; the inverted value enters the message.
  __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(~crc)));
  __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
  p += 64;
  n -= 64;
  for (; n >= 64; p += 64, n -= 64) {
    x0 = _mm_xor_si128(fold(x0, four_lanes), load(p));
    x1 = _mm_xor_si128(fold(x1, four_lanes), load(p + 16));
    x2 = _mm_xor_si128(fold(x2, four_lanes), load(p + 32));
    x3 = _mm_xor_si128(fold(x3, four_lanes), load(p + 48));
  }
  __m128i x = _mm_xor_si128(fold(x0, one_lane), x1);
  x = _mm_xor_si128(fold(x, one_lane), x2);
  x = _mm_xor_si128(fold(x, one_lane), x3);
  for (; n >= 16; p += 16, n -= 16) x = _mm_xor_si128(fold(x, one_lane), load(p));
  alignas(16) uint8_t rest[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(rest), x);
  // From a zero register (zlib's argument ~0): the 16 bytes carry the folded message.
  const uint32_t folded = crc32_reference(0xffffffffu, rest, 16);
  return crc32_reference(folded, p, n);
}

const bool kHasPclmul = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
}();

}  // namespace
#endif

uint32_t crc32_update(uint32_t crc, const uint8_t* p, size_t n) {
#if defined(__x86_64__)
  if (kHasPclmul && n >= 64) return crc32_pclmul(crc, p, n);
#endif
  return crc32_reference(crc, p, n);
}

}  // namespace ledge::artifact
