// ledge.NhwcConv picks one of four kernels: 3x3 stride-1 layers where it pays go to the
// Winograd kernel (winograd_conv.h); other ungrouped ones (1x1, or with at least 16 input
// channels) are matrix products on ledge's GEMM (gemm_conv.h); 3x3 and 5x5 depthwise layers
// to ledge's AVX-512 depthwise kernel (depthwise_conv.h); the rest (other depthwise and
// grouped layers, first layers with few channels, CPUs without AVX-512) to XNNPACK, whose one
// operator picks its microkernel (GEMM, IGEMM or depthwise) and packs the weights once here.
#include "kernels/depthwise_conv.h"
#include "kernels/gemm_conv.h"
#include "kernels/winograd_conv.h"
#include "kernels/xnn_kernel.h"
#include "ops/lowered_common.h"

namespace ledge {
namespace {

// An XNNPACK convolution followed by XNNPACK's HardSwish in place on its output: XNNPACK's
// convolution only clamps. (ledge's own kernels apply a fused HardSwish in their epilogue.)
class ThenHardSwish : public PreparedKernel {
 public:
  ThenHardSwish(std::unique_ptr<PreparedKernel> conv, std::unique_ptr<PreparedKernel> act)
      : conv_(std::move(conv)), act_(std::move(act)) {}
  Status run(const Tensor* const* inputs, Tensor* const* outputs) override {
    LEDGE_TRY(conv_->run(inputs, outputs));
    const Tensor* y = outputs[0];
    return act_->run(&y, outputs);
  }
  bool packed_constants() const override { return conv_->packed_constants(); }

 private:
  std::unique_ptr<PreparedKernel> conv_, act_;
};

Expected<std::unique_ptr<PreparedKernel>> with_hard_swish(const PrepareContext& c,
                                                          std::unique_ptr<PreparedKernel> conv) {
  if (!conv) return conv;
  LEDGE_ASSIGN(auto act, xnn_hardswish_kernel(c, static_cast<size_t>(numel(c.output_shape(0)))));
  if (!act) return act;
  return std::unique_ptr<PreparedKernel>(new ThenHardSwish(std::move(conv), std::move(act)));
}

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  const Tensor* w = c.constant(1);
  const Tensor* b = c.has_input(2) ? c.constant(2) : nullptr;
  if (!w || (c.has_input(2) && !b)) return std::unique_ptr<PreparedKernel>();  // weights vary
  LEDGE_ASSIGN(Window2d win, read_window2d(c, w->dim(1), w->dim(2)));
  const ActivationRange act = read_activation(c);
  const int64_t group = c.attr_int("group", 1);
  const Shape& x = c.input_shape(0);
  const size_t channels = static_cast<size_t>(x[3]);
  const size_t out_channels = static_cast<size_t>(w->dim(0));
  const Shape& y = c.output_shape(0);
  if (winograd_applies(win, group, {x[0], y[1], y[2], x[3], w->dim(0)}))
    return prepare_winograd_conv(c, win, act, *w, b);
  if (gemm_conv_applies(win, group, x[3])) return prepare_gemm_conv(c, win, act, *w, b);
  if (depthwise_conv_applies(win, group, x[3], w->dim(0)))
    return prepare_depthwise_conv(c, win, act, *w, b);
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_convolution2d_nhwc_f32(
      static_cast<uint32_t>(win.pad_top), static_cast<uint32_t>(win.pad_right),
      static_cast<uint32_t>(win.pad_bottom), static_cast<uint32_t>(win.pad_left),
      static_cast<uint32_t>(win.kh), static_cast<uint32_t>(win.kw), static_cast<uint32_t>(win.sh),
      static_cast<uint32_t>(win.sw), static_cast<uint32_t>(win.dh), static_cast<uint32_t>(win.dw),
      static_cast<uint32_t>(group), channels / static_cast<size_t>(group),
      out_channels / static_cast<size_t>(group), channels, out_channels, w->data<float>(),
      b ? b->data<float>() : nullptr, act.min, act.max, 0, &op);
  const size_t batch = static_cast<size_t>(x[0]), h = static_cast<size_t>(x[1]),
               wd = static_cast<size_t>(x[2]);
  LEDGE_ASSIGN(auto kernel, make_xnn_kernel(
                                st, op, "convolution",
                                [batch, h, wd](xnn_operator_t o, const Tensor* const* in,
                                               Tensor* const* out, pthreadpool_t pool) {
                                  return xnn_setup_convolution2d_nhwc_f32(
                                      o, batch, h, wd, in[0]->data<float>(), out[0]->data<float>(),
                                      pool);
                                },
                                c, 1, false, true));
  if (!act.hard_swish) return kernel;
  return with_hard_swish(c, std::move(kernel));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(NhwcConv, "ledge", "NhwcConv", prepare)
