// ledge's integer matrix product for the int8 convolutions: uint8 activations times int8
// weights, accumulated in int32 and requantized to uint8, exactly as ONNX QLinearConv and
// QLinearMatMul define it (src/ops/quant_common.h is the reference, bit for bit):
//
//   acc[i][j] = sum_p (A[i, p] - a_zero_point) * W[j, p]  (+ bias[j]), wrapping modulo 2^32
//   C[i, j]   = saturate_round<uint8_t>(float(acc[i][j]) * multiplier[j], y_zero_point)
//
// or, in its float-output form (qgemm_f32: a quantized classifier's last layer, whose logits
// stay float, as ledge.QFullyConnected defines it without y_scale and y_zero_point):
//
//   C[i, j]   = float(acc[i][j]) * multiplier[j]  (one float product: no rounding, no clamp)
//
// W holds one row per output column (OHWI weights flattened to [n][k]) and is packed once
// into panels of 32 columns, 4 bytes of depth per step: the layout of the VNNI instruction
// vpdpbusd, which multiplies 4 unsigned bytes of A by 4 signed bytes of W and adds the sum to
// an int32 lane without saturating. The activation zero point is folded out of the loop:
// sum (A - zp) W = sum A W - zp * sum W, all modulo 2^32, with the column sums of W packed
// beside the panels. The vector paths (AVX512-VNNI, AVX-VNNI) keep a tile of accumulators in
// registers, as do the NEON paths on aarch64 (qgemm_neon.cpp); the plain C++ path is the
// reference and the path of other CPUs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/memory.h"
#include "core/status.h"
#include "ops/qgemm_weight_layout.h"

struct pthreadpool;

namespace ledge {

// Weights packed for qgemm (the layout of src/ops/qgemm_weight_layout.h): panels of 32
// columns, then the column sums, in one 64-byte aligned block that `storage` keeps alive:
// either packed at load (qgemm_pack) or the bytes of an artifact's pre-packed weight, used in
// place from the file mapping (qgemm_borrow).
struct QGemmWeights {
  size_t n = 0, k = 0, k4 = 0;
  const int8_t* panels = nullptr;        // qgemm_packed_size(n, k) bytes
  const int32_t* column_sums = nullptr;  // sum_p W[j, p], n rounded up to whole panels (zeros)
  std::shared_ptr<const void> storage;
};

// Packs w, [n][k] row-major (one row per output column). Fails only when out of memory.
Expected<QGemmWeights> qgemm_pack(const int8_t* w, size_t n, size_t k);
// Uses a pre-packed block (qgemm_prepacked_bytes(n, k) bytes, 64-byte aligned) in place;
// `owner` keeps it alive.
QGemmWeights qgemm_borrow(const int8_t* block, size_t n, size_t k,
                          std::shared_ptr<const void> owner);

// The requantization of each accumulator. Zero points are those of uint8 tensors (0..255).
// multiplier[j] = (input_scale * weight_scale[j]) / output_scale (quant::requant_multiplier);
// any float gives the reference's result (NaN maps to the zero point, as in saturate_round),
// though in practice multipliers are finite and positive.
struct QGemmRequant {
  const int32_t* bias = nullptr;      // n values, or null
  const float* multiplier = nullptr;  // n values
  int32_t a_zero_point = 0;
  int32_t y_zero_point = 0;  // unused by the float-output form
  // The caller's promise that every multiplier is finite (so no product is NaN): the vector
  // paths then skip the NaN test of the requantization. false is always correct.
  bool multipliers_finite = false;
};

// C[i, j] for i < m, j < w.n: A is m rows of w.k bytes with row stride lda (rows are read
// exactly to their k-th byte, never past it), C has row stride ldc; C's bytes past column n
// are not touched. No scratch memory, no allocation.
void qgemm(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w, const QGemmRequant& r,
           uint8_t* c, size_t ldc);

// The same product split over the pool's threads (in blocks of rows and panels); null
// pool: on the calling thread.
void qgemm_parallel(pthreadpool* pool, size_t m, const uint8_t* a, size_t lda,
                    const QGemmWeights& w, const QGemmRequant& r, uint8_t* c, size_t ldc);

// Plain loops straight from the definition above (quant::saturate_round): the portable path
// and what the vector paths are tested against.
void qgemm_reference(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
                     const QGemmRequant& r, uint8_t* c, size_t ldc);

// Every path this CPU can run, best first (qgemm() uses the first).
struct QGemmPath {
  using Fn = void (*)(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
                      const QGemmRequant& r, uint8_t* c, size_t ldc);
  const char* name;
  Fn fn;
};
std::vector<QGemmPath> qgemm_paths();

// The float-output form: the same product of the same packed weights, each accumulator
// converted to float and multiplied by multiplier[j] (r.y_zero_point is not used), exactly
// as static_cast<float>(acc) * multiplier[j] in C++. Same rules for A, C's row stride and
// the elements past column n as qgemm.
void qgemm_f32(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w, const QGemmRequant& r,
               float* c, size_t ldc);
void qgemm_f32_parallel(pthreadpool* pool, size_t m, const uint8_t* a, size_t lda,
                        const QGemmWeights& w, const QGemmRequant& r, float* c, size_t ldc);
void qgemm_f32_reference(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
                         const QGemmRequant& r, float* c, size_t ldc);

// Every float-output path this CPU can run, best first (the same names as qgemm_paths()).
struct QGemmF32Path {
  using Fn = void (*)(size_t m, const uint8_t* a, size_t lda, const QGemmWeights& w,
                      const QGemmRequant& r, float* c, size_t ldc);
  const char* name;
  Fn fn;
};
std::vector<QGemmF32Path> qgemm_f32_paths();

}  // namespace ledge
