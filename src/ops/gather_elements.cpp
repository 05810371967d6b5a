// GatherElements: out[i][j][k] = data[index[i][j][k]][j][k] along the axis (numpy
// take_along_axis).
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Status infer_gather_elements(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "data"));
  LEDGE_TRY(require_input(c, 1, "indices"));
  LEDGE_TRY(require_index_input(c, 1, "indices"));
  const DType dtype = c.input_dtype(0);
  const auto* data = input_shape(c, 0);
  const auto* ind = input_shape(c, 1);
  if (!ind) return c.set_output_unknown(0, dtype, c.input_rank(0));
  if (data) {
    if (data->size() != ind->size())
      return c.fail("indices have rank " + std::to_string(ind->size()) + ", data has rank " +
                    std::to_string(data->size()));
    if (data->empty()) return c.fail("data must have rank 1 or more");
    LEDGE_TRY(node_axis(c, c.attr_int("axis", 0), static_cast<int64_t>(data->size())));
  }
  return c.set_output(0, TensorType{dtype, *ind});
}

Status run_gather_elements(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& ind = c.input(1);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis", 0), x.rank()));
  const size_t a = static_cast<size_t>(axis);
  for (size_t d = 0; d < x.shape().size(); ++d)
    if (d != a && ind.shape()[d] > x.shape()[d])
      return c.fail("indices have size " + std::to_string(ind.shape()[d]) + " in dimension " +
                    std::to_string(d) + ", data only " + std::to_string(x.shape()[d]));
  if (ind.numel() == 0) return Status();
  const auto st = strides_of(x.shape());
  return dispatch_word(x.dtype(), [&]<class W>() -> Status {
    const W* px = x.data<W>();
    W* py = y.data<W>();
    std::vector<int64_t> idx(ind.shape().size(), 0);
    for (int64_t i = 0; i < ind.numel(); ++i) {
      LEDGE_ASSIGN(int64_t k, checked_index(c, ind.as_int64(i), x.shape()[a], "index"));
      int64_t off = 0;
      for (size_t d = 0; d < idx.size(); ++d) off += (d == a ? k : idx[d]) * st[d];
      py[i] = px[off];
      next_index(idx, ind.shape());
    }
    return Status();
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(GatherElements, ledge::infer_gather_elements, ledge::run_gather_elements)
