// The integer form of MatMulNBits' fast kernel (accuracy_level 4: "int8 compute allowed"):
// each block of A is quantized to int8 with its own scale at run time, and the 4-bit codes
// multiply it on integer dot-product instructions (AVX512-VNNI vpdpbusd, else AVX2
// vpmaddubsw), one float scale per block and row applied afterwards:
//
//   y[m, n] = bias[n] + sum_blk  w_scale[n, blk] * a_scale[m, blk] * sum_k a_q[m, k] * code[n, k]
//                     + sum_blk  offset[n, blk] * a_scale[m, blk] * sum_k a_q[m, k]
//   (offset = -zero_point * w_scale; a_q = round(a / a_scale), a_scale = max|a| / 127)
//
// Rounding A adds an error of at most a_scale / 2 per element of A, which the tests bound.
#pragma once

#include <memory>
#include <vector>

#include "core/tensor.h"
#include "kernels/fast_kernel.h"

namespace ledge {

struct Int4KernelWeights {
  Tensor codes;                // uint8 [N, k_blocks, block / 2], as in the model
  std::vector<float> scales;   // [N * k_blocks]
  std::vector<float> offsets;  // [N * k_blocks]: -zero_point * scale
  std::vector<float> bias;     // [N] or empty
  int64_t M = 0, N = 0, K = 0, block = 0;
};

// Which code runs the dot products: the best this CPU has, or (tests) a given one.
enum class Int4Q8Path { kBest, kVnni512, kAvx2, kPortable };

// Null when the requested path is not available on this CPU (kBest: none but the portable
// one, where the float kernel is used instead).
std::unique_ptr<PreparedKernel> make_int4_q8_kernel(Int4KernelWeights w, const ThreadPool& pool,
                                                    Int4Q8Path path = Int4Q8Path::kBest);

}  // namespace ledge
