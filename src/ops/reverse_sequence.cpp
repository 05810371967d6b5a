// ReverseSequence: for each batch entry b, reverses the first sequence_lens[b] steps along
// the time axis and leaves the rest.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Expected<std::pair<size_t, size_t>> axes_of(const NodeContext& c) {
  const int64_t batch = c.attr_int("batch_axis", 1), time = c.attr_int("time_axis", 0);
  if ((batch != 0 && batch != 1) || (time != 0 && time != 1) || batch == time)
    return c.fail("batch_axis and time_axis must be 0 and 1 in some order");
  return std::pair<size_t, size_t>{static_cast<size_t>(batch), static_cast<size_t>(time)};
}

Status infer_reverse_sequence(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0));
  LEDGE_TRY(require_input(c, 1, "sequence_lens"));
  if (c.input_dtype(1) != DType::kInt64 && c.input_dtype(1) != DType::kUndefined)
    return c.fail("sequence_lens must be int64");
  LEDGE_ASSIGN(auto axes, axes_of(c));
  const auto* in = input_shape(c, 0);
  const auto* lens = input_shape(c, 1);
  if (in && in->size() < 2) return c.fail("input must have rank 2 or more");
  if (lens && lens->size() != 1) return c.fail("sequence_lens must be 1-D");
  if (in && lens && (*in)[axes.first] >= 0 && (*lens)[0] >= 0 && (*in)[axes.first] != (*lens)[0])
    return c.fail("sequence_lens has " + std::to_string((*lens)[0]) + " entries for a batch of " +
                  std::to_string((*in)[axes.first]));
  return c.set_output(0, c.input_type(0));
}

Status run_reverse_sequence(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& lens = c.input(1);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(auto axes, axes_of(c));
  const auto [ba, ta] = axes;
  const int64_t batch = x.shape()[ba], time = x.shape()[ta];
  const int64_t inner = dims_product(x.shape(), 2, x.shape().size());
  const auto st = strides_of(x.shape());
  const size_t esz = dtype_size(x.dtype());
  const auto* px = static_cast<const uint8_t*>(x.raw());
  auto* py = static_cast<uint8_t*>(y.raw());
  const size_t block = static_cast<size_t>(inner) * esz;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = lens.data<int64_t>()[b];
    if (len < 0 || len > time)
      return bad_input(c, "sequence length " + std::to_string(len) + " is out of range [0, " +
                              std::to_string(time) + "]");
    for (int64_t t = 0; t < time; ++t) {
      const int64_t src = t < len ? len - 1 - t : t;
      const int64_t to = b * st[ba] + t * st[ta];
      const int64_t from = b * st[ba] + src * st[ta];
      if (block)
        std::memcpy(py + to * static_cast<int64_t>(esz), px + from * static_cast<int64_t>(esz),
                    block);
    }
  }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(ReverseSequence, ledge::infer_reverse_sequence, ledge::run_reverse_sequence)
