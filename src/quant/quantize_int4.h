// Weight-only block-wise int4: for models whose weights dominate (fully connected layers,
// MLPs, the classifier head of a CNN), weights shrink 6-7x while activations stay float,
// so no calibration data is needed.
//
//   auto q = quantize_weights_int4(model, {.block_size = 32});
//   // q->model: every eligible MatMul/Gemm/1x1 Conv is now a com.microsoft MatMulNBits
//
// Eligible: MatMul whose B is a constant float [K, N]; Gemm with a constant float B,
// transA = 0, and a constant bias C of N values or none (alpha and beta fold into the
// scales and the bias); 1x1 Conv (one group, unit strides, no padding, constant weights
// and bias), which becomes Transpose to NHWC, MatMulNBits over the channels, Transpose back. Each
// weight column (K values of output n) is cut into blocks of block_size; each block gets a float
// scale and a 4-bit zero point from its min and max (zero always inside the range), codes in 0..15
// (layout: ops/matmul_nbits_layout.h). ONNX Runtime runs the result (its CPU MatMulNBits); ledge
// runs it with a fast kernel.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "ir/graph.h"

namespace ledge {

struct Int4Options {
  int64_t block_size = 32;           // a power of two, at least 16
  std::set<std::string> keep_float;  // node names to leave as they are
  // Allow int8 arithmetic on the activations (MatMulNBits' accuracy_level 4): each block of
  // A is rounded to int8 at run time and integer dot products do the work, several times
  // faster than float; false keeps float arithmetic (accuracy_level 0).
  bool int8_compute = true;
};

struct Int4Result {
  std::shared_ptr<Model> model;
  std::vector<std::string> quantized;  // names of the nodes that became MatMulNBits
};

// The result is a new model; the input is not changed. Fails for a bad block size; a
// model with nothing eligible is returned unchanged with an empty `quantized`.
Expected<Int4Result> quantize_weights_int4(const Model& model, const Int4Options& options);

// Quantizes the [N, K] row-major float weights `w` (row n: the weights of output n) into
// the MatMulNBits tensors: B uint8 [N, k_blocks, block_size / 2], scales float
// [N * k_blocks], zero points uint8 [N * ceil(k_blocks / 2)]; every weight scaled by
// `factor` first.
struct Int4Weights {
  Tensor codes, scales, zero_points;
};
Int4Weights quantize_int4_rows(const float* w, int64_t N, int64_t K, int64_t block_size,
                               float factor = 1.f);

}  // namespace ledge
