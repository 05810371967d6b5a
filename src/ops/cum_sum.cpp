// CumSum: running sums along an axis, optionally exclusive (each sum leaves out its own
// element) and reversed (summing from the end).
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Status infer_cum_sum(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "x"));
  LEDGE_TRY(require_input(c, 1, "axis"));
  LEDGE_TRY(require_index_input(c, 1, "axis"));
  const DType dtype = c.input_dtype(0);
  if (dtype == DType::kBool) return c.fail("CumSum does not take bool inputs");
  if (const Tensor* a = known_value(c, 1)) {
    if (a->numel() != 1) return c.fail("axis must be a scalar");
    if (c.input_rank(0) >= 0) LEDGE_TRY(node_axis(c, a->as_int64(0), c.input_rank(0)));
  }
  return c.set_output(0, c.input_type(0));
}

Status run_cum_sum(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  if (x.rank() == 0) return c.fail("input must have rank 1 or more");
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.input(1).as_int64(0), x.rank()));
  const bool exclusive = c.attr_int("exclusive", 0) != 0;
  const bool reverse = c.attr_int("reverse", 0) != 0;
  const size_t a = static_cast<size_t>(axis);
  const int64_t outer = dims_product(x.shape(), 0, a);
  const int64_t dim = x.shape()[a];
  const int64_t inner = dims_product(x.shape(), a + 1, x.shape().size());
  return dispatch<TypeSet::kNumeric>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t in = 0; in < inner; ++in) {
        // The running sum is kept in T, rounding at each step like the reference does.
        T acc = static_cast<T>(0);
        for (int64_t k = 0; k < dim; ++k) {
          const int64_t j = reverse ? dim - 1 - k : k;
          const int64_t off = (o * dim + j) * inner + in;
          if (exclusive) py[off] = acc;
          acc = wrapping_add(acc, px[off]);
          if (!exclusive) py[off] = acc;
        }
      }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(CumSum, ledge::infer_cum_sum, ledge::run_cum_sum)
