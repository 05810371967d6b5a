// STFT (opset 17): short-time Fourier transform of [batch, signal_length, 1 | 2] with frames
// of frame_length (or the window's length) samples every frame_step samples, each multiplied
// by the optional window. Output [batch, frames, bins, 2], bins = frame_length // 2 + 1 when
// onesided (the default), else frame_length.
#include <complex>

#include "ops/helpers.h"
#include "ops/signal_common.h"

namespace ledge {
namespace {

enum Input : size_t { kSignal = 0, kStep, kWindow, kFrameLength };

Status check_scalar_int(const InferContext& c, size_t i, const char* name) {
  const TensorType& t = c.input_type(i);
  if (t.dtype != DType::kInt32 && t.dtype != DType::kInt64 && t.dtype != DType::kUndefined)
    return c.fail(std::string(name) + " must be int32 or int64, got " + t.to_string());
  if (t.shape && !t.shape->empty() && !(t.shape->size() == 1 && (*t.shape)[0] == 1))
    return c.fail(std::string(name) + " must be a scalar, got " + t.to_string());
  return Status();
}

Status infer_stft(InferContext& c) {
  LEDGE_TRY(require_input(c, kSignal, "signal"));
  LEDGE_TRY(require_input(c, kStep, "frame_step"));
  const TensorType& x = c.input_type(kSignal);
  if (!dtype_is_float(x.dtype) && x.dtype != DType::kUndefined)
    return c.fail("signal must be a floating-point tensor, got " + x.to_string());
  if (x.shape && x.shape->size() != 3)
    return c.fail("signal must have shape [batch, length, 1 or 2], got " + x.to_string());
  const int64_t comps = x.shape ? (*x.shape)[2] : -1;
  if (comps >= 0 && comps != 1 && comps != 2)
    return c.fail("the last dimension of signal must be 1 (real) or 2 (complex)");
  const int64_t onesided = c.attr_int("onesided", 1);
  if (onesided != 0 && onesided != 1) return c.fail("onesided must be 0 or 1");
  if (onesided && comps == 2) return c.fail("onesided output needs a real signal");
  LEDGE_TRY(check_scalar_int(c, kStep, "frame_step"));

  int64_t frame = -1;
  if (c.has_input(kWindow)) {
    const TensorType& w = c.input_type(kWindow);
    if (w.dtype != x.dtype && w.dtype != DType::kUndefined && x.dtype != DType::kUndefined)
      return c.fail("window must have the signal's element type, got " + w.to_string());
    if (w.shape && w.shape->size() != 1) return c.fail("window must have rank 1");
    if (w.shape) frame = (*w.shape)[0];
  }
  if (c.has_input(kFrameLength)) {
    LEDGE_TRY(check_scalar_int(c, kFrameLength, "frame_length"));
    if (const Tensor* v = c.input_value(kFrameLength)) {
      const int64_t fl = v->as_int64(0);
      if (fl < 1) return c.fail("frame_length must be positive, got " + std::to_string(fl));
      if (frame >= 0 && frame != fl)
        return c.fail("frame_length " + std::to_string(fl) + " differs from the window length " +
                      std::to_string(frame));
      frame = fl;
    } else if (!c.has_input(kWindow) || frame < 0) {
      frame = -1;
    }
  } else if (!c.has_input(kWindow)) {
    return c.fail("needs a window or a frame_length");
  }
  if (frame == 0) return c.fail("the frame length must be positive");

  int64_t frames = -1;
  const int64_t len = x.shape ? (*x.shape)[1] : -1;
  const Tensor* step_v = c.input_value(kStep);
  if (step_v && step_v->as_int64(0) < 1)
    return c.fail("frame_step must be positive, got " + std::to_string(step_v->as_int64(0)));
  if (len >= 0 && frame >= 0) {
    if (len < frame)
      return c.fail("the signal (" + std::to_string(len) + " samples) is shorter than a frame (" +
                    std::to_string(frame) + ")");
    if (step_v) frames = (len - frame) / step_v->as_int64(0) + 1;
  }
  const int64_t bins = frame < 0 ? -1 : onesided ? frame / 2 + 1 : frame;
  const int64_t batch = x.shape ? (*x.shape)[0] : -1;
  return c.set_output(0, x.dtype, {batch, frames, bins, 2});
}

Status run_stft(KernelContext& c) {
  const Tensor& x = c.input(kSignal);
  Tensor& y = c.output(0);
  const int64_t batch = x.dim(0), len = x.dim(1), comps = x.dim(2);
  const int64_t step = c.input(kStep).as_int64(0);
  const int64_t frame =
      c.has_input(kFrameLength) ? c.input(kFrameLength).as_int64(0) : c.input(kWindow).dim(0);
  const int64_t frames = y.dim(1), bins = y.dim(2);
  std::vector<double> window(static_cast<size_t>(frame), 1.0);
  if (c.has_input(kWindow))
    for (int64_t j = 0; j < frame; ++j)
      window[static_cast<size_t>(j)] = c.input(kWindow).as_double(j);
  return dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    std::vector<std::complex<double>> v(static_cast<size_t>(frame));
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t f = 0; f < frames; ++f) {
        for (int64_t j = 0; j < frame; ++j) {
          const int64_t at = (b * len + f * step + j) * comps;
          const double w = window[static_cast<size_t>(j)];
          const double re = static_cast<double>(px[at]);
          const double im = comps == 2 ? static_cast<double>(px[at + 1]) : 0.0;
          v[static_cast<size_t>(j)] = {re * w, im * w};
        }
        signal::dft(v, false);
        for (int64_t k = 0; k < bins; ++k) {
          const int64_t at = ((b * frames + f) * bins + k) * 2;
          py[at] = static_cast<T>(v[static_cast<size_t>(k)].real());
          py[at + 1] = static_cast<T>(v[static_cast<size_t>(k)].imag());
        }
      }
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(STFT, ledge::infer_stft, ledge::run_stft)
