// Gather: picks entries of an axis by index (numpy take).
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Status infer_gather(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "data"));
  LEDGE_TRY(require_input(c, 1, "indices"));
  LEDGE_TRY(require_index_input(c, 1, "indices"));
  const DType dtype = c.input_dtype(0);
  const auto* data = input_shape(c, 0);
  const auto* ind = input_shape(c, 1);
  if (!data || !ind) {
    if (data && c.input_rank(1) >= 0)
      return c.set_output_unknown(0, dtype,
                                  static_cast<int64_t>(data->size()) - 1 + c.input_rank(1));
    return c.set_output_unknown(0, dtype);
  }
  if (data->empty()) return c.fail("data must have rank 1 or more");
  LEDGE_ASSIGN(int64_t axis,
               node_axis(c, c.attr_int("axis", 0), static_cast<int64_t>(data->size())));
  const size_t a = static_cast<size_t>(axis);
  std::vector<int64_t> out(data->begin(), data->begin() + axis);
  out.insert(out.end(), ind->begin(), ind->end());
  out.insert(out.end(), data->begin() + axis + 1, data->end());
  // Constant indices can be checked now rather than at run time.
  const Tensor* iv = known_value(c, 1);
  if (iv && (*data)[a] >= 0)
    for (int64_t i = 0; i < iv->numel(); ++i)
      LEDGE_TRY(checked_index(c, iv->as_int64(i), (*data)[a], "index"));
  return c.set_output(0, TensorType{dtype, out});
}

Status run_gather(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& ind = c.input(1);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis", 0), x.rank()));
  const size_t a = static_cast<size_t>(axis);
  const int64_t outer = dims_product(x.shape(), 0, a);
  const int64_t dim = x.shape()[a];
  const int64_t inner = dims_product(x.shape(), a + 1, x.shape().size());
  const int64_t n = ind.numel();
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    LEDGE_ASSIGN(idx[static_cast<size_t>(i)], checked_index(c, ind.as_int64(i), dim, "index"));
  }
  const size_t esz = dtype_size(x.dtype());
  const auto* px = static_cast<const uint8_t*>(x.raw());
  auto* py = static_cast<uint8_t*>(y.raw());
  const size_t block = static_cast<size_t>(inner) * esz;
  if (block == 0) return Status();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(
          py + ((o * n + i) * inner) * static_cast<int64_t>(esz),
          px + ((o * dim + idx[static_cast<size_t>(i)]) * inner) * static_cast<int64_t>(esz),
          block);
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Gather, ledge::infer_gather, ledge::run_gather)
