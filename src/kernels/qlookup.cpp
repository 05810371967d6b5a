// ledge.QLookup (an 8-bit table lookup per byte, src/ops/q_lookup.cpp). With AVX512-VBMI
// (Ice Lake, Zen 4 and later) 64 bytes go through the 256-entry table at a time: vpermi2b
// looks up 128 entries from two registers by the low 7 bits, twice (entries 0-127 and
// 128-255), and the high bit of each byte picks between the two. Elsewhere a byte loop.
#include <cstdint>
#include <cstring>

#include "kernels/cpu_features.h"
#include "kernels/fast_kernel.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ledge {
namespace {

void lookup_bytes(const uint8_t* x, const uint8_t* table, uint8_t* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = table[x[i]];
}

#if defined(__x86_64__)
#define LEDGE_VBMI __attribute__((target("avx512f,avx512bw,avx512vbmi")))

struct Table512 {
  __m512i t0, t1, t2, t3;
};

LEDGE_VBMI inline __m512i lookup64(const Table512& t, __m512i v) {
  const __m512i lo = _mm512_permutex2var_epi8(t.t0, v, t.t1);  // entries 0-127 by bits 0-6
  const __m512i hi = _mm512_permutex2var_epi8(t.t2, v, t.t3);  // entries 128-255
  return _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), lo, hi);
}

LEDGE_VBMI void lookup_vbmi(const uint8_t* x, const uint8_t* table, uint8_t* y, size_t n) {
  const Table512 t{_mm512_loadu_si512(table), _mm512_loadu_si512(table + 64),
                   _mm512_loadu_si512(table + 128), _mm512_loadu_si512(table + 192)};
  size_t i = 0;
  for (; i + 64 <= n; i += 64) _mm512_storeu_si512(y + i, lookup64(t, _mm512_loadu_si512(x + i)));
  if (i < n) {
    const __mmask64 tail = ~0ull >> (64 - (n - i));  // n - i is 1..63
    _mm512_mask_storeu_epi8(y + i, tail, lookup64(t, _mm512_maskz_loadu_epi8(tail, x + i)));
  }
}

bool has_vbmi() { return cpu_features().avx512_vbmi; }
#endif

class LookupKernel : public PreparedKernel {
 public:
  explicit LookupKernel(const uint8_t* table) { std::memcpy(table_, table, sizeof table_); }
  Status run(const Tensor* const* in, Tensor* const* out) override {
    const auto* x = static_cast<const uint8_t*>(in[0]->raw());
    auto* y = static_cast<uint8_t*>(out[0]->raw());
    const auto n = static_cast<size_t>(in[0]->numel());
#if defined(__x86_64__)
    static const bool vbmi = has_vbmi();
    if (vbmi) {
      lookup_vbmi(x, table_, y, n);
      return Status();
    }
#endif
    lookup_bytes(x, table_, y, n);
    return Status();
  }
  // Each byte is read before it is written.
  bool may_run_in_place() const override { return true; }

 private:
  alignas(64) uint8_t table_[256];
};

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  const Tensor* table = c.constant(1);
  if (!table || table->numel() != 256 ||
      (table->dtype() != DType::kUInt8 && table->dtype() != DType::kInt8))
    return std::unique_ptr<PreparedKernel>();
  return std::unique_ptr<PreparedKernel>(
      new LookupKernel(static_cast<const uint8_t*>(table->raw())));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(QLookup, "ledge", "QLookup", ledge::prepare)
