// ledge.NhwcQAveragePool (src/ops/nhwc_q_average_pool.cpp): each output pixel sums its
// window's rows of channels in int32 (exact while the window's pixels times 255 fit, which
// prepare checks), a loop over the channels the compiler vectorizes per instruction set
// (kernels/simd.h); then the reference's requantization, value for value, with the
// multiplier of each window size computed once. Output rows are split over the threads.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/fast_kernel.h"
#include "kernels/simd.h"
#include "ops/lowered_common.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

constexpr int64_t kMaxChannels = 4096;  // accumulators live on the stack

// acc[c] += row[c].
template <class Q>
inline __attribute__((always_inline)) void add_row_impl(const Q* row, size_t channels,
                                                        int32_t* acc) {
  for (size_t c = 0; c < channels; ++c) acc[c] += row[c];
}
LEDGE_SIMD_CLONES void add_row(const uint8_t* row, size_t channels, int32_t* acc) {
  add_row_impl(row, channels, acc);
}
LEDGE_SIMD_CLONES void add_row(const int8_t* row, size_t channels, int32_t* acc) {
  add_row_impl(row, channels, acc);
}

class QAveragePoolKernel : public PreparedKernel {
 public:
  QAveragePoolKernel(DType t, const Shape& x, const Shape& y, const Window2d& win, bool include_pad,
                     int32_t x_zero, int32_t y_zero, std::vector<float> multipliers,
                     const ThreadPool& pool)
      : t_(t),
        n_(x[0]),
        h_(x[1]),
        w_(x[2]),
        c_(x[3]),
        oh_(y[1]),
        ow_(y[2]),
        win_(win),
        include_pad_(include_pad),
        x_zero_(x_zero),
        y_zero_(y_zero),
        multipliers_(std::move(multipliers)),
        pool_(pool) {}

  Status run(const Tensor* const* in, Tensor* const* out) override {
    if (t_ == DType::kUInt8)
      rows(in[0]->data<uint8_t>(), out[0]->data<uint8_t>());
    else
      rows(in[0]->data<int8_t>(), out[0]->data<int8_t>());
    return Status();
  }

 private:
  template <class Q>
  void rows(const Q* x, Q* y) {
    pool_.parallel_for(static_cast<size_t>(n_ * oh_), [&](size_t r) {
      const int64_t n = static_cast<int64_t>(r) / oh_, oy = static_cast<int64_t>(r) % oh_;
      row(x + n * h_ * w_ * c_, oy, y + static_cast<int64_t>(r) * ow_ * c_);
    });
  }

  // Output row oy of one image.
  template <class Q>
  void row(const Q* x, int64_t oy, Q* y) const {
    const auto C = static_cast<size_t>(c_);
    int32_t acc[kMaxChannels];
    // The window's rows inside the image, and those inside the padding.
    int64_t y0 = oy * win_.sh - win_.pad_top, y1 = y0 + win_.kh;
    const int64_t rows_padded = std::min(y1, h_ + win_.pad_bottom) - y0;
    y0 = std::max<int64_t>(y0, 0);
    y1 = std::min(y1, h_);
    for (int64_t ox = 0; ox < ow_; ++ox) {
      int64_t x0 = ox * win_.sw - win_.pad_left, x1 = x0 + win_.kw;
      const int64_t cols_padded = std::min(x1, w_ + win_.pad_right) - x0;
      x0 = std::max<int64_t>(x0, 0);
      x1 = std::min(x1, w_);
      std::fill(acc, acc + C, 0);
      for (int64_t iy = y0; iy < y1; ++iy)
        for (int64_t ix = x0; ix < x1; ++ix) add_row(x + (iy * w_ + ix) * c_, C, acc);
      const int64_t inside = std::max<int64_t>(y1 - y0, 0) * std::max<int64_t>(x1 - x0, 0);
      const int64_t count = include_pad_ ? rows_padded * cols_padded : inside;
      Q* out = y + ox * c_;
      if (count <= 0) {
        std::fill(out, out + C, static_cast<Q>(y_zero_));
        continue;
      }
      const float m = multipliers_[static_cast<size_t>(count)];
      const auto offset = static_cast<int32_t>(inside) * x_zero_;
      for (size_t c = 0; c < C; ++c)
        out[c] = quant::saturate_round<Q>(static_cast<float>(acc[c] - offset) * m, y_zero_);
    }
  }

  DType t_;
  int64_t n_, h_, w_, c_, oh_, ow_;
  Window2d win_;
  bool include_pad_;
  int32_t x_zero_, y_zero_;
  std::vector<float> multipliers_;  // [count]: x_scale / (y_scale * count), as the reference
  const ThreadPool& pool_;
};

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  auto none = [] { return std::unique_ptr<PreparedKernel>(); };
  for (size_t i : {1, 2, 3, 4})
    if (!c.has_input(i) || !c.constant(i) || c.constant(i)->numel() != 1) return none();
  const DType t = c.input_type(0).dtype;
  const Shape& x = c.input_shape(0);
  const Shape& y = c.output_shape(0);
  if ((t != DType::kUInt8 && t != DType::kInt8) || x.size() != 4 || x[3] > kMaxChannels)
    return none();
  if (c.constant(1)->dtype() != DType::kFloat32 || c.constant(3)->dtype() != DType::kFloat32)
    return none();
  LEDGE_ASSIGN(const Window2d win, read_window2d(c, 1, 1));
  // Undilated windows (the only ones the lowering makes), whose int32 sums cannot overflow.
  if (win.dh != 1 || win.dw != 1 || win.kh * win.kw > (int64_t{1} << 23)) return none();
  const float sx = c.constant(1)->data<float>()[0], sy = c.constant(3)->data<float>()[0];
  std::vector<float> multipliers(static_cast<size_t>(win.kh * win.kw + 1), 0.f);
  for (size_t n = 1; n < multipliers.size(); ++n)
    multipliers[n] = sx / (sy * static_cast<float>(n));
  return std::unique_ptr<PreparedKernel>(new QAveragePoolKernel(
      t, x, y, win, c.attr_int("count_include_pad", 0) != 0,
      static_cast<int32_t>(c.constant(2)->as_int64(0)),
      static_cast<int32_t>(c.constant(4)->as_int64(0)), std::move(multipliers), c.pool()));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(NhwcQAveragePool, "ledge", "NhwcQAveragePool", ledge::prepare)
