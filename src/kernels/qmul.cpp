// ledge.QMul (src/ops/q_mul.cpp) as loops the compiler vectorizes per instruction set
// (kernels/simd.h), with the reference's arithmetic step for step: dequantize both, multiply,
// divide by the output scale, round half to even, clamp, add the zero point. Two layouts: a
// and b of one shape, and b one value per channel over a's NHWC pixels (a squeeze-and-
// excitation block's scaling: a [N, H, W, C], b [N, 1, 1, C]), either operand first.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kernels/fast_kernel.h"
#include "kernels/qbinary.h"
#include "kernels/simd.h"
#include "ops/quant_common.h"

namespace ledge {
namespace {

// y[i] = Q(DQ(a[i]) * DQ(b[i])).
template <class Q>
inline __attribute__((always_inline)) void qmul_impl(const Q* a, const Q* b, Q* y, size_t n,
                                                     const QBinaryParams& p) {
  // Locals: y is a byte pointer that may alias anything, p included.
  const float sa = p.sa, sb = p.sb, sy = p.sy;
  const int32_t za = p.za, zb = p.zb;
  const QuantizeBounds<Q> bounds(p.zy);
  for (size_t i = 0; i < n; ++i) {
    const float product = (static_cast<float>(static_cast<int32_t>(a[i]) - za) * sa) *
                          (static_cast<float>(static_cast<int32_t>(b[i]) - zb) * sb);
    y[i] = quantize_value<Q>(product, sy, bounds);
  }
}

LEDGE_SIMD_CLONES void qmul(const uint8_t* a, const uint8_t* b, uint8_t* y, size_t n,
                            const QBinaryParams& p) {
  qmul_impl(a, b, y, n, p);
}
LEDGE_SIMD_CLONES void qmul(const int8_t* a, const int8_t* b, int8_t* y, size_t n,
                            const QBinaryParams& p) {
  qmul_impl(a, b, y, n, p);
}

// The per-channel form: each pixel row of `large` times the image's row of scales, which
// the caller dequantized already (float(b - zb) * sb, the reference's own value), so that one
// call walks every row (rows of 16 to 96 channels made the call per row cost more than its
// work).
template <class Q>
inline __attribute__((always_inline)) void qmul_rows_impl(const Q* large, const float* scales, Q* y,
                                                          size_t rows, size_t channels, float sa,
                                                          int32_t za, float sy, int32_t zy) {
  const QuantizeBounds<Q> bounds(zy);
  for (size_t r = 0; r < rows; ++r) {
    const Q* in = large + r * channels;
    Q* out = y + r * channels;
    for (size_t c = 0; c < channels; ++c) {
      const float product = (static_cast<float>(static_cast<int32_t>(in[c]) - za) * sa) * scales[c];
      out[c] = quantize_value<Q>(product, sy, bounds);
    }
  }
}
LEDGE_SIMD_CLONES void qmul_rows(const uint8_t* large, const float* scales, uint8_t* y, size_t rows,
                                 size_t channels, float sa, int32_t za, float sy, int32_t zy) {
  qmul_rows_impl(large, scales, y, rows, channels, sa, za, sy, zy);
}
LEDGE_SIMD_CLONES void qmul_rows(const int8_t* large, const float* scales, int8_t* y, size_t rows,
                                 size_t channels, float sa, int32_t za, float sy, int32_t zy) {
  qmul_rows_impl(large, scales, y, rows, channels, sa, za, sy, zy);
}

class QMulKernel : public PreparedKernel {
 public:
  // rows x channels elements of the larger operand; `per_channel`: the other holds one row
  // per image (images of rows / images pixels).
  QMulKernel(DType t, QBinaryParams p, bool b_large, size_t images, size_t rows, size_t channels,
             bool per_channel)
      : t_(t),
        p_(p),
        b_large_(b_large),
        images_(images),
        rows_(rows),
        channels_(channels),
        per_channel_(per_channel) {}

  Status run(const Tensor* const* in, Tensor* const* out) override {
    if (t_ == DType::kUInt8)
      apply(in[0]->data<uint8_t>(), in[3]->data<uint8_t>(), out[0]->data<uint8_t>());
    else
      apply(in[0]->data<int8_t>(), in[3]->data<int8_t>(), out[0]->data<int8_t>());
    return Status();
  }
  // Each element is read before it is written. (The plan shares input 0's buffer only when
  // it has the output's size, so never when b is the larger operand.)
  bool may_run_in_place() const override { return true; }

 private:
  template <class Q>
  void apply(const Q* a, const Q* b, Q* y) {
    if (!per_channel_) {
      qmul(a, b, y, rows_ * channels_, p_);
      return;
    }
    // The large operand goes first (float multiplication commutes): the loop walks it, and
    // the image's row of dequantized scales repeats.
    const Q* large = b_large_ ? b : a;
    const Q* small = b_large_ ? a : b;
    const float s_large = b_large_ ? p_.sb : p_.sa, s_small = b_large_ ? p_.sa : p_.sb;
    const int32_t z_large = b_large_ ? p_.zb : p_.za, z_small = b_large_ ? p_.za : p_.zb;
    const size_t per_image = rows_ / images_;
    for (size_t n = 0; n < images_; ++n) {
      for (size_t c = 0; c < channels_; ++c)
        scales_[c] = quant::dequantize(small[n * channels_ + c], z_small, s_small);
      const size_t first = n * per_image * channels_;
      qmul_rows(large + first, scales_.data(), y + first, per_image, channels_, s_large, z_large,
                p_.sy, p_.zy);
    }
  }

  DType t_;
  QBinaryParams p_;
  bool b_large_;
  size_t images_, rows_, channels_;
  bool per_channel_;
  std::vector<float> scales_ = std::vector<float>(channels_);  // one image's dequantized row
};

// [N, 1, ..., 1, C] against [N, d1, ..., C]: one value per image and channel.
bool is_channel_row(const Shape& small, const Shape& large) {
  if (small.size() != large.size() || small.size() < 2) return false;
  if (small.front() != large.front() || small.back() != large.back()) return false;
  for (size_t d = 1; d + 1 < small.size(); ++d)
    if (small[d] != 1) return false;
  return true;
}

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  auto none = [] { return std::unique_ptr<PreparedKernel>(); };
  const auto params = read_qbinary_params(c);
  const DType t = c.input_type(0).dtype;
  if (!params || (t != DType::kUInt8 && t != DType::kInt8)) return none();
  const QBinaryParams& p = *params;
  const Shape& a = c.input_shape(0);
  const Shape& b = c.input_shape(3);
  if (a == b) {
    const auto n = static_cast<size_t>(numel(a));
    return std::unique_ptr<PreparedKernel>(new QMulKernel(t, p, false, 1, n, 1, false));
  }
  const bool b_large = is_channel_row(a, b);
  if (!b_large && !is_channel_row(b, a)) return none();
  const Shape& large = b_large ? b : a;
  const auto channels = static_cast<size_t>(large.back());
  const auto images = static_cast<size_t>(large.front());
  if (channels == 0 || images == 0) return none();
  const auto rows = static_cast<size_t>(numel(large)) / channels;
  return std::unique_ptr<PreparedKernel>(
      new QMulKernel(t, p, b_large, images, rows, channels, true));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(QMul, "ledge", "QMul", ledge::prepare)
