// TopK: the k largest (or smallest) elements along an axis and their indices. K is an
// attribute before opset 10 and input 1 after. Equal values keep the lower index first;
// the result is always sorted, which 'sorted = 0' (any order) allows too.
#include <algorithm>
#include <numeric>

#include "ops/tensor_common.h"

namespace ledge {
namespace {

Expected<std::optional<int64_t>> k_of(const InferContext& c) {
  if (c.opset() < 10 && !c.has_input(1)) {
    if (!c.has_attr("k")) return c.fail("missing attribute 'k'");
    return std::optional<int64_t>(c.attr_int("k"));
  }
  LEDGE_TRY(require_input(c, 1, "K"));
  if (c.input_dtype(1) != DType::kInt64 && c.input_dtype(1) != DType::kUndefined)
    return c.fail("K must be int64");
  const Tensor* kv = known_value(c, 1);
  if (!kv) return std::optional<int64_t>();
  if (kv->numel() != 1) return c.fail("K must have exactly one element");
  return std::optional<int64_t>(kv->as_int64(0));
}

Status infer_top_k(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "X"));
  if (c.input_dtype(0) == DType::kBool) return c.fail("X must be numeric");
  const DType dtype = c.input_dtype(0);
  LEDGE_ASSIGN(auto k, k_of(c));
  const auto* in = input_shape(c, 0);
  if (!in) {
    LEDGE_TRY(c.set_output_unknown(0, dtype));
    return c.set_output_unknown(1, DType::kInt64);
  }
  const int64_t rank = static_cast<int64_t>(in->size());
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis", -1), rank));
  if (rank == 0) return c.fail("X must have rank 1 or more");
  std::vector<int64_t> out = *in;
  const int64_t dim = out[static_cast<size_t>(axis)];
  if (k) {
    if (*k < 0) return c.fail("K cannot be negative");
    if (dim >= 0 && *k > dim)
      return c.fail("K (" + std::to_string(*k) + ") exceeds the axis size (" + std::to_string(dim) +
                    ")");
  }
  out[static_cast<size_t>(axis)] = k ? *k : -1;
  LEDGE_TRY(c.set_output(0, TensorType{dtype, out}));
  return c.set_output(1, TensorType{DType::kInt64, out});
}

Status run_top_k(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& values = c.output(0);
  Tensor& indices = c.output(1);
  const Shape& ys = values.defined() ? values.shape() : indices.shape();
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis", -1), x.rank()));
  const bool largest = c.attr_int("largest", 1) != 0;
  const size_t a = static_cast<size_t>(axis);
  const int64_t k = ys[a];
  const int64_t outer = dims_product(x.shape(), 0, a);
  const int64_t dim = x.shape()[a];
  const int64_t inner = dims_product(x.shape(), a + 1, x.shape().size());
  return dispatch<TypeSet::kNumeric>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* pv = values.defined() ? values.data<T>() : nullptr;
    int64_t* pi = indices.defined() ? indices.data<int64_t>() : nullptr;
    std::vector<int64_t> order(static_cast<size_t>(dim));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t in = 0; in < inner; ++in) {
        const T* p = px + o * dim * inner + in;
        std::iota(order.begin(), order.end(), int64_t{0});
        auto before = [&](int64_t i, int64_t j) {
          const T u = p[i * inner], v = p[j * inner];
          if (largest ? total_less(v, u) : total_less(u, v)) return true;
          if (largest ? total_less(u, v) : total_less(v, u)) return false;
          return i < j;
        };
        std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        for (int64_t j = 0; j < k; ++j) {
          const int64_t at = (o * k + j) * inner + in;
          const int64_t src = order[static_cast<size_t>(j)];
          if (pv) pv[at] = p[src * inner];
          if (pi) pi[at] = src;
        }
      }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(TopK, ledge::infer_top_k, ledge::run_top_k)
