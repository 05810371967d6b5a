// The packed layout of int8 weights for ledge's integer matrix product (src/kernels/qgemm.h),
// shared by the kernels, the lowering that stores weights packed in artifacts
// (src/lower/prepack_int8_weights.cpp) and the reference operators, which unpack them.
//
// W is [n][k] int8 (one row per output column: OHWI weights flattened). Packed, it is one
// block: for each panel of 32 columns, for each group of 4 depth bytes, 32 columns x 4 bytes
// (the layout of the VNNI instruction vpdpbusd); k is padded to k4 (a multiple of 4) and n to
// whole panels, both with zeros. After the panels come the column sums (sum_p W[j, p] as
// little-endian int32, wrapping, n rounded up to whole panels with zeros). The panels' size is
// a multiple of 128 bytes, so the sums stay 64-byte aligned when the block is.
//
// A lowered node whose W input is stored this way (ledge.NhwcQLinearConv,
// ledge.QFullyConnected) carries the attribute `packed_weight_shape`: W's logical shape
// (OHWI or [N, K]). W itself is then int8 [qgemm_prepacked_bytes(n, k)].
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ledge {

inline constexpr size_t kQGemmPanel = 32;     // columns of W per packed panel
inline constexpr size_t kQGemmDepthStep = 4;  // bytes of depth per vpdpbusd step
inline constexpr const char* kPackedWeightShapeAttr = "packed_weight_shape";

inline size_t qgemm_panels_of(size_t n) { return (n + kQGemmPanel - 1) / kQGemmPanel; }
inline size_t qgemm_depth4(size_t k) {
  return (k + kQGemmDepthStep - 1) / kQGemmDepthStep * kQGemmDepthStep;
}

// Bytes of the panels of a packed W with n columns and depth k.
inline size_t qgemm_packed_size(size_t n, size_t k) {
  return qgemm_panels_of(n) * kQGemmPanel * qgemm_depth4(k);
}
// Bytes of the whole block: panels, then column sums.
inline size_t qgemm_prepacked_bytes(size_t n, size_t k) {
  return qgemm_packed_size(n, k) + qgemm_panels_of(n) * kQGemmPanel * sizeof(int32_t);
}

// Index in the packed panels of element (column j, depth p); k4 is qgemm_depth4(k).
inline size_t qgemm_packed_index(size_t k4, size_t j, size_t p) {
  return (j / kQGemmPanel) * k4 * kQGemmPanel + (p / kQGemmDepthStep) * kQGemmPanel * 4 +
         (j % kQGemmPanel) * 4 + p % kQGemmDepthStep;
}

// Packs w ([n][k], row-major) into `block` (qgemm_prepacked_bytes(n, k) bytes, zero-filled
// by the caller: the padding).
inline void qgemm_pack_into(const int8_t* w, size_t n, size_t k, int8_t* block) {
  const size_t k4 = qgemm_depth4(k);
  int8_t* sums_bytes = block + qgemm_packed_size(n, k);
  // In tiles of 32 columns x 64 depths (2 KB, in the L1 cache): element by element, every
  // fourth byte written started a new cache line.
  constexpr size_t kDepthTile = 64;
  for (size_t j0 = 0; j0 < n; j0 += kQGemmPanel) {
    const size_t j1 = j0 + kQGemmPanel < n ? j0 + kQGemmPanel : n;
    for (size_t p0 = 0; p0 < k; p0 += kDepthTile) {
      const size_t p1 = p0 + kDepthTile < k ? p0 + kDepthTile : k;
      for (size_t j = j0; j < j1; ++j)
        for (size_t p = p0; p < p1; ++p) block[qgemm_packed_index(k4, j, p)] = w[j * k + p];
    }
    for (size_t j = j0; j < j1; ++j) {
      uint32_t sum = 0;  // wraps modulo 2^32, as the accumulators do
      for (size_t p = 0; p < k; ++p)
        sum += static_cast<uint32_t>(static_cast<int32_t>(w[j * k + p]));
      std::memcpy(sums_bytes + j * sizeof(int32_t), &sum, sizeof sum);
    }
  }
}

// The inverse: w ([n][k]) from a packed block.
inline void qgemm_unpack(const int8_t* block, size_t n, size_t k, int8_t* w) {
  const size_t k4 = qgemm_depth4(k);
  for (size_t j = 0; j < n; ++j)
    for (size_t p = 0; p < k; ++p) w[j * k + p] = block[qgemm_packed_index(k4, j, p)];
}

}  // namespace ledge
