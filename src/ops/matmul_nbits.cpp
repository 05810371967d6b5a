// com.microsoft MatMulNBits: a MatMul whose weights are block-quantized to 2, 4 or 8 bits
// (layout: matmul_nbits_layout.h). ledge's quantizer writes it for weight-only int4
// (`ledge quantize --weights int4`), the form ONNX Runtime runs too. Inputs:
//   A float [..., K], B uint8 [N, k_blocks, blob], scales float [N * k_blocks] (or
//   [N, k_blocks]), zero_points (optional; packed uint8 or float), g_idx (not supported),
//   bias float [N] (optional) → Y float [..., N]. Attributes K, N, bits (4), block_size.
#include <cmath>

#include "ops/matmul_nbits_layout.h"
#include "ops/nn_common.h"

namespace ledge {
namespace {

constexpr size_t kA = 0, kB = 1, kScales = 2, kZeroPoints = 3, kGIdx = 4, kBias = 5;

struct NBitsAttrs {
  int64_t K, N, bits, block_size, k_blocks;
};

template <class Ctx>
Expected<NBitsAttrs> read_attrs(const Ctx& c) {
  NBitsAttrs a{c.attr_int("K", -1), c.attr_int("N", -1), c.attr_int("bits", 4),
               c.attr_int("block_size", -1), 0};
  if (a.K < 1 || a.N < 1) return c.fail("attributes K and N must be positive");
  if (a.bits != 2 && a.bits != 4 && a.bits != 8)
    return c.fail_unsupported("bits must be 2, 4 or 8, got " + std::to_string(a.bits));
  if (a.block_size < 16 || (a.block_size & (a.block_size - 1)) != 0)
    return c.fail("block_size must be a power of two of at least 16, got " +
                  std::to_string(a.block_size));
  a.k_blocks = nbits::blocks(a.K, a.block_size);
  return a;
}

// Checks the sizes of B, scales, zero points and bias against the attributes.
template <class Ctx>
Status check_weights(const Ctx& c, const NBitsAttrs& a, const Shape& b, int64_t scales,
                     int64_t zero_points, DType zp_dtype, int64_t bias) {
  const Shape want{a.N, a.k_blocks, nbits::blob_bytes(a.block_size, a.bits)};
  if (b != want)
    return c.fail("B must be uint8 [" + std::to_string(want[0]) + "x" + std::to_string(want[1]) +
                  "x" + std::to_string(want[2]) + "] for these attributes");
  if (scales != a.N * a.k_blocks)
    return c.fail("scales must hold N * k_blocks = " + std::to_string(a.N * a.k_blocks) +
                  " values, not " + std::to_string(scales));
  if (zero_points >= 0) {
    const int64_t want_zp = zp_dtype == DType::kUInt8
                                ? a.N * nbits::zero_point_row_bytes(a.k_blocks, a.bits)
                                : a.N * a.k_blocks;
    if (zero_points != want_zp)
      return c.fail("zero_points must hold " + std::to_string(want_zp) + " values, not " +
                    std::to_string(zero_points));
  }
  if (bias >= 0 && bias != a.N) return c.fail("bias must hold N values");
  return Status();
}

int64_t known_numel(const TensorType& t) {
  if (!t.is_static()) return -2;  // unknown: skip the check
  int64_t n = 1;
  for (int64_t d : *t.shape) n *= d;
  return n;
}

Status infer(InferContext& c) {
  LEDGE_ASSIGN(const NBitsAttrs a, read_attrs(c));
  LEDGE_TRY(require_input(c, kA));
  LEDGE_TRY(require_input(c, kB));
  LEDGE_TRY(require_input(c, kScales));
  if (c.input_dtype(kA) != DType::kFloat32) return c.fail_unsupported("A must be float32");
  if (c.input_dtype(kB) != DType::kUInt8) return c.fail("B must be uint8");
  if (c.input_dtype(kScales) != DType::kFloat32) return c.fail("scales must be float32");
  if (c.has_input(kGIdx)) return c.fail_unsupported("g_idx is not supported");
  const bool zp = c.has_input(kZeroPoints), bias = c.has_input(kBias);
  if (zp && c.input_dtype(kZeroPoints) != DType::kUInt8 &&
      c.input_dtype(kZeroPoints) != DType::kFloat32)
    return c.fail("zero_points must be uint8 or float32");
  if (bias && c.input_dtype(kBias) != DType::kFloat32) return c.fail("bias must be float32");
  const TensorType& tb = c.input_type(kB);
  if (tb.is_static()) {
    const int64_t s = known_numel(c.input_type(kScales));
    const int64_t z = zp ? known_numel(c.input_type(kZeroPoints)) : -1;
    const int64_t bn = bias ? known_numel(c.input_type(kBias)) : -1;
    if (s != -2 && z != -2 && bn != -2)
      LEDGE_TRY(check_weights(c, a, *tb.shape, s, z,
                              zp ? c.input_dtype(kZeroPoints) : DType::kUInt8, bn));
  }
  const TensorType& ta = c.input_type(kA);
  if (!ta.has_rank()) return c.set_output_unknown(0, DType::kFloat32);
  std::vector<int64_t> out = *ta.shape;
  if (out.empty()) return c.fail("A must have at least one dimension");
  if (out.back() >= 0 && out.back() != a.K)
    return c.fail("A's last dimension is " + std::to_string(out.back()) + ", K is " +
                  std::to_string(a.K));
  out.back() = a.N;
  return c.set_output(0, DType::kFloat32, std::move(out));
}

Status run(KernelContext& c) {
  LEDGE_ASSIGN(const NBitsAttrs a, read_attrs(c));
  const Tensor& ta = c.input(kA);
  const Tensor& tb = c.input(kB);
  const Tensor& ts = c.input(kScales);
  const Tensor* tz = c.input_or_null(kZeroPoints);
  const Tensor* tbias = c.input_or_null(kBias);
  LEDGE_TRY(check_weights(c, a, tb.shape(), ts.numel(), tz ? tz->numel() : -1,
                          tz ? tz->dtype() : DType::kUInt8, tbias ? tbias->numel() : -1));
  if (ta.rank() == 0 || ta.shape().back() != a.K) return c.fail("A's last dimension must be K");
  const int64_t M = ta.numel() / a.K;
  const int64_t blob = nbits::blob_bytes(a.block_size, a.bits);
  const int64_t zp_row = nbits::zero_point_row_bytes(a.k_blocks, a.bits);
  const float default_zp = static_cast<float>(1 << (a.bits - 1));
  const float* pa = ta.data<float>();
  const uint8_t* pb = tb.data<uint8_t>();
  const float* ps = ts.data<float>();
  float* py = c.output(0).data<float>();

  // Dequantize one row of W at a time, then a plain dot product per row of A (accumulated in
  // double: the reference).
  std::vector<float> w(static_cast<size_t>(a.K));
  for (int64_t n = 0; n < a.N; ++n) {
    for (int64_t blk = 0; blk < a.k_blocks; ++blk) {
      const int64_t nb = n * a.k_blocks + blk;
      float zero = default_zp;
      if (tz && tz->dtype() == DType::kUInt8)
        zero = nbits::code_at(tz->data<uint8_t>() + n * zp_row, blk, a.bits);
      else if (tz)
        zero = tz->data<float>()[nb];
      const uint8_t* codes = pb + nb * blob;
      for (int64_t j = 0; j < a.block_size && blk * a.block_size + j < a.K; ++j)
        w[static_cast<size_t>(blk * a.block_size + j)] =
            (static_cast<float>(nbits::code_at(codes, j, a.bits)) - zero) * ps[nb];
    }
    for (int64_t m = 0; m < M; ++m) {
      double acc = tbias ? tbias->data<float>()[n] : 0.0;
      for (int64_t k = 0; k < a.K; ++k)
        acc += static_cast<double>(pa[m * a.K + k]) * w[static_cast<size_t>(k)];
      py[m * a.N + n] = static_cast<float>(acc);
    }
  }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(MatMulNBits, "com.microsoft", infer, run)
