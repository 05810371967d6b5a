// ledge.ChannelShuffle along the last axis (NHWC) through XNNPACK's channel shuffle, for
// float and 8-bit tensors.
#include "kernels/xnn_kernel.h"

namespace ledge {
namespace {

Expected<std::unique_ptr<PreparedKernel>> prepare(PrepareContext& c) {
  const Shape& x = c.input_shape(0);
  const int64_t axis = c.attr_int("axis", 1), groups = c.attr_int("groups", 1);
  const size_t elem = dtype_size(c.input_type(0).dtype);
  // 4-byte elements (float) or bytes (a quantized model's uint8/int8 shuffles).
  if (x.empty() || axis != static_cast<int64_t>(x.size()) - 1 || (elem != 4 && elem != 1) ||
      groups < 2)
    return std::unique_ptr<PreparedKernel>();
  const size_t ch = static_cast<size_t>(x.back());
  const size_t batch = static_cast<size_t>(numel(x)) / (ch ? ch : 1);
  const auto g = static_cast<size_t>(groups);
  xnn_operator_t op = nullptr;
  const xnn_status st = elem == 4 ? xnn_create_channel_shuffle_nc_x32(g, ch / g, ch, ch, 0, &op)
                                  : xnn_create_channel_shuffle_nc_x8(g, ch / g, ch, ch, 0, &op);
  return make_xnn_kernel(
      st, op, "channel shuffle",
      [batch, elem](xnn_operator_t o, const Tensor* const* in, Tensor* const* out,
                    pthreadpool_t pool) {
        return elem == 4
                   ? xnn_setup_channel_shuffle_nc_x32(o, batch, in[0]->raw(), out[0]->raw(), pool)
                   : xnn_setup_channel_shuffle_nc_x8(o, batch, in[0]->raw(), out[0]->raw(), pool);
      },
      c, 1);
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_FAST_KERNEL(ChannelShuffle, "ledge", "ChannelShuffle", ledge::prepare)
