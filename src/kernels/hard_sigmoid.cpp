// HardSigmoid (y = clamp(alpha·x + beta, 0, 1)), which XNNPACK lacks: a loop the compiler
// vectorizes for each instruction set (kernels/simd.h). MobileNetV3 runs it in every
// squeeze-excitation block.
#include <algorithm>

#include "kernels/fast_kernel.h"
#include "kernels/simd.h"

namespace ledge {
namespace {

LEDGE_SIMD_CLONES
void hard_sigmoid(const float* x, float* y, size_t n, float alpha, float beta) {
  for (size_t i = 0; i < n; ++i) y[i] = std::min(1.f, std::max(0.f, alpha * x[i] + beta));
}

class HardSigmoidKernel : public PreparedKernel {
 public:
  HardSigmoidKernel(float alpha, float beta) : alpha_(alpha), beta_(beta) {}
  Status run(const Tensor* const* in, Tensor* const* out) override {
    hard_sigmoid(in[0]->data<float>(), out[0]->data<float>(), static_cast<size_t>(in[0]->numel()),
                 alpha_, beta_);
    return Status();
  }
  bool may_run_in_place() const override { return true; }

 private:
  float alpha_, beta_;
};

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  if (c.input_type(0).dtype != DType::kFloat32) return std::unique_ptr<PreparedKernel>();
  return std::unique_ptr<PreparedKernel>(
      new HardSigmoidKernel(c.attr_float("alpha", 0.2f), c.attr_float("beta", 0.5f)));
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(HardSigmoid, "", "HardSigmoid", ledge::prepare)
