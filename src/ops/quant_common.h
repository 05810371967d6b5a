// Shared pieces of the quantized operators (QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear, QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger).
//
// These are the REFERENCE semantics that faster integer kernels are tested against bit for bit,
// so every numeric step is spelled out here once:
//
//   quantize    q = saturate(round_half_even(x / scale) + zero_point)
//               x / scale is one IEEE float32 division (as in ONNX Runtime and the ONNX numpy
//               reference), not a multiplication by 1 / scale; int32 inputs divide in double.
//   dequantize  x = float(q - zero_point) * scale, the subtraction exact in integers.
//   accumulate  sum of (a - a_zero_point) * (b - b_zero_point) in int32; the products always
//               fit (|a - zp| <= 255), and the sum wraps around modulo 2^32 as ONNX allows
//               ("accumulation may overflow if and only if in 32 bits"), never undefined.
//   requantize  q = saturate(round_half_even(float(acc) * multiplier) + zero_point) with
//               multiplier = (in_scale * weight_scale) / out_scale, all in float32.
//
// NaN has no quantized value; saturate_round maps it to the zero point (real 0), so the
// result is defined rather than whatever a float-to-int conversion happens to produce.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <vector>

#include "core/dtype.h"
#include "core/tensor.h"
#include "ops/kernel.h"

namespace ledge::quant {

// ---------------------------------------------------------------------------------------------
// Types

// Requires input i, when its type is known, to be one of `allowed`. Unknown types (values of
// enclosing scopes during static inference) pass; run-time inference checks them again.
Status check_type(const InferContext& c, size_t i, const char* name,
                  std::initializer_list<DType> allowed);
// Requires inputs i and j, when both are present and typed, to have the same element type.
Status check_same_type(const InferContext& c, size_t i, size_t j, const char* what);

// dispatch restricted to the 8-bit quantized types, so that kernels templated on two or three
// of them instantiate 4 or 8 variants rather than every integer type.
template <class F>
Status dispatch_q8(DType t, F&& f) {
  auto call = [&]<class T>() -> Status {
    if constexpr (std::is_void_v<decltype(f.template operator()<T>())>) {
      f.template operator()<T>();
      return Status();
    } else {
      return f.template operator()<T>();
    }
  };
  if (t == DType::kInt8) return call.template operator()<int8_t>();
  if (t == DType::kUInt8) return call.template operator()<uint8_t>();
  return unsupported("element type " + std::string(dtype_name(t)) +
                     " is not a quantized type (int8 or uint8)");
}

// ---------------------------------------------------------------------------------------------
// Rounding and saturation

// Round to nearest, ties to even, independent of the floating-point environment's rounding
// mode. v - floor(v) is exact for every finite float, so the tie test is exact too.
template <class F>
F round_half_even(F v) {
  if (!std::isfinite(v)) return v;
  const F lo = std::floor(v);
  const F frac = v - lo;
  if (frac < F(0.5)) return lo;
  if (frac > F(0.5)) return lo + F(1);
  return std::fmod(lo, F(2)) == F(0) ? lo : lo + F(1);
}

// saturate(round_half_even(scaled) + zero_point) to the range of Q. The clamp happens on the
// rounded value against [min - zp, max - zp] before any conversion to an integer, so huge,
// infinite or NaN inputs never reach an out-of-range float-to-int conversion.
template <class Q, class F>
Q saturate_round(F scaled, int32_t zero_point) {
  constexpr int32_t qmin = std::numeric_limits<Q>::min();
  constexpr int32_t qmax = std::numeric_limits<Q>::max();
  F r = round_half_even(scaled);
  if (std::isnan(r)) r = F(0);
  const F lo = static_cast<F>(qmin - zero_point);
  const F hi = static_cast<F>(qmax - zero_point);
  if (r < lo) r = lo;
  if (r > hi) r = hi;
  const int32_t q = static_cast<int32_t>(r) + zero_point;
  // The zero point itself may lie outside Q (an int32 parameter); saturate once more.
  return static_cast<Q>(q < qmin ? qmin : (q > qmax ? qmax : q));
}

// QuantizeLinear of one value. float: one float32 division, as the ONNX reference does.
template <class Q>
Q quantize(float x, float scale, int32_t zero_point) {
  return saturate_round<Q>(x / scale, zero_point);
}
// int32 input: numpy divides int32 by float32 in float64, and so do we (exact operands, one
// correctly rounded division).
template <class Q>
Q quantize(int32_t x, float scale, int32_t zero_point) {
  return saturate_round<Q>(static_cast<double>(x) / static_cast<double>(scale), zero_point);
}

// DequantizeLinear of one value: the subtraction in 64-bit integers (exact even for int32
// inputs), one conversion to float, one float multiplication.
inline float dequantize(int64_t q, int64_t zero_point, float scale) {
  return static_cast<float>(q - zero_point) * scale;
}

// The float multiplier that maps an int32 accumulator with scale in_scale * weight_scale to
// the output scale. Parenthesized as ONNX Runtime computes it.
inline float requant_multiplier(float in_scale, float weight_scale, float out_scale) {
  return (in_scale * weight_scale) / out_scale;
}

// Requantizes an int32 accumulator to Q.
template <class Q>
Q requantize(int32_t acc, float multiplier, int32_t zero_point) {
  return saturate_round<Q>(static_cast<float>(acc) * multiplier, zero_point);
}

// int32 addition that wraps modulo 2^32 (defined behavior; C++20 conversions are modular).
inline int32_t wrap_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

// ---------------------------------------------------------------------------------------------
// Parameters (scales, zero points)

// All elements of a float32 tensor (scales).
std::vector<float> read_floats(const Tensor& t);
// All elements of an integer tensor as int32 (zero points: int8, uint8 or int32).
std::vector<int32_t> read_ints(const Tensor& t);

// Which parameter each element of x uses in per-tensor or per-axis (de)quantization:
// parameter index of flat element i = (i / inner) % count. Per tensor: count = inner = 1.
struct AxisLayout {
  int64_t count = 1;
  int64_t inner = 1;
  int64_t index(int64_t i) const { return count == 1 ? 0 : (i / inner) % count; }
};

// Checks the shapes of scale and zero point (zero_point may be null) against x: one element
// for per-tensor, or a 1-D tensor of x.shape[axis] elements for per-axis (axis may be
// negative). The zero point must have as many elements as the scale.
Expected<AxisLayout> axis_layout(const NodeContext& c, const Shape& x, const Shape& scale,
                                 const Shape* zero_point, int64_t axis);
// The static part of the same checks for infer: shapes may be partly unknown.
Status check_axis_params(const InferContext& c, size_t x, size_t scale, size_t zero_point,
                         int64_t axis);

// Requires input i, when present with a known shape, to hold exactly one element (a scalar
// or a 1-element tensor: per-tensor parameters).
Status check_scalar(const InferContext& c, size_t i, const char* name);
// The one value of a per-tensor parameter (checked again here, at run time).
Expected<float> scalar_float(const KernelContext& c, size_t i, const char* name);
// Absent optional zero points are 0.
Expected<int32_t> scalar_int(const KernelContext& c, size_t i, const char* name);

// x widened to int32 with zero points subtracted: out[i] = x[i] - zero_points[zp_index(i)].
// x is int8 or uint8; the caller checked that zp_index stays within zero_points.
template <class F>
Expected<std::vector<int32_t>> widen_minus_zero_point(const Tensor& x,
                                                      const std::vector<int32_t>& zero_points,
                                                      F&& zp_index) {
  std::vector<int32_t> out(static_cast<size_t>(x.numel()));
  LEDGE_TRY(dispatch_q8(x.dtype(), [&]<class T>() {
    const T* p = x.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i)
      out[static_cast<size_t>(i)] =
          static_cast<int32_t>(p[i]) - zero_points[static_cast<size_t>(zp_index(i))];
  }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Integer matrix multiplication (numpy.matmul semantics: 1-D operands, broadcast batch dims)

struct MatMulPlan {
  int64_t M = 0, K = 0, N = 0;
  Shape a_promoted, b_promoted;  // operands as matrices: 1-D a is [1, K], 1-D b is [K, 1]
  // For each output matrix, the index of the matrix of a and of b it multiplies.
  std::vector<int64_t> a_matrix, b_matrix;
  Shape out;
};

// Static output shape of matmul(a, b); nullopt for an unknown rank.
Expected<std::optional<std::vector<int64_t>>> matmul_shape(const InferContext& c,
                                                           const TensorType& a,
                                                           const TensorType& b);
Expected<MatMulPlan> plan_matmul(const NodeContext& c, const Shape& a, const Shape& b);

// Expands a per-tensor or per-row parameter of operand A into one value per row of every
// matrix of A (a_promoted without K): scalar; [M] for 2-D A; or a tensor broadcastable to
// [..., M, 1] such as [D1, D2, M, 1].
Expected<std::vector<double>> expand_rows(const NodeContext& c, const Tensor& p,
                                          const MatMulPlan& plan, const char* name);
// The same for per-column parameters of B: scalar, [N], or broadcastable to [..., 1, N].
Expected<std::vector<double>> expand_cols(const NodeContext& c, const Tensor& p,
                                          const MatMulPlan& plan, const char* name);

// C[m, n] = sum_k A[m, k] * B[k, n] over row-major int32 matrices, with int32 wrap-around.
void gemm_i32(int64_t M, int64_t K, int64_t N, const int32_t* A, const int32_t* B, int32_t* C);

// The full batched product of widened operands (zero points already subtracted) laid out as
// plan.a_promoted / plan.b_promoted; out has numel(plan.out) elements.
void matmul_i32(const MatMulPlan& plan, const int32_t* a, const int32_t* b, int32_t* out);

// Integer matmul of 8-bit A and B with their zero points (per tensor, per row of A, per column
// of B; null when absent): the body of MatMulInteger and the first half of QLinearMatMul.
Expected<std::vector<int32_t>> matmul_integer(const NodeContext& c, const MatMulPlan& plan,
                                              const Tensor& a, const Tensor* a_zero_point,
                                              const Tensor& b, const Tensor* b_zero_point);

// ---------------------------------------------------------------------------------------------
// Integer convolution (NCHW, any number of spatial dimensions)

struct ConvGeometry {
  int64_t batch = -1, in_channels = -1, out_channels = -1, group = 1;
  // Spatial dimensions; -1 where unknown during static inference.
  std::vector<int64_t> in, kernel, out, strides, dilations, pads_begin, pads_end;
  std::vector<int64_t> output_shape() const;
};

// Validates the attributes (auto_pad, pads, strides, dilations, group, kernel_shape) against
// the shapes of x and w (-1 for unknown dimensions, both of the same known rank) and computes
// the output geometry.
Expected<ConvGeometry> conv_geometry(const NodeContext& c, const std::vector<int64_t>& x,
                                     const std::vector<int64_t>& w);
// infer for ConvInteger / QLinearConv: output `dtype` with the convolution's shape.
Status infer_conv_output(InferContext& c, size_t x, size_t w, DType dtype);

// y[n, m, o...] = sum over the group's input channels and the kernel of x * w, on widened
// operands (zero points subtracted). Taps that fall into the padding are skipped: padding
// holds x's zero point, which contributes (zp - zp) * w = 0.
void conv_i32(const ConvGeometry& g, const int32_t* x, const int32_t* w, int32_t* y);

// Widens x (scalar zero point) and w (scalar or per-output-channel zero point), and runs the
// convolution: the body of ConvInteger and the first half of QLinearConv.
Expected<std::vector<int32_t>> conv_integer(const NodeContext& c, const ConvGeometry& g,
                                            const Tensor& x, const Tensor* x_zero_point,
                                            const Tensor& w, const Tensor* w_zero_point);

// ---------------------------------------------------------------------------------------------
// Operators with QLinearConv's inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point,
// y_scale, y_zero_point, B (QLinearConv, ledge.NhwcQLinearConv, ledge.QFullyConnected)

enum QLinearInput : size_t {
  kQX,
  kQXScale,
  kQXZero,
  kQW,
  kQWScale,
  kQWZero,
  kQYScale,
  kQYZero,
  kQBias
};

// The type checks infer does for these inputs (shapes are the operator's business).
// With float_output, y_scale and y_zero_point may both be absent: the result is then the
// float32 value of the accumulator, float(acc) * x_scale * w_scale (a dequantized output).
Status infer_qlinear_inputs(InferContext& c, bool float_output = false);

// The input checks of ledge.QAdd and ledge.QMul: a, a_scale, a_zero_point, b, b_scale,
// b_zero_point, y_scale, y_zero_point, all present; per-tensor parameters; a, b and y of one
// 8-bit type. (Shapes are the operator's business.)
Status infer_qbinary_inputs(InferContext& c);

// The input checks of the integer poolings (ledge.QGlobalAveragePool, ledge.NhwcQAveragePool):
// x, x_scale, x_zero_point, y_scale, y_zero_point, all present; per-tensor parameters; x and
// both zero points of one 8-bit type.
Status infer_qpool_inputs(InferContext& c);

// w's shape as the operator defines it (OHWI, or [N, K]), `rank` dimensions. A lowered node
// whose w an artifact stores pre-packed for the integer kernels (src/ops/qgemm_weight_layout.h)
// names that shape in its packed_weight_shape attribute; w is then int8
// [qgemm_prepacked_bytes(N, K)], which this checks. Otherwise w's own shape.
Expected<Shape> qlinear_weight_shape(const NodeContext& c, const TensorType& w, size_t rank);
// w's values in that shape: w itself, or a copy unpacked from the panels.
Expected<Tensor> qlinear_weight_values(const NodeContext& c, const Tensor& w, size_t rank);

// Everything but x and w, checked at run time and expanded to `channels` output channels.
struct QLinearParams {
  int32_t x_zero = 0;
  std::vector<int32_t> w_zero;  // per output channel
  // Per output channel: x_scale * w_scale / y_scale (without y_scale: x_scale * w_scale).
  std::vector<float> multiplier;
  std::vector<int32_t> bias;  // per output channel; empty without B
  int32_t y_zero = 0;
};
Expected<QLinearParams> qlinear_params(const KernelContext& c, int64_t channels);

}  // namespace ledge::quant
