#include "kernels/pointwise_conv.h"

#include <vector>

#include "core/memory.h"
#include "kernels/gemm.h"

namespace ledge {
namespace {

struct BlockFree {
  void operator()(float* p) const { free_block(p); }
};

class PointwiseConv : public PreparedKernel {
 public:
  PointwiseConv(size_t in_channels, size_t out_channels, std::vector<float> bias,
                ActivationRange act, pthreadpool* pool)
      : c_(in_channels), o_(out_channels), bias_(std::move(bias)), act_(act), pool_(pool) {}

  // OHWI [O, 1, 1, C] is B transposed: B[c, o] = w[o * C + c].
  Status pack(const float* w) {
    weights_.reset(static_cast<float*>(allocate_block(gemm_packed_size(c_, o_) * sizeof(float))));
    if (!weights_) return resource_limit("out of memory for packed convolution weights");
    for (size_t o = 0; o < o_; ++o)
      for (size_t c = 0; c < c_; ++c) weights_.get()[gemm_packed_index(c_, c, o)] = w[o * c_ + c];
    return Status();
  }

  Status run(const Tensor* const* inputs, Tensor* const* outputs) override {
    const size_t rows = static_cast<size_t>(inputs[0]->numel()) / c_;
    GemmEpilogue e;
    e.bias = bias_.empty() ? nullptr : bias_.data();
    e.min = act_.min;
    e.max = act_.max;
    gemm_parallel(pool_, rows, o_, c_, inputs[0]->data<float>(), c_, weights_.get(),
                  outputs[0]->data<float>(), o_, e);
    return Status();
  }
  bool packed_constants() const override { return true; }

 private:
  size_t c_, o_;
  std::vector<float> bias_;
  ActivationRange act_;
  pthreadpool* pool_;
  std::unique_ptr<float, BlockFree> weights_;
};

}  // namespace

bool pointwise_applies(const Window2d& win, int64_t group) {
  return win.kh == 1 && win.kw == 1 && win.sh == 1 && win.sw == 1 && win.pad_top == 0 &&
         win.pad_left == 0 && win.pad_bottom == 0 && win.pad_right == 0 && group == 1;
}

Expected<std::unique_ptr<PreparedKernel>> prepare_pointwise_conv(const PrepareContext& c,
                                                                 const ActivationRange& act,
                                                                 const Tensor& weights,
                                                                 const Tensor* bias) {
  const auto in_channels = static_cast<size_t>(c.input_shape(0)[3]);
  const auto out_channels = static_cast<size_t>(weights.dim(0));
  std::vector<float> b;
  if (bias) b.assign(bias->data<float>(), bias->data<float>() + out_channels);
  auto kernel = std::make_unique<PointwiseConv>(in_channels, out_channels, std::move(b), act,
                                                c.pool().handle());
  LEDGE_TRY(kernel->pack(weights.data<float>()));
  return std::unique_ptr<PreparedKernel>(std::move(kernel));
}

}  // namespace ledge
