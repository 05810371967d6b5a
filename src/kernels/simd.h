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
