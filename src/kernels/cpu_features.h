// What this x86-64 CPU can run, read once: the kernels pick their paths from it. (On other
// architectures every field is false; aarch64 kernels check NEON dot products themselves.)
#pragma once

namespace ledge {

struct CpuFeatures {
  bool avx2_fma = false;     // AVX2 with FMA
  bool avx512f = false;      // AVX-512 Foundation
  bool avx512bw_vl = false;  // and its byte/word and 256/128-bit forms (with avx512f)
  bool avx512_vnni = false;  // vpdpbusd on zmm (with avx512f)
  bool avx512_vbmi = false;  // vpermb and friends (with avx512bw)
  bool avx_vnni = false;     // vpdpbusd in the VEX encoding (with AVX2)
};

const CpuFeatures& cpu_features();

}  // namespace ledge
