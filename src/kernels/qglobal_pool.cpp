// ledge.QGlobalAveragePool (src/ops/q_global_average_pool.cpp): per-channel sums of the
// integers in int32 (exact while pixels * 255 fits, which prepare checks), a loop over the
// channels that the compiler vectorizes per instruction set (kernels/simd.h), then the
// reference's requantization, value for value.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/fast_kernel.h"
#include "kernels/simd.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

// acc[c] += row[c] for every pixel's row of channels.
template <class Q>
inline __attribute__((always_inline)) void sum_rows_impl(const Q* x, size_t pixels, size_t channels,
                                                         int32_t* acc) {
  for (size_t p = 0; p < pixels; ++p) {
    const Q* row = x + p * channels;
    for (size_t c = 0; c < channels; ++c) acc[c] += row[c];
  }
}
LEDGE_SIMD_CLONES void sum_rows(const uint8_t* x, size_t pixels, size_t channels, int32_t* acc) {
  sum_rows_impl(x, pixels, channels, acc);
}
LEDGE_SIMD_CLONES void sum_rows(const int8_t* x, size_t pixels, size_t channels, int32_t* acc) {
  sum_rows_impl(x, pixels, channels, acc);
}

class QGlobalPoolKernel : public PreparedKernel {
 public:
  QGlobalPoolKernel(DType t, bool last, size_t images, size_t channels, size_t pixels,
                    int32_t x_zero, int32_t y_zero, float multiplier)
      : t_(t),
        last_(last),
        images_(images),
        channels_(channels),
        pixels_(pixels),
        x_zero_(x_zero),
        y_zero_(y_zero),
        multiplier_(multiplier),
        acc_(channels) {}

  Status run(const Tensor* const* in, Tensor* const* out) override {
    if (t_ == DType::kUInt8)
      apply(in[0]->data<uint8_t>(), out[0]->data<uint8_t>());
    else
      apply(in[0]->data<int8_t>(), out[0]->data<int8_t>());
    return Status();
  }

 private:
  template <class Q>
  void apply(const Q* x, Q* y) {
    const auto offset = static_cast<int32_t>(pixels_) * x_zero_;
    for (size_t n = 0; n < images_; ++n) {
      const Q* image = x + n * pixels_ * channels_;
      if (last_) {
        std::fill(acc_.begin(), acc_.end(), 0);
        sum_rows(image, pixels_, channels_, acc_.data());
      } else {
        for (size_t c = 0; c < channels_; ++c) {
          int32_t sum = 0;
          sum_rows(image + c * pixels_, pixels_, 1, &sum);
          acc_[c] = sum;
        }
      }
      for (size_t c = 0; c < channels_; ++c)
        y[n * channels_ + c] =
            quant::saturate_round<Q>(static_cast<float>(acc_[c] - offset) * multiplier_, y_zero_);
    }
  }

  DType t_;
  bool last_;
  size_t images_, channels_, pixels_;
  int32_t x_zero_, y_zero_;
  float multiplier_;
  std::vector<int32_t> acc_;
};

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  auto none = [] { return std::unique_ptr<PreparedKernel>(); };
  for (size_t i : {1, 2, 3, 4})
    if (!c.has_input(i) || !c.constant(i) || c.constant(i)->numel() != 1) return none();
  const DType t = c.input_type(0).dtype;
  const Shape& x = c.input_shape(0);
  if ((t != DType::kUInt8 && t != DType::kInt8) || x.size() < 3) return none();
  if (c.constant(1)->dtype() != DType::kFloat32 || c.constant(3)->dtype() != DType::kFloat32)
    return none();
  const bool last = c.attr_int("channels_last", 0) != 0;
  const auto images = static_cast<size_t>(x[0]);
  const auto channels = static_cast<size_t>(last ? x.back() : x[1]);
  if (images == 0 || channels == 0) return none();
  const size_t pixels = static_cast<size_t>(numel(x)) / (images * channels);
  // int32 sums, and the zero point times the pixels, must not overflow.
  if (pixels == 0 || pixels > (size_t{1} << 23)) return none();
  const float sx = c.constant(1)->data<float>()[0], sy = c.constant(3)->data<float>()[0];
  const float multiplier = sx / (sy * static_cast<float>(pixels));
  return std::unique_ptr<PreparedKernel>(new QGlobalPoolKernel(
      t, last, images, channels, pixels, static_cast<int32_t>(c.constant(2)->as_int64(0)),
      static_cast<int32_t>(c.constant(4)->as_int64(0)), multiplier));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(QGlobalAveragePool, "ledge", "QGlobalAveragePool", ledge::prepare)
