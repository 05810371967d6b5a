// Tile: repeats the input along each dimension. Tile-1 took a scalar count and an axis as
// inputs 1 and 2; from opset 6 input 1 holds one count per dimension.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

// Repeat count per dimension, or nullopt when not known yet.
Expected<std::optional<std::vector<int64_t>>> repeats_of(const InferContext& c, int64_t rank) {
  using Result = std::optional<std::vector<int64_t>>;
  auto r = known_ints(c, 1);
  if (!r) return Result();
  if (c.has_input(2)) {  // Tile-1: tiles (scalar), axis (scalar)
    auto axis = known_ints(c, 2);
    if (!axis) return Result();
    if (r->size() != 1 || axis->size() != 1) return c.fail("tiles and axis must be scalars");
    LEDGE_ASSIGN(int64_t a, node_axis(c, (*axis)[0], rank));
    std::vector<int64_t> v(static_cast<size_t>(rank), 1);
    v[static_cast<size_t>(a)] = (*r)[0];
    r = v;
  }
  if (static_cast<int64_t>(r->size()) != rank)
    return c.fail("repeats has " + std::to_string(r->size()) + " entries for an input of rank " +
                  std::to_string(rank));
  for (int64_t v : *r)
    if (v < 0) return c.fail("repeats cannot be negative");
  return Result(r);
}

Status infer_tile(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0));
  LEDGE_TRY(require_input(c, 1, "repeats"));
  LEDGE_TRY(require_index_input(c, 1, "repeats"));
  const DType dtype = c.input_dtype(0);
  const auto* in = input_shape(c, 0);
  if (!in) return c.set_output_unknown(0, dtype);
  LEDGE_ASSIGN(auto reps, repeats_of(c, static_cast<int64_t>(in->size())));
  if (!reps) return c.set_output_unknown(0, dtype, static_cast<int64_t>(in->size()));
  std::vector<int64_t> out = *in;
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i] >= 0 && __builtin_mul_overflow(out[i], (*reps)[i], &out[i]))
      return c.fail("repeats are too large");
  return c.set_output(0, TensorType{dtype, out});
}

Status run_tile(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  if (y.numel() == 0) return Status();
  const auto st = strides_of(x.shape());
  const auto& xs = x.shape();
  const auto& ys = y.shape();
  return dispatch_word(x.dtype(), [&]<class W>() {
    const W* px = x.data<W>();
    W* py = y.data<W>();
    std::vector<int64_t> idx(ys.size(), 0);
    for (int64_t i = 0; i < y.numel(); ++i) {
      int64_t off = 0;
      for (size_t d = 0; d < idx.size(); ++d) off += (idx[d] % xs[d]) * st[d];
      py[i] = px[off];
      next_index(idx, ys);
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Tile, ledge::infer_tile, ledge::run_tile)
