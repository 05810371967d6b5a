// GatherND: gathers slices of data addressed by the last dimension of indices, with
// optional leading batch dimensions shared by data and indices.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Status infer_gather_nd(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "data"));
  LEDGE_TRY(require_input(c, 1, "indices"));
  if (c.input_dtype(1) != DType::kInt64 && c.input_dtype(1) != DType::kUndefined)
    return c.fail("indices must be int64");
  const DType dtype = c.input_dtype(0);
  const int64_t b = c.attr_int("batch_dims", 0);
  if (b < 0) return c.fail("batch_dims cannot be negative");
  const auto* data = input_shape(c, 0);
  const auto* ind = input_shape(c, 1);
  if (!data || !ind) return c.set_output_unknown(0, dtype);
  const int64_t r = static_cast<int64_t>(data->size());
  const int64_t q = static_cast<int64_t>(ind->size());
  if (r < 1 || q < 1) return c.fail("data and indices must have rank 1 or more");
  if (b >= std::min(r, q)) return c.fail("batch_dims must be less than both ranks");
  const int64_t k = ind->back();
  for (int64_t i = 0; i < b; ++i) {
    const int64_t dd = (*data)[static_cast<size_t>(i)], di = (*ind)[static_cast<size_t>(i)];
    if (dd >= 0 && di >= 0 && dd != di)
      return c.fail("batch dimension " + std::to_string(i) + " differs between data (" +
                    std::to_string(dd) + ") and indices (" + std::to_string(di) + ")");
  }
  if (k < 0) return c.set_output_unknown(0, dtype);
  if (k < 1 || k > r - b)
    return c.fail("the last dimension of indices (" + std::to_string(k) +
                  ") must be in [1, rank(data) - batch_dims]");
  std::vector<int64_t> out(ind->begin(), ind->end() - 1);
  for (int64_t i = 0; i < b; ++i)
    if (out[static_cast<size_t>(i)] < 0) out[static_cast<size_t>(i)] = (*data)[i];
  out.insert(out.end(), data->begin() + b + k, data->end());
  return c.set_output(0, TensorType{dtype, out});
}

Status run_gather_nd(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& ind = c.input(1);
  Tensor& y = c.output(0);
  const size_t b = static_cast<size_t>(c.attr_int("batch_dims", 0));
  const size_t k = static_cast<size_t>(ind.shape().back());
  const auto& xs = x.shape();
  const int64_t batches = dims_product(xs, 0, b);
  const int64_t slice = dims_product(xs, b + k, xs.size());
  const int64_t batch_size = dims_product(xs, b, xs.size());  // data elements per batch
  // Index tuples per batch.
  const int64_t tuples = dims_product(ind.shape(), b, ind.shape().size() - 1);
  const auto st = strides_of(xs);
  const int64_t* pi = ind.data<int64_t>();
  const size_t esz = dtype_size(x.dtype());
  const auto* px = static_cast<const uint8_t*>(x.raw());
  auto* py = static_cast<uint8_t*>(y.raw());
  for (int64_t bi = 0; bi < batches; ++bi)
    for (int64_t t = 0; t < tuples; ++t) {
      const int64_t* tuple = pi + (bi * tuples + t) * static_cast<int64_t>(k);
      int64_t off = bi * batch_size;
      for (size_t j = 0; j < k; ++j) {
        LEDGE_ASSIGN(int64_t v, checked_index(c, tuple[j], xs[b + j], "index"));
        off += v * st[b + j];
      }
      if (slice > 0)
        std::memcpy(py + (bi * tuples + t) * slice * static_cast<int64_t>(esz),
                    px + off * static_cast<int64_t>(esz), static_cast<size_t>(slice) * esz);
    }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(GatherND, ledge::infer_gather_nd, ledge::run_gather_nd)
