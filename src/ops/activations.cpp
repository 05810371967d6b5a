// Element-wise activations: Celu, Clip, Elu, HardSigmoid, HardSwish, LeakyRelu, Mish, PRelu,
// Relu, Selu, Shrink, Sigmoid, Softplus, Softsign, ThresholdedRelu.
//
// Floating-point activations compute in compute_t<T> (float for 16-bit floats).
#include <algorithm>

#include "ops/elementwise_common.h"

namespace ledge {
namespace {

constexpr TypeSet kFloat = TypeSet::kFloat;

// Output 0 = f(x) computed in compute_t<T> for the floating-point types.
template <class F>
Status float_map(KernelContext& c, F f) {
  return unary_map<kFloat>(c, [&]<class T>(T x) { return f(static_cast<compute_t<T>>(x)); });
}

Status infer_float(InferContext& c) { return infer_unary(c, kFloat); }
Status infer_numeric(InferContext& c) { return infer_unary(c, TypeSet::kNumeric); }

// Relu-14 added the signed integer types. NaN stays NaN, as in numpy and PyTorch.
Status infer_relu(InferContext& c) { return infer_unary(c, kFloat | TypeSet::kSigned); }
Status run_relu(KernelContext& c) {
  return unary_map<kFloat | TypeSet::kSigned>(
      c, []<class T>(T x) { return static_cast<compute_t<T>>(x) < 0 ? T(0) : x; });
}

Status run_leaky_relu(KernelContext& c) {
  const float alpha = c.attr_float("alpha", 0.01f);
  return float_map(c, [&]<class C>(C x) { return x < 0 ? static_cast<C>(alpha) * x : x; });
}

Status run_elu(KernelContext& c) {
  const float alpha = c.attr_float("alpha", 1.0f);
  return float_map(c,
                   [&]<class C>(C x) { return x < 0 ? static_cast<C>(alpha) * std::expm1(x) : x; });
}

Status run_selu(KernelContext& c) {
  const float alpha = c.attr_float("alpha", 1.67326319217681884765625f);
  const float gamma = c.attr_float("gamma", 1.05070102214813232421875f);
  return float_map(c, [&]<class C>(C x) {
    return static_cast<C>(gamma) * (x > 0 ? x : static_cast<C>(alpha) * std::expm1(x));
  });
}

Status infer_celu(InferContext& c) {
  if (c.attr_float("alpha", 1.0f) == 0.0f) return c.fail("alpha must not be 0");
  return infer_unary(c, kFloat);
}
Status run_celu(KernelContext& c) {
  const float alpha = c.attr_float("alpha", 1.0f);
  return float_map(c, [&]<class C>(C x) {
    const C a = static_cast<C>(alpha);
    return x > 0 ? x : a * std::expm1(x / a);
  });
}

Status run_sigmoid(KernelContext& c) {
  // Two forms so that exp never overflows.
  return float_map(c, []<class C>(C x) {
    if (x >= 0) return C(1) / (C(1) + std::exp(-x));
    const C e = std::exp(x);
    return e / (C(1) + e);
  });
}

Status run_hard_sigmoid(KernelContext& c) {
  const float alpha = c.attr_float("alpha", 0.2f);
  const float beta = c.attr_float("beta", 0.5f);
  return float_map(c, [&]<class C>(C x) {
    return std::clamp(static_cast<C>(alpha) * x + static_cast<C>(beta), C(0), C(1));
  });
}

Status run_hard_swish(KernelContext& c) {
  return float_map(c, []<class C>(C x) { return x * std::clamp(x / C(6) + C(0.5), C(0), C(1)); });
}

// log(1 + exp(x)) without overflow for large x.
template <class C>
C softplus(C x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

Status run_softplus(KernelContext& c) {
  return float_map(c, [](auto x) { return softplus(x); });
}

Status run_softsign(KernelContext& c) {
  return float_map(c, []<class C>(C x) { return x / (C(1) + std::fabs(x)); });
}

Status run_mish(KernelContext& c) {
  return float_map(c, [](auto x) { return x * std::tanh(softplus(x)); });
}

Status run_thresholded_relu(KernelContext& c) {
  const float alpha = c.attr_float("alpha", 1.0f);
  return float_map(c, [&]<class C>(C x) { return x <= static_cast<C>(alpha) ? C(0) : x; });
}

Status run_shrink(KernelContext& c) {
  const double lambd = c.attr_float("lambd", 0.5f);
  const double bias = c.attr_float("bias", 0.0f);
  return unary_map(c, [&]<class T>(T x) -> T {
    const double v = static_cast<double>(static_cast<compute_t<T>>(x));
    const double y = v < -lambd ? v + bias : v > lambd ? v - bias : 0.0;
    if constexpr (std::is_integral_v<T>)
      return saturate_cast<T>(y);
    else
      return static_cast<T>(static_cast<compute_t<T>>(y));
  });
}

// PRelu ---------------------------------------------------------------------------------

// The slope's shape for broadcasting. Before opset 7 a 1-D slope holds one value per
// channel (dimension 1 of X), as PyTorch exported it.
std::vector<int64_t> prelu_slope_shape(const NodeContext& c, const std::vector<int64_t>& x,
                                       const std::vector<int64_t>& slope) {
  if (c.opset() < 7 && slope.size() == 1 && x.size() >= 2 && slope[0] != 1 && slope[0] == x[1]) {
    std::vector<int64_t> s(x.size() - 1, 1);
    s[0] = slope[0];
    return s;
  }
  return slope;
}

Status infer_prelu(InferContext& c) {
  LEDGE_ASSIGN(DType t, common_type(c, {0, 1}, TypeSet::kNumeric));
  const TensorType& x = c.input_type(0);
  const TensorType& slope = c.input_type(1);
  if (x.shape && slope.shape) {
    // The slope broadcasts to X (unidirectionally): the result must have X's shape.
    const TensorType s{slope.dtype, prelu_slope_shape(c, *x.shape, *slope.shape)};
    auto shape = broadcast_types({&x, &s});
    if (!shape) return c.fail(shape.error().message());
    if (*shape && x.is_static() && **shape != *x.shape)
      return c.fail("slope " + slope.to_string() + " does not broadcast to X " + x.to_string());
  }
  return c.set_output(0, TensorType{t, x.shape});
}

Status run_prelu(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& slope = c.input(1);
  const Shape ss = prelu_slope_shape(c, x.shape(), slope.shape());
  return dispatch<TypeSet::kNumeric>(x.dtype(), [&]<class T>() {
    broadcast_apply2<T, T, T>(x, x.shape(), slope, ss, c.output(0),
                              [](T v, [[maybe_unused]] T a) -> T {
                                using C = compute_t<T>;
                                if constexpr (std::is_unsigned_v<T>)
                                  return v;
                                else if (static_cast<C>(v) >= C(0))
                                  return v;
                                else if constexpr (std::is_integral_v<T>)
                                  return wrap_mul(v, a);
                                else
                                  return static_cast<T>(static_cast<C>(v) * static_cast<C>(a));
                              });
  });
}

// Clip ----------------------------------------------------------------------------------

// Before opset 11 the bounds are float attributes; from 11 they are optional scalar inputs
// of X's type (any numeric type from 12).
Status infer_clip(InferContext& c) {
  if (c.opset() < 11) return infer_unary(c, kFloat);
  LEDGE_ASSIGN(DType t, common_type(c, {0, 1, 2}, TypeSet::kNumeric, /*optional=*/true));
  LEDGE_TRY(require_input(c, 0));
  for (size_t i = 1; i <= 2; ++i) {
    if (!c.has_input(i) || !c.input_type(i).is_static()) continue;
    const auto& dims = *c.input_type(i).shape;
    if (!std::all_of(dims.begin(), dims.end(), [](int64_t d) { return d == 1; }))
      return c.fail(std::string(i == 1 ? "min" : "max") + " must be a scalar, got " +
                    c.input_type(i).to_string());
  }
  return c.set_output(0, TensorType{t, c.input_type(0).shape});
}

Status run_clip(KernelContext& c) {
  return dispatch<TypeSet::kNumeric>(c.input(0).dtype(), [&]<class T>() -> Status {
    using C = compute_t<T>;
    C lo = std::numeric_limits<C>::lowest();
    C hi = std::numeric_limits<C>::max();
    if (c.opset() < 11) {
      if (c.has_attr("min")) lo = static_cast<C>(c.attr_float("min"));
      if (c.has_attr("max")) hi = static_cast<C>(c.attr_float("max"));
    } else {
      for (size_t i = 1; i <= 2; ++i) {
        const Tensor* b = c.input_or_null(i);
        if (!b) continue;
        if (b->numel() != 1) return c.fail("min and max must be scalars");
        (i == 1 ? lo : hi) = static_cast<C>(b->data<T>()[0]);
      }
    }
    // min(max(x, lo), hi) as numpy.clip does: hi wins when lo > hi; NaN stays NaN.
    const Tensor& x = c.input(0);
    const T* px = x.data<T>();
    T* py = c.output(0).data<T>();
    for (int64_t i = 0; i < x.numel(); ++i)
      py[i] = static_cast<T>(nan_min(nan_max(static_cast<C>(px[i]), lo), hi));
    return Status();
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Celu, ledge::infer_celu, ledge::run_celu)
LEDGE_DEFINE_OP(Clip, ledge::infer_clip, ledge::run_clip)
LEDGE_DEFINE_OP(Elu, ledge::infer_float, ledge::run_elu)
LEDGE_DEFINE_OP(HardSigmoid, ledge::infer_float, ledge::run_hard_sigmoid)
LEDGE_DEFINE_OP(HardSwish, ledge::infer_float, ledge::run_hard_swish)
LEDGE_DEFINE_OP(LeakyRelu, ledge::infer_float, ledge::run_leaky_relu)
LEDGE_DEFINE_OP(Mish, ledge::infer_float, ledge::run_mish)
LEDGE_DEFINE_OP(PRelu, ledge::infer_prelu, ledge::run_prelu)
LEDGE_DEFINE_OP(Relu, ledge::infer_relu, ledge::run_relu)
LEDGE_DEFINE_OP(Selu, ledge::infer_float, ledge::run_selu)
LEDGE_DEFINE_OP(Shrink, ledge::infer_numeric, ledge::run_shrink)
LEDGE_DEFINE_OP(Sigmoid, ledge::infer_float, ledge::run_sigmoid)
LEDGE_DEFINE_OP(Softplus, ledge::infer_float, ledge::run_softplus)
LEDGE_DEFINE_OP(Softsign, ledge::infer_float, ledge::run_softsign)
LEDGE_DEFINE_OP(ThresholdedRelu, ledge::infer_float, ledge::run_thresholded_relu)
