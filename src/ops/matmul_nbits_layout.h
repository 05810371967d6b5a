// The weight layout of com.microsoft MatMulNBits (ONNX Runtime's block-quantized MatMul),
// shared by the reference operator (matmul_nbits.cpp), its fast kernel and the quantizer.
//
//   W[n, k] = (code(n, k) - zero_point(n, k / block_size)) * scale[n, k / block_size]
//   Y[m, n] = sum_k A[m, k] * W[n, k]  (+ bias[n])
//
// B is uint8 [N, k_blocks, blob_size]: row n holds k_blocks blobs of block_size codes of
// `bits` bits each, packed low bits first (for 4 bits: code 2j in the low nibble of byte j,
// code 2j+1 in its high nibble). K need not be a multiple of block_size: the last block's
// padding codes are ignored. Zero points are either packed the same way per row
// (uint8 [N * ceil(k_blocks * bits / 8)]) or float [N * k_blocks]; absent, they are
// 2^(bits-1) (8 for 4 bits), which makes the codes symmetric around zero.
#pragma once

#include <cstdint>

namespace ledge::nbits {

inline int64_t blocks(int64_t K, int64_t block_size) { return (K + block_size - 1) / block_size; }
inline int64_t blob_bytes(int64_t block_size, int64_t bits) { return block_size * bits / 8; }
// Bytes of one row's packed zero points.
inline int64_t zero_point_row_bytes(int64_t k_blocks, int64_t bits) {
  return (k_blocks * bits + 7) / 8;
}

// The i-th code of a packed run of `bits`-bit codes (bits is 2, 4 or 8).
inline uint8_t code_at(const uint8_t* packed, int64_t i, int64_t bits) {
  const int64_t bit = i * bits;
  return static_cast<uint8_t>((packed[bit / 8] >> (bit % 8)) & ((1 << bits) - 1));
}

inline void set_code(uint8_t* packed, int64_t i, int64_t bits, uint8_t code) {
  const int64_t bit = i * bits;
  const int mask = ((1 << bits) - 1) << (bit % 8);
  uint8_t& byte = packed[bit / 8];
  byte = static_cast<uint8_t>((byte & ~mask) | ((code << (bit % 8)) & mask));
}

}  // namespace ledge::nbits
