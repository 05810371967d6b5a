// ledge.FullyConnected on ledge's GEMM (gemm_conv.h): the product of a 1x1 convolution, with
// the bias and the fused activation in its epilogue. (It ran on XNNPACK's fully connected
// operator before; the runs take the same time, and packing the weights costs a fraction.)
#include "kernels/gemm_conv.h"
#include "ops/lowered_common.h"

namespace ledge {
namespace {

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  const Tensor* w = c.constant(1);
  const Tensor* b = c.has_input(2) ? c.constant(2) : nullptr;
  if (!w || (c.has_input(2) && !b)) return std::unique_ptr<PreparedKernel>();  // weights vary
  return prepare_gemm_fully_connected(c, read_activation(c), *w, b);
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(FullyConnected, "ledge", "FullyConnected", prepare)
