// ScatterElements (and Scatter, its deprecated name before opset 11): a copy of data where
// the entries addressed element-wise by indices along an axis receive updates, replaced or
// combined by the reduction (add, mul; max, min from opset 18).
#include "ops/scatter_common.h"

namespace ledge {
namespace {

Status infer_scatter_elements(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "data"));
  LEDGE_TRY(require_input(c, 1, "indices"));
  LEDGE_TRY(require_index_input(c, 1, "indices"));
  LEDGE_TRY(require_input(c, 2, "updates"));
  LEDGE_TRY(scatter_reduction(c).status());
  const DType dtype = c.input_dtype(0);
  if (c.input_dtype(2) != DType::kUndefined && dtype != DType::kUndefined &&
      c.input_dtype(2) != dtype)
    return c.fail("updates and data have different element types");
  const auto* data = input_shape(c, 0);
  const auto* ind = input_shape(c, 1);
  const auto* upd = input_shape(c, 2);
  if (data) {
    if (data->empty()) return c.fail("data must have rank 1 or more");
    LEDGE_TRY(node_axis(c, c.attr_int("axis", 0), static_cast<int64_t>(data->size())));
    if ((ind && ind->size() != data->size()) || (upd && upd->size() != data->size()))
      return c.fail("data, indices and updates must have the same rank");
  }
  if (ind && upd) {
    if (ind->size() != upd->size()) return c.fail("indices and updates have different ranks");
    for (size_t d = 0; d < ind->size(); ++d)
      if ((*ind)[d] >= 0 && (*upd)[d] >= 0 && (*ind)[d] != (*upd)[d])
        return c.fail("indices and updates have different shapes");
  }
  return c.set_output(0, c.input_type(0));
}

Status run_scatter_elements(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& ind = c.input(1);
  const Tensor& upd = c.input(2);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(Reduction red, scatter_reduction(c));
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis", 0), x.rank()));
  const size_t a = static_cast<size_t>(axis);
  for (size_t d = 0; d < x.shape().size(); ++d)
    if (d != a && ind.shape()[d] > x.shape()[d])
      return c.fail("indices have size " + std::to_string(ind.shape()[d]) + " in dimension " +
                    std::to_string(d) + ", data only " + std::to_string(x.shape()[d]));
  if (x.nbytes()) std::memcpy(y.raw(), x.raw(), x.nbytes());
  if (ind.numel() == 0) return Status();
  const auto st = strides_of(x.shape());
  return dispatch(x.dtype(), [&]<class T>() -> Status {
    const T* pu = upd.data<T>();
    T* py = y.data<T>();
    std::vector<int64_t> idx(ind.shape().size(), 0);
    for (int64_t i = 0; i < ind.numel(); ++i) {
      LEDGE_ASSIGN(int64_t k, checked_index(c, ind.as_int64(i), x.shape()[a], "index"));
      int64_t off = 0;
      for (size_t d = 0; d < idx.size(); ++d) off += (d == a ? k : idx[d]) * st[d];
      py[off] = combine(red, py[off], pu[i]);
      next_index(idx, ind.shape());
    }
    return Status();
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Scatter, ledge::infer_scatter_elements, ledge::run_scatter_elements)
LEDGE_DEFINE_OP(ScatterElements, ledge::infer_scatter_elements, ledge::run_scatter_elements)
