// Unique: the distinct elements (or, with an axis, distinct slices along it), sorted or in
// order of first occurrence, with the index of each first occurrence, the inverse mapping
// from every input position to its unique entry, and the counts.
#include <algorithm>
#include <numeric>

#include "ops/tensor_common.h"

namespace ledge {
namespace {

Status infer_unique(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "X"));
  const DType dtype = c.input_dtype(0);
  for (size_t i = 1; i < 4; ++i) LEDGE_TRY(c.set_output(i, DType::kInt64, {-1}));
  if (!c.has_attr("axis")) return c.set_output(0, dtype, {-1});
  const auto* in = input_shape(c, 0);
  if (!in) return c.set_output_unknown(0, dtype);
  LEDGE_ASSIGN(int64_t axis, node_axis(c, c.attr_int("axis"), static_cast<int64_t>(in->size())));
  std::vector<int64_t> out = *in;
  out[static_cast<size_t>(axis)] = -1;
  return c.set_output(0, TensorType{dtype, out});
}

Status run_unique(KernelContext& c) {
  const Tensor& x = c.input(0);
  const bool sorted = c.attr_int("sorted", 1) != 0;
  const bool flat = !c.has_attr("axis");
  const Shape xs = flat ? Shape{x.numel()} : x.shape();
  int64_t axis = 0;
  if (!flat) {
    LEDGE_ASSIGN(axis, node_axis(c, c.attr_int("axis"), x.rank()));
  }
  const size_t a = static_cast<size_t>(axis);
  const int64_t outer = dims_product(xs, 0, a);
  const int64_t dim = xs[a];
  const int64_t inner = dims_product(xs, a + 1, xs.size());
  return dispatch(x.dtype(), [&]<class T>() -> Status {
    const T* px = x.data<T>();
    // Slice s is the elements px[(o * dim + s) * inner + i] for all o, i.
    auto cmp = [&](int64_t s, int64_t t) {  // -1, 0, 1 in lexicographic order
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          const T u = px[(o * dim + s) * inner + i], v = px[(o * dim + t) * inner + i];
          if (total_less(u, v)) return -1;
          if (total_less(v, u)) return 1;
        }
      return 0;
    };
    std::vector<int64_t> order(static_cast<size_t>(dim));
    std::iota(order.begin(), order.end(), int64_t{0});
    // Stable, so each run of equal slices starts with its first occurrence.
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t s, int64_t t) { return cmp(s, t) < 0; });
    std::vector<int64_t> firsts, counts;
    std::vector<int64_t> group(static_cast<size_t>(dim));  // slice -> index into firsts
    for (size_t i = 0; i < order.size(); ++i) {
      if (i == 0 || cmp(order[i - 1], order[i]) != 0) {
        firsts.push_back(order[i]);
        counts.push_back(0);
      }
      group[static_cast<size_t>(order[i])] = static_cast<int64_t>(firsts.size()) - 1;
      ++counts.back();
    }
    // Output order of the groups: sorted, or by first occurrence.
    const int64_t n = static_cast<int64_t>(firsts.size());
    std::vector<int64_t> out_order(static_cast<size_t>(n));
    std::iota(out_order.begin(), out_order.end(), int64_t{0});
    if (!sorted)
      std::sort(out_order.begin(), out_order.end(), [&](int64_t g, int64_t h) {
        return firsts[static_cast<size_t>(g)] < firsts[static_cast<size_t>(h)];
      });
    std::vector<int64_t> position(static_cast<size_t>(n));  // group -> output position
    for (int64_t p = 0; p < n; ++p) position[static_cast<size_t>(out_order[p])] = p;

    Shape ys = xs;
    ys[a] = n;
    LEDGE_ASSIGN(Tensor * y, c.allocate_output(0, x.dtype(), ys));
    T* py = y->data<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t p = 0; p < n; ++p) {
        const int64_t s = firsts[static_cast<size_t>(out_order[static_cast<size_t>(p)])];
        for (int64_t i = 0; i < inner; ++i)
          py[(o * n + p) * inner + i] = px[(o * dim + s) * inner + i];
      }
    if (c.num_outputs() > 1) {
      LEDGE_ASSIGN(Tensor * t, c.allocate_output(1, DType::kInt64, {n}));
      for (int64_t p = 0; p < n; ++p)
        t->data<int64_t>()[p] = firsts[static_cast<size_t>(out_order[static_cast<size_t>(p)])];
    }
    if (c.num_outputs() > 2) {
      LEDGE_ASSIGN(Tensor * t, c.allocate_output(2, DType::kInt64, {dim}));
      for (int64_t s = 0; s < dim; ++s)
        t->data<int64_t>()[s] = position[static_cast<size_t>(group[static_cast<size_t>(s)])];
    }
    if (c.num_outputs() > 3) {
      LEDGE_ASSIGN(Tensor * t, c.allocate_output(3, DType::kInt64, {n}));
      for (int64_t p = 0; p < n; ++p)
        t->data<int64_t>()[p] = counts[static_cast<size_t>(out_order[static_cast<size_t>(p)])];
    }
    return Status();
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Unique, ledge::infer_unique, ledge::run_unique)
