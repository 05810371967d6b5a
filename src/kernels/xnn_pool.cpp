// NHWC pooling through XNNPACK: ledge.NhwcMaxPool (float32, uint8, int8), ledge.NhwcAveragePool
// (padding not counted; with count_include_pad and padding the reference kernel runs) and
// ledge.NhwcGlobalAveragePool.
#include <limits>

#include "kernels/xnn_kernel.h"
#include "ops/lowered_common.h"

namespace ledge {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

XnnKernel::Setup window_setup(const Shape& x, bool is_max) {
  const size_t n = static_cast<size_t>(x[0]), h = static_cast<size_t>(x[1]),
               w = static_cast<size_t>(x[2]);
  return [=](xnn_operator_t o, const Tensor* const* in, Tensor* const* out, pthreadpool_t pool) {
    return is_max ? xnn_setup_max_pooling2d_nhwc_f32(o, n, h, w, in[0]->data<float>(),
                                                     out[0]->data<float>(), pool)
                  : xnn_setup_average_pooling2d_nhwc_f32(o, n, h, w, in[0]->data<float>(),
                                                         out[0]->data<float>(), pool);
  };
}

Expected<std::unique_ptr<PreparedKernel>> prepare_max(PrepareContext& c) {
  LEDGE_ASSIGN(Window2d win, read_window2d(c, 1, 1));
  const Shape& x = c.input_shape(0);
  const size_t ch = static_cast<size_t>(x[3]);
  // XNNPACK needs a window of at least 2 elements.
  if (win.kh * win.kw < 2) return std::unique_ptr<PreparedKernel>();
  const auto u = [](int64_t v) { return static_cast<uint32_t>(v); };
  xnn_operator_t op = nullptr;
  const DType t = c.input_type(0).dtype;
  if (t == DType::kUInt8 || t == DType::kInt8) {
    const bool is_u8 = t == DType::kUInt8;
    const xnn_status st = is_u8 ? xnn_create_max_pooling2d_nhwc_u8(
                                      u(win.pad_top), u(win.pad_right), u(win.pad_bottom),
                                      u(win.pad_left), u(win.kh), u(win.kw), u(win.sh), u(win.sw),
                                      u(win.dh), u(win.dw), ch, ch, ch, 0, 255, 0, &op)
                                : xnn_create_max_pooling2d_nhwc_s8(
                                      u(win.pad_top), u(win.pad_right), u(win.pad_bottom),
                                      u(win.pad_left), u(win.kh), u(win.kw), u(win.sh), u(win.sw),
                                      u(win.dh), u(win.dw), ch, ch, ch, -128, 127, 0, &op);
    const size_t n = static_cast<size_t>(x[0]), h = static_cast<size_t>(x[1]),
                 w = static_cast<size_t>(x[2]);
    return make_xnn_kernel(
        st, op, "max pooling",
        [=](xnn_operator_t o, const Tensor* const* in, Tensor* const* out, pthreadpool_t pool) {
          return is_u8 ? xnn_setup_max_pooling2d_nhwc_u8(o, n, h, w, in[0]->data<uint8_t>(),
                                                         out[0]->data<uint8_t>(), pool)
                       : xnn_setup_max_pooling2d_nhwc_s8(o, n, h, w, in[0]->data<int8_t>(),
                                                         out[0]->data<int8_t>(), pool);
        },
        c, 1);
  }
  if (t != DType::kFloat32) return std::unique_ptr<PreparedKernel>();
  const xnn_status st = xnn_create_max_pooling2d_nhwc_f32(
      u(win.pad_top), u(win.pad_right), u(win.pad_bottom), u(win.pad_left), u(win.kh), u(win.kw),
      u(win.sh), u(win.sw), u(win.dh), u(win.dw), ch, ch, ch, -kInf, kInf, 0, &op);
  return make_xnn_kernel(st, op, "max pooling", window_setup(x, true), c, 1);
}

Expected<std::unique_ptr<PreparedKernel>> prepare_average(PrepareContext& c) {
  LEDGE_ASSIGN(Window2d win, read_window2d(c, 1, 1));
  const bool padded = win.pad_top || win.pad_left || win.pad_bottom || win.pad_right;
  if ((padded && c.attr_int("count_include_pad", 0) != 0) || win.dh != 1 || win.dw != 1 ||
      win.kh * win.kw < 2)
    return std::unique_ptr<PreparedKernel>();
  const Shape& x = c.input_shape(0);
  const size_t ch = static_cast<size_t>(x[3]);
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_average_pooling2d_nhwc_f32(
      static_cast<uint32_t>(win.pad_top), static_cast<uint32_t>(win.pad_right),
      static_cast<uint32_t>(win.pad_bottom), static_cast<uint32_t>(win.pad_left),
      static_cast<uint32_t>(win.kh), static_cast<uint32_t>(win.kw), static_cast<uint32_t>(win.sh),
      static_cast<uint32_t>(win.sw), ch, ch, ch, -kInf, kInf, 0, &op);
  return make_xnn_kernel(st, op, "average pooling", window_setup(x, false), c, 1);
}

Expected<std::unique_ptr<PreparedKernel>> prepare_global(PrepareContext& c) {
  const Shape& x = c.input_shape(0);
  const size_t n = static_cast<size_t>(x[0]), hw = static_cast<size_t>(x[1] * x[2]),
               ch = static_cast<size_t>(x[3]);
  if (hw == 0) return std::unique_ptr<PreparedKernel>();
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_global_average_pooling_nwc_f32(ch, ch, ch, -kInf, kInf, 0, &op);
  return make_xnn_kernel(
      st, op, "global average pooling",
      [n, hw](xnn_operator_t o, const Tensor* const* in, Tensor* const* out, pthreadpool_t pool) {
        return xnn_setup_global_average_pooling_nwc_f32(o, n, hw, in[0]->data<float>(),
                                                        out[0]->data<float>(), pool);
      },
      c, 1);
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(NhwcMaxPool, "ledge", "NhwcMaxPool", prepare_max)
LEDGE_DEFINE_FAST_KERNEL(NhwcAveragePool, "ledge", "NhwcAveragePool", prepare_average)
LEDGE_DEFINE_FAST_KERNEL(NhwcGlobalAveragePool, "ledge", "NhwcGlobalAveragePool", prepare_global)
