// ledge.ChannelShuffle along the last axis (NHWC) through XNNPACK's channel shuffle.
#include "kernels/xnn_kernel.h"

namespace ledge {
namespace {

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  const Shape& x = c.input_shape(0);
  const int64_t axis = c.attr_int("axis", 1), groups = c.attr_int("groups", 1);
  if (x.empty() || axis != static_cast<int64_t>(x.size()) - 1 ||
      dtype_size(c.input_type(0).dtype) != 4 || groups < 2)
    return std::unique_ptr<PreparedKernel>();
  const size_t ch = static_cast<size_t>(x.back());
  const size_t batch = static_cast<size_t>(numel(x)) / (ch ? ch : 1);
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_channel_shuffle_nc_x32(
      static_cast<size_t>(groups), ch / static_cast<size_t>(groups), ch, ch, 0, &op);
  return make_xnn_kernel(
      st, op, "channel shuffle",
      [batch](xnn_operator_t o, const Tensor* const* in, Tensor* const* out, pthreadpool_t pool) {
        return xnn_setup_channel_shuffle_nc_x32(o, batch, in[0]->raw(), out[0]->raw(), pool);
      },
      c, 1);
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(ChannelShuffle, "ledge", "ChannelShuffle", ledge::prepare)
