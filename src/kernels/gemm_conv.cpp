#include "kernels/gemm_conv.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/memory.h"
#include "kernels/gemm.h"
#include "kernels/im2col.h"

namespace ledge {
namespace {

// Rows of the im2col matrix per block: at most this many bytes, so a block stays in cache
// between its copy and its product.
constexpr int64_t kBlockBytes = int64_t{1} << 20;

bool is_pointwise(const Window2d& win) {
  return win.kh == 1 && win.kw == 1 && win.sh == 1 && win.sw == 1 && win.pad_top == 0 &&
         win.pad_left == 0 && win.pad_bottom == 0 && win.pad_right == 0;
}

class GemmConv : public PreparedKernel {
 public:
  GemmConv(const Shape& x, const Shape& y, const Window2d& win, std::vector<float> bias,
           ActivationRange act, pthreadpool* pool)
      : o_(y[3]),
        rows_(x[0] * y[1] * y[2]),
        k_(win.kh * win.kw * x[3]),
        direct_(is_pointwise(win)),
        ldc_(static_cast<size_t>(y[3])),
        bias_(std::move(bias)),
        act_(act),
        pool_(pool) {
    im2col_ = Im2col<float>::of(x, y, win, 0.f);
    block_ = direct_ ? rows_ : std::clamp<int64_t>(kBlockBytes / (k_ * 4) / 8 * 8, 8, rows_);
  }

  // OHWI [O, KH, KW, C] is B transposed: B[k, o] = w[o * K + k], k = (ky * KW + kx) * C + c.
  Status pack(const float* w) {
    const auto k = static_cast<size_t>(k_), o = static_cast<size_t>(o_);
    weights_.reset(static_cast<float*>(allocate_block(gemm_packed_size(k, o) * sizeof(float))));
    if (!weights_) return resource_limit("out of memory for packed convolution weights");
    gemm_pack_columns(w, o, k, weights_.get());
    return Status();
  }

  Status run(const Tensor* const* inputs, Tensor* const* outputs) override {
    GemmEpilogue e;
    e.bias = bias_.empty() ? nullptr : bias_.data();
    e.min = act_.min;
    e.max = act_.max;
    e.hard_swish = act_.hard_swish;
    const float* x = inputs[0]->data<float>();
    float* y = outputs[0]->data<float>();
    const auto k = static_cast<size_t>(k_), o = static_cast<size_t>(o_);
    if (direct_) {
      gemm_parallel(pool_, static_cast<size_t>(rows_), o, k, x, k, weights_.get(), y, ldc_, e);
      return Status();
    }
    if (!workspace_) return internal_error("convolution run without its workspace");
    im2col_.x = x;
    for (first_ = 0; first_ < rows_; first_ += block_) {
      const int64_t rows = std::min(block_, rows_ - first_);
      pthreadpool_parallelize_1d_tile_1d(pool_, im2col_rows, this, static_cast<size_t>(rows),
                                         kIm2colTile, 0);
      gemm_parallel(pool_, static_cast<size_t>(rows), o, k, workspace_, k, weights_.get(),
                    y + static_cast<size_t>(first_) * ldc_, ldc_, e);
    }
    return Status();
  }

  bool packed_constants() const override { return true; }
  size_t workspace_bytes() const override {
    return direct_ ? 0 : static_cast<size_t>(block_ * k_) * sizeof(float);
  }
  void set_workspace(uint8_t* base) override { workspace_ = reinterpret_cast<float*>(base); }
  bool accepts_output_row_stride() const override { return true; }
  void set_output_row_stride(size_t stride) override { ldc_ = stride; }

 private:
  static void im2col_rows(void* self, size_t start, size_t count) {
    auto* k = static_cast<GemmConv*>(self);
    k->im2col_.rows(k->first_, start, count, k->workspace_);
  }

  int64_t o_, rows_, k_;
  bool direct_;
  int64_t block_ = 0;
  size_t ldc_;  // floats from one output pixel to the next
  std::vector<float> bias_;
  ActivationRange act_;
  pthreadpool* pool_;
  BlockPtr<float> weights_;
  float* workspace_ = nullptr;  // block_ x k_ im2col rows (shared with other kernels)
  Im2col<float> im2col_;        // its input is the run in progress, read by the tasks
  int64_t first_ = 0;
};

}  // namespace

bool gemm_conv_applies(const Window2d& win, int64_t group, int64_t in_channels) {
  return group == 1 && (is_pointwise(win) || in_channels >= 16);
}

Expected<std::unique_ptr<PreparedKernel>> prepare_gemm_conv(const PrepareContext& c,
                                                            const Window2d& win,
                                                            const ActivationRange& act,
                                                            const Tensor& weights,
                                                            const Tensor* bias) {
  std::vector<float> b;
  if (bias) b.assign(bias->data<float>(), bias->data<float>() + weights.dim(0));
  auto kernel = std::make_unique<GemmConv>(c.input_shape(0), c.output_shape(0), win, std::move(b),
                                           act, c.pool().handle());
  LEDGE_TRY(kernel->pack(weights.data<float>()));
  return std::unique_ptr<PreparedKernel>(std::move(kernel));
}

Expected<std::unique_ptr<PreparedKernel>> prepare_gemm_fully_connected(const PrepareContext& c,
                                                                       const ActivationRange& act,
                                                                       const Tensor& weights,
                                                                       const Tensor* bias) {
  const int64_t m = c.input_shape(0)[0], k = weights.dim(1), n = weights.dim(0);
  std::vector<float> b;
  if (bias) b.assign(bias->data<float>(), bias->data<float>() + n);
  auto kernel = std::make_unique<GemmConv>(Shape{m, 1, 1, k}, Shape{m, 1, 1, n}, Window2d{},
                                           std::move(b), act, c.pool().handle());
  LEDGE_TRY(kernel->pack(weights.data<float>()));
  return std::unique_ptr<PreparedKernel>(std::move(kernel));
}

}  // namespace ledge
