// ledge.FullyConnected through XNNPACK's fully-connected operator (a packed GEMM).
#include "kernels/xnn_kernel.h"
#include "ops/lowered_common.h"

namespace ledge {
namespace {

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  const Tensor* w = c.constant(1);
  const Tensor* b = c.has_input(2) ? c.constant(2) : nullptr;
  if (!w || (c.has_input(2) && !b)) return std::unique_ptr<PreparedKernel>();
  const ActivationRange act = read_activation(c);
  const size_t k = static_cast<size_t>(w->dim(1)), n = static_cast<size_t>(w->dim(0));
  const size_t m = static_cast<size_t>(c.input_shape(0)[0]);
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_fully_connected_nc_f32(
      k, n, k, n, w->data<float>(), b ? b->data<float>() : nullptr, act.min, act.max, 0, &op);
  return make_xnn_kernel(
      st, op, "fully connected",
      [m](xnn_operator_t o, const Tensor* const* in, Tensor* const* out, pthreadpool_t pool) {
        return xnn_setup_fully_connected_nc_f32(o, m, in[0]->data<float>(), out[0]->data<float>(),
                                                pool);
      },
      c, 1, false, true);
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(FullyConnected, "ledge", "FullyConnected", prepare)
