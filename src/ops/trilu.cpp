// Trilu: keeps the upper (default) or lower triangle of the last two dimensions, relative
// to the k-th diagonal, and zeroes the rest.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Status infer_trilu(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0));
  LEDGE_TRY(require_index_input(c, 1, "k"));
  if (c.input_rank(0) >= 0 && c.input_rank(0) < 2) return c.fail("input must have rank 2 or more");
  if (const Tensor* k = known_value(c, 1))
    if (k->numel() != 1) return c.fail("k must be a scalar");
  return c.set_output(0, c.input_type(0));
}

Status run_trilu(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  const int64_t k = c.has_input(1) ? c.input(1).as_int64(0) : 0;
  const bool upper = c.attr_int("upper", 1) != 0;
  const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1);
  const int64_t mats = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
  return dispatch_word(x.dtype(), [&]<class W>() {
    const W* px = x.data<W>();
    W* py = y.data<W>();
    for (int64_t m = 0; m < mats; ++m)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          // j - i compared with k, written to stay clear of overflow for extreme k.
          const int64_t diff = j - i;
          const bool keep = upper ? diff >= k : diff <= k;
          const int64_t off = (m * rows + i) * cols + j;
          if (keep) py[off] = px[off];
        }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Trilu, ledge::infer_trilu, ledge::run_trilu)
