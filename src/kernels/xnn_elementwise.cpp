// Element-wise float32 operators through XNNPACK: Add, Sub, Mul, Div with NumPy
// broadcasting (up to 6 dimensions), and Relu, Clip, HardSwish, Sigmoid, LeakyRelu,
// Softmax. Unary kernels and same-shape binary kernels may run in place.
#include <limits>

#include "kernels/channel_broadcast.h"
#include "kernels/xnn_kernel.h"

namespace ledge {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

bool all_float(const PrepareContext& c) {
  for (size_t i = 0; i < c.num_inputs(); ++i)
    if (c.has_input(i) && c.input_type(i).dtype != DType::kFloat32) return false;
  return c.output_dtype(0) == DType::kFloat32;
}

using BinaryCreate = xnn_status (*)(float, float, uint32_t, xnn_operator_t*);
using BinarySetup = xnn_status (*)(xnn_operator_t, size_t, const size_t*, size_t, const size_t*,
                                   const float*, const float*, float*, pthreadpool_t);

// Which binary operators have ledge's own kernel for a per-channel operand
// (kernels/channel_broadcast.h).
enum class ChannelKernel { kNone, kAdd, kMul };

template <BinaryCreate create, BinarySetup setup, ChannelKernel channel = ChannelKernel::kNone>
Expected<std::unique_ptr<PreparedKernel>> prepare_binary(PrepareContext& c) {
  if (c.num_inputs() != 2 || !all_float(c)) return std::unique_ptr<PreparedKernel>();
  const Shape& a = c.input_shape(0);
  const Shape& b = c.input_shape(1);
  const float lo = c.attr_float("activation_min", -kInf), hi = c.attr_float("activation_max", kInf);
  if (channel != ChannelKernel::kNone) {
    LEDGE_ASSIGN(auto k, prepare_channel_broadcast(c, channel == ChannelKernel::kMul, lo, hi));
    if (k) return k;
  }
  if (a.size() > XNN_MAX_TENSOR_DIMS || b.size() > XNN_MAX_TENSOR_DIMS)
    return std::unique_ptr<PreparedKernel>();
  xnn_operator_t op = nullptr;
  const xnn_status st = create(lo, hi, 0, &op);
  std::vector<size_t> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  // A rank-0 operand is a 1-element tensor to XNNPACK.
  if (sa.empty()) sa.push_back(1);
  if (sb.empty()) sb.push_back(1);
  const bool in_place = a == c.output_shape(0);
  return make_xnn_kernel(
      st, op, "binary element-wise",
      [sa, sb](xnn_operator_t o, const Tensor* const* in, Tensor* const* out, pthreadpool_t pool) {
        return setup(o, sa.size(), sa.data(), sb.size(), sb.data(), in[0]->data<float>(),
                     in[1]->data<float>(), out[0]->data<float>(), pool);
      },
      c, 2, in_place);
}

// Unary kernels see the tensor as one row of numel channels.
using UnarySetup = xnn_status (*)(xnn_operator_t, size_t, const float*, float*, pthreadpool_t);

template <UnarySetup setup>
Expected<std::unique_ptr<PreparedKernel>> finish_unary(const PrepareContext& c, xnn_status st,
                                                       xnn_operator_t op, const char* what) {
  return make_xnn_kernel(
      st, op, what,
      [](xnn_operator_t o, const Tensor* const* in, Tensor* const* out, pthreadpool_t pool) {
        return setup(o, 1, in[0]->data<float>(), out[0]->data<float>(), pool);
      },
      c, 1, true);
}

size_t elements(const PrepareContext& c) { return static_cast<size_t>(numel(c.input_shape(0))); }

Expected<std::unique_ptr<PreparedKernel>> make_clamp(const PrepareContext& c, float lo, float hi) {
  const size_t n = elements(c);
  if (n == 0 || !(lo <= hi)) return std::unique_ptr<PreparedKernel>();
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_clamp_nc_f32(n, n, n, lo, hi, 0, &op);
  return finish_unary<xnn_setup_clamp_nc_f32>(c, st, op, "clamp");
}

Expected<std::unique_ptr<PreparedKernel>> prepare_relu(PrepareContext& c) {
  if (!all_float(c)) return std::unique_ptr<PreparedKernel>();
  return make_clamp(c, 0.f, kInf);
}

Expected<std::unique_ptr<PreparedKernel>> prepare_clip(PrepareContext& c) {
  if (!all_float(c)) return std::unique_ptr<PreparedKernel>();
  float bounds[2] = {-kInf, kInf};
  if (c.opset() < 11) {
    bounds[0] = c.attr_float("min", -kInf);
    bounds[1] = c.attr_float("max", kInf);
  } else {
    for (size_t i = 1; i < 3; ++i) {
      if (!c.has_input(i)) continue;
      const Tensor* t = c.constant(i);
      if (!t || t->numel() != 1) return std::unique_ptr<PreparedKernel>();
      bounds[i - 1] = t->data<float>()[0];
    }
  }
  return make_clamp(c, bounds[0], bounds[1]);
}

Expected<std::unique_ptr<PreparedKernel>> prepare_hardswish(PrepareContext& c) {
  if (!all_float(c)) return std::unique_ptr<PreparedKernel>();
  return xnn_hardswish_kernel(c, elements(c));
}

Expected<std::unique_ptr<PreparedKernel>> prepare_sigmoid(PrepareContext& c) {
  const size_t n = elements(c);
  if (!all_float(c) || n == 0) return std::unique_ptr<PreparedKernel>();
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_sigmoid_nc_f32(n, n, n, 0, &op);
  return finish_unary<xnn_setup_sigmoid_nc_f32>(c, st, op, "sigmoid");
}

Expected<std::unique_ptr<PreparedKernel>> prepare_leaky_relu(PrepareContext& c) {
  const size_t n = elements(c);
  if (!all_float(c) || n == 0) return std::unique_ptr<PreparedKernel>();
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_leaky_relu_nc_f32(n, n, n, c.attr_float("alpha", 0.01f), 0, &op);
  return finish_unary<xnn_setup_leaky_relu_nc_f32>(c, st, op, "leaky relu");
}

Expected<std::unique_ptr<PreparedKernel>> prepare_softmax(PrepareContext& c) {
  if (!all_float(c) || c.num_inputs() != 1) return std::unique_ptr<PreparedKernel>();
  const Shape& x = c.input_shape(0);
  const int64_t rank = static_cast<int64_t>(x.size());
  if (rank == 0) return std::unique_ptr<PreparedKernel>();
  int64_t axis = c.attr_int("axis", c.opset() < 13 ? 1 : -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return std::unique_ptr<PreparedKernel>();
  // Before opset 13 Softmax works on the input flattened to 2-D at `axis`; from 13 on a
  // single axis, which is the same when it is the last one.
  if (c.opset() >= 13 && axis != rank - 1) return std::unique_ptr<PreparedKernel>();
  size_t batch = 1, channels = 1;
  for (int64_t i = 0; i < rank; ++i)
    (i < axis ? batch : channels) *= static_cast<size_t>(x[static_cast<size_t>(i)]);
  if (batch == 0 || channels == 0) return std::unique_ptr<PreparedKernel>();
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_softmax_nc_f32(channels, channels, channels, 0, &op);
  return make_xnn_kernel(
      st, op, "softmax",
      [batch](xnn_operator_t o, const Tensor* const* in, Tensor* const* out, pthreadpool_t pool) {
        return xnn_setup_softmax_nc_f32(o, batch, in[0]->data<float>(), out[0]->data<float>(),
                                        pool);
      },
      c, 1, false);
}

}  // namespace

Expected<std::unique_ptr<PreparedKernel>> xnn_hardswish_kernel(const PrepareContext& c, size_t n) {
  if (n == 0) return std::unique_ptr<PreparedKernel>();
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_hardswish_nc_f32(n, n, n, 0, &op);
  return finish_unary<xnn_setup_hardswish_nc_f32>(c, st, op, "hardswish");
}

}  // namespace ledge

using namespace ledge;
LEDGE_DEFINE_FAST_KERNEL(
    Add, "", "Add",
    (prepare_binary<xnn_create_add_nd_f32, xnn_setup_add_nd_f32, ChannelKernel::kAdd>))
LEDGE_DEFINE_FAST_KERNEL(Sub, "", "Sub",
                         (prepare_binary<xnn_create_subtract_nd_f32, xnn_setup_subtract_nd_f32>))
LEDGE_DEFINE_FAST_KERNEL(
    Mul, "", "Mul",
    (prepare_binary<xnn_create_multiply_nd_f32, xnn_setup_multiply_nd_f32, ChannelKernel::kMul>))
LEDGE_DEFINE_FAST_KERNEL(
    FusedAdd, "ledge", "FusedAdd",
    (prepare_binary<xnn_create_add_nd_f32, xnn_setup_add_nd_f32, ChannelKernel::kAdd>))
LEDGE_DEFINE_FAST_KERNEL(Div, "", "Div",
                         (prepare_binary<xnn_create_divide_nd_f32, xnn_setup_divide_nd_f32>))
LEDGE_DEFINE_FAST_KERNEL(Relu, "", "Relu", prepare_relu)
LEDGE_DEFINE_FAST_KERNEL(Clip, "", "Clip", prepare_clip)
LEDGE_DEFINE_FAST_KERNEL(HardSwish, "", "HardSwish", prepare_hardswish)
LEDGE_DEFINE_FAST_KERNEL(Sigmoid, "", "Sigmoid", prepare_sigmoid)
LEDGE_DEFINE_FAST_KERNEL(LeakyRelu, "", "LeakyRelu", prepare_leaky_relu)
LEDGE_DEFINE_FAST_KERNEL(Softmax, "", "Softmax", prepare_softmax)
