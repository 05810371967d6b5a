// Pooling on NHWC activations, the forms the CPU lowering gives MaxPool, AveragePool and
// GlobalAveragePool: ledge.NhwcMaxPool, ledge.NhwcAveragePool, ledge.NhwcGlobalAveragePool.
// Padding is explicit ([top, left, bottom, right]); the lowering turns ceil_mode into extra
// bottom/right padding. Padded cells never win a max; an average counts them only with
// count_include_pad=1. NhwcMaxPool also takes int8 and uint8 (a quantized model's pooling:
// the maximum commutes with dequantization, so it runs on the integers).
#include <limits>
#include <type_traits>

#include "ops/lowered_common.h"
#include "ops/nn_common.h"

namespace ledge {
namespace {

Status check_nhwc_float(InferContext& c, bool int8_too = false) {
  LEDGE_TRY(require_input(c, 0));
  const DType t = c.input_dtype(0);
  const bool q8 = t == DType::kUInt8 || t == DType::kInt8;
  if (t != DType::kFloat32 && !(int8_too && q8))
    return c.fail(int8_too ? "takes float32, int8 or uint8" : "takes float32");
  if (c.input_rank(0) != 4) return c.fail("needs a rank-4 NHWC input");
  return Status();
}

template <bool kMax>
Status infer_window(InferContext& c) {
  LEDGE_TRY(check_nhwc_float(c, kMax));
  if (!c.has_attr("kernel_shape")) return c.fail("kernel_shape is required");
  LEDGE_ASSIGN(Window2d win, read_window2d(c, 1, 1));
  const Shape& x = *c.input_type(0).shape;
  Shape y{x[0], x[1] < 0 ? -1 : win.out_h(x[1]), x[2] < 0 ? -1 : win.out_w(x[2]), x[3]};
  if ((x[1] >= 0 && y[1] < 1) || (x[2] >= 0 && y[2] < 1))
    return c.fail("the window does not fit the input");
  return c.set_output(0, c.input_dtype(0), y);
}

template <bool kMax, class T = float>
Status run_window(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(Window2d win, read_window2d(c, 1, 1));
  const bool include_pad = c.attr_int("count_include_pad", 0) != 0;
  const int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  const int64_t OH = y.dim(1), OW = y.dim(2);
  if constexpr (kMax && std::is_same_v<T, float>) {
    if (x.dtype() == DType::kUInt8) return run_window<true, uint8_t>(c);
    if (x.dtype() == DType::kInt8) return run_window<true, int8_t>(c);
  }
  const T* px = x.data<T>();
  T* py = y.data<T>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t ch = 0; ch < C; ++ch) {
          double acc = kMax ? -INFINITY : 0.0;
          int64_t count = 0;
          for (int64_t i = 0; i < win.kh; ++i) {
            const int64_t ih = oh * win.sh - win.pad_top + i * win.dh;
            for (int64_t j = 0; j < win.kw; ++j) {
              const int64_t iw = ow * win.sw - win.pad_left + j * win.dw;
              const bool inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
              // count_include_pad counts declared padding, not the cells past it that
              // ceil_mode adds: PyTorch and ONNX Runtime clip windows to the padded input.
              const bool in_padded = ih < H + win.pad_bottom && iw < W + win.pad_right;
              if (!inside) {
                if (!kMax && include_pad && in_padded) ++count;
                continue;
              }
              const double v = px[((n * H + ih) * W + iw) * C + ch];
              if (kMax) {
                if (v > acc || std::isnan(v)) acc = v;
              } else {
                acc += v;
              }
              ++count;
            }
          }
          // A window wholly in the padding has no value; 8-bit types have no -inf.
          if (!std::is_same_v<T, float> && count == 0) acc = std::numeric_limits<T>::lowest();
          py[((n * OH + oh) * OW + ow) * C + ch] =
              static_cast<T>(kMax ? acc : (count ? acc / static_cast<double>(count) : 0.0));
        }
  return Status();
}

Status infer_global(InferContext& c) {
  LEDGE_TRY(check_nhwc_float(c));
  const Shape& x = *c.input_type(0).shape;
  return c.set_output(0, DType::kFloat32, {x[0], 1, 1, x[3]});
}

Status run_global(KernelContext& c) {
  const Tensor& x = c.input(0);
  const int64_t N = x.dim(0), HW = x.dim(1) * x.dim(2), C = x.dim(3);
  const float* px = x.data<float>();
  float* py = c.output(0).data<float>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ch = 0; ch < C; ++ch) {
      double acc = 0;
      for (int64_t p = 0; p < HW; ++p) acc += px[(n * HW + p) * C + ch];
      py[n * C + ch] = HW ? static_cast<float>(acc / static_cast<double>(HW)) : 0.f;
    }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP_IN_DOMAIN(NhwcMaxPool, "ledge", infer_window<true>, run_window<true>)
LEDGE_DEFINE_OP_IN_DOMAIN(NhwcAveragePool, "ledge", infer_window<false>, run_window<false>)
LEDGE_DEFINE_OP_IN_DOMAIN(NhwcGlobalAveragePool, "ledge", infer_global, run_global)
