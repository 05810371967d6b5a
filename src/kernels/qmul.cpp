// ledge.QMul (src/ops/q_mul.cpp) as loops the compiler vectorizes per instruction set
// (kernels/simd.h), with the reference's arithmetic step for step: dequantize both, multiply,
// divide by the output scale, round half to even, clamp, add the zero point. Two layouts: a
// and b of one shape, and b one value per channel over a's NHWC pixels (a squeeze-and-
// excitation block's scaling: a [N, H, W, C], b [N, 1, 1, C]), either operand first.
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/fast_kernel.h"
#include "kernels/simd.h"

namespace ledge {
namespace {

struct QMulParams {
  float sa, sb, sy;
  int32_t za, zb, zy;
};

// y[i] = Q(DQ(a[i]) * DQ(b[i * b_step])): b_step 1 walks b with a, 0 holds one b value.
template <class Q>
inline __attribute__((always_inline)) void qmul_impl(const Q* a, const Q* b, Q* y, size_t n,
                                                     const QMulParams& p) {
  // Locals: y is a byte pointer that may alias anything, p included.
  const float sa = p.sa, sb = p.sb, sy = p.sy;
  const int32_t za = p.za, zb = p.zb, zy = p.zy;
  const float lo = static_cast<float>(std::numeric_limits<Q>::min() - zy);
  const float hi = static_cast<float>(std::numeric_limits<Q>::max() - zy);
  for (size_t i = 0; i < n; ++i) {
    const float product = (static_cast<float>(static_cast<int32_t>(a[i]) - za) * sa) *
                          (static_cast<float>(static_cast<int32_t>(b[i]) - zb) * sb);
    // nearbyint rounds half to even in the default rounding mode, which ledge never changes.
    float v = std::nearbyint(product / sy);
    v = v == v ? v : 0.f;
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    y[i] = static_cast<Q>(static_cast<int32_t>(v) + zy);
  }
}

LEDGE_SIMD_CLONES void qmul(const uint8_t* a, const uint8_t* b, uint8_t* y, size_t n,
                            const QMulParams& p) {
  qmul_impl(a, b, y, n, p);
}
LEDGE_SIMD_CLONES void qmul(const int8_t* a, const int8_t* b, int8_t* y, size_t n,
                            const QMulParams& p) {
  qmul_impl(a, b, y, n, p);
}

class QMulKernel : public PreparedKernel {
 public:
  // rows x channels elements of the larger operand; `per_channel`: the other holds one row
  // per image (images of rows / images pixels).
  QMulKernel(DType t, QMulParams p, bool b_large, size_t images, size_t rows, size_t channels,
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
    // The large operand goes first: the loop walks it, and the per-channel row repeats.
    const Q* large = b_large_ ? b : a;
    const Q* small = b_large_ ? a : b;
    const QMulParams p = b_large_ ? QMulParams{p_.sb, p_.sa, p_.sy, p_.zb, p_.za, p_.zy} : p_;
    const size_t per_image = rows_ / images_;
    for (size_t r = 0; r < rows_; ++r)
      qmul(large + r * channels_, small + (r / per_image) * channels_, y + r * channels_, channels_,
           p);
  }

  DType t_;
  QMulParams p_;
  bool b_large_;
  size_t images_, rows_, channels_;
  bool per_channel_;
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
  for (size_t i : {1, 2, 4, 5, 6, 7})
    if (!c.has_input(i) || !c.constant(i) || c.constant(i)->numel() != 1) return none();
  const DType t = c.input_type(0).dtype;
  if (t != DType::kUInt8 && t != DType::kInt8) return none();
  if (c.constant(1)->dtype() != DType::kFloat32 || c.constant(4)->dtype() != DType::kFloat32 ||
      c.constant(6)->dtype() != DType::kFloat32)
    return none();
  auto f = [&](size_t i) { return c.constant(i)->data<float>()[0]; };
  auto z = [&](size_t i) { return static_cast<int32_t>(c.constant(i)->as_int64(0)); };
  const QMulParams p{f(1), f(4), f(6), z(2), z(5), z(7)};
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
