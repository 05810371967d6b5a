// Runtime CPU dispatch for ledge's own loops: on x86-64 the compiler builds each marked
// function for AVX-512, AVX2 and the baseline, and the loader picks the best one the CPU
// has (GCC/Clang function multi-versioning). Elsewhere (aarch64: NEON is the baseline)
// the plain build is the vector build.
#pragma once

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(LEDGE_NO_CLONES)
#define LEDGE_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LEDGE_SIMD_CLONES
#endif

#if defined(__x86_64__)
#include <immintrin.h>

namespace ledge {

// x · clamp(x / 6 + 1/2, 0, 1): HardSwish fused into a kernel's epilogue.
__attribute__((target("avx512f"), always_inline)) inline __m512 hard_swish_512(__m512 v) {
  const __m512 t = _mm512_fmadd_ps(v, _mm512_set1_ps(1.f / 6), _mm512_set1_ps(0.5f));
  return _mm512_mul_ps(v,
                       _mm512_min_ps(_mm512_max_ps(t, _mm512_setzero_ps()), _mm512_set1_ps(1.f)));
}

__attribute__((target("avx2,fma"), always_inline)) inline __m256 hard_swish_256(__m256 v) {
  const __m256 t = _mm256_fmadd_ps(v, _mm256_set1_ps(1.f / 6), _mm256_set1_ps(0.5f));
  return _mm256_mul_ps(v,
                       _mm256_min_ps(_mm256_max_ps(t, _mm256_setzero_ps()), _mm256_set1_ps(1.f)));
}

}  // namespace ledge
#endif
