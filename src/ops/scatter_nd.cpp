// ScatterND: a copy of data where the slices addressed by the last dimension of indices
// receive updates, replaced or combined by the reduction.
#include "ops/scatter_common.h"

namespace ledge {
namespace {

Status infer_scatter_nd(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "data"));
  LEDGE_TRY(require_input(c, 1, "indices"));
  LEDGE_TRY(require_input(c, 2, "updates"));
  if (c.input_dtype(1) != DType::kInt64 && c.input_dtype(1) != DType::kUndefined)
    return c.fail("indices must be int64");
  LEDGE_TRY(scatter_reduction(c).status());
  const DType dtype = c.input_dtype(0);
  if (c.input_dtype(2) != DType::kUndefined && dtype != DType::kUndefined &&
      c.input_dtype(2) != dtype)
    return c.fail("updates and data have different element types");
  const auto* data = input_shape(c, 0);
  const auto* ind = input_shape(c, 1);
  const auto* upd = input_shape(c, 2);
  if (data && ind && upd) {
    if (data->empty() || ind->empty()) return c.fail("data and indices must have rank 1 or more");
    const int64_t k = ind->back();
    if (k >= 0) {
      if (k > static_cast<int64_t>(data->size()))
        return c.fail("the last dimension of indices exceeds the rank of data");
      // updates must have shape indices.shape[:-1] + data.shape[k:].
      std::vector<int64_t> want(ind->begin(), ind->end() - 1);
      want.insert(want.end(), data->begin() + k, data->end());
      bool ok = want.size() == upd->size();
      for (size_t i = 0; ok && i < want.size(); ++i)
        ok = want[i] < 0 || (*upd)[i] < 0 || want[i] == (*upd)[i];
      if (!ok)
        return c.fail("updates have shape " + shape_to_string(*upd) + ", expected " +
                      shape_to_string(want));
    }
  }
  return c.set_output(0, c.input_type(0));
}

Status run_scatter_nd(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& ind = c.input(1);
  const Tensor& upd = c.input(2);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(Reduction red, scatter_reduction(c));
  if (x.nbytes()) std::memcpy(y.raw(), x.raw(), x.nbytes());
  const auto& xs = x.shape();
  const size_t k = static_cast<size_t>(ind.shape().back());
  const int64_t slice = dims_product(xs, k, xs.size());
  const int64_t tuples = dims_product(ind.shape(), 0, ind.shape().size() - 1);
  const auto st = strides_of(xs);
  const int64_t* pi = ind.data<int64_t>();
  return dispatch(x.dtype(), [&]<class T>() -> Status {
    const T* pu = upd.data<T>();
    T* py = y.data<T>();
    for (int64_t t = 0; t < tuples; ++t) {
      int64_t off = 0;
      for (size_t j = 0; j < k; ++j) {
        LEDGE_ASSIGN(int64_t v,
                     checked_index(c, pi[t * static_cast<int64_t>(k) + static_cast<int64_t>(j)],
                                   xs[j], "index"));
        off += v * st[j];
      }
      for (int64_t e = 0; e < slice; ++e)
        py[off + e] = combine(red, py[off + e], pu[t * slice + e]);
    }
    return Status();
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(ScatterND, ledge::infer_scatter_nd, ledge::run_scatter_nd)
