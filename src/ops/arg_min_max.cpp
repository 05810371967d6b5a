// ArgMax and ArgMin: the index of the largest / smallest element along an axis, the first
// one on ties unless select_last_index (opset 12) asks for the last.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Status infer_arg(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "data"));
  if (c.input_dtype(0) == DType::kBool) return c.fail("data must be numeric");
  const auto* in = input_shape(c, 0);
  const bool keep = c.attr_int("keepdims", 1) != 0;
  if (!in) return c.set_output_unknown(0, DType::kInt64);
  const int64_t rank = static_cast<int64_t>(in->size());
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis", 0), rank));
  if (rank == 0) return c.fail("data must have rank 1 or more");
  if ((*in)[static_cast<size_t>(axis)] == 0) return c.fail("cannot reduce an empty axis");
  std::vector<int64_t> out = *in;
  if (keep)
    out[static_cast<size_t>(axis)] = 1;
  else
    out.erase(out.begin() + axis);
  return c.set_output(0, TensorType{DType::kInt64, out});
}

template <bool kMax>
Status run_arg(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis", 0), x.rank()));
  const bool last = c.attr_int("select_last_index", 0) != 0;
  const size_t a = static_cast<size_t>(axis);
  const int64_t outer = dims_product(x.shape(), 0, a);
  const int64_t dim = x.shape()[a];
  const int64_t inner = dims_product(x.shape(), a + 1, x.shape().size());
  int64_t* py = y.data<int64_t>();
  return dispatch<TypeSet::kNumeric>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t in = 0; in < inner; ++in) {
        const T* p = px + o * dim * inner + in;
        int64_t best = 0;
        for (int64_t k = 1; k < dim; ++k) {
          // "Better" in the order where NaN is the largest value, as numpy's argmax has it.
          const T v = p[k * inner], b = p[best * inner];
          const bool better = kMax ? total_less(b, v) : total_less(v, b);
          const bool tie = !total_less(b, v) && !total_less(v, b);
          if (better || (last && tie)) best = k;
        }
        py[o * inner + in] = best;
      }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(ArgMax, ledge::infer_arg, ledge::run_arg<true>)
LEDGE_DEFINE_OP(ArgMin, ledge::infer_arg, ledge::run_arg<false>)
