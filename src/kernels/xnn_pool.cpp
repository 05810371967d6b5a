// NHWC pooling through XNNPACK: ledge.NhwcMaxPool, ledge.NhwcAveragePool (padding not
// counted; with count_include_pad and padding the reference kernel runs) and
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
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_max_pooling2d_nhwc_f32(
      static_cast<uint32_t>(win.pad_top), static_cast<uint32_t>(win.pad_right),
      static_cast<uint32_t>(win.pad_bottom), static_cast<uint32_t>(win.pad_left),
      static_cast<uint32_t>(win.kh), static_cast<uint32_t>(win.kw), static_cast<uint32_t>(win.sh),
      static_cast<uint32_t>(win.sw), static_cast<uint32_t>(win.dh), static_cast<uint32_t>(win.dw),
      ch, ch, ch, -kInf, kInf, 0, &op);
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
