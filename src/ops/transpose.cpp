// Transpose: permutes the dimensions (default: reverses them).
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Expected<std::vector<int64_t>> permutation(const NodeContext& c, int64_t rank) {
  std::vector<int64_t> perm = c.attr_ints("perm");
  if (!c.has_attr("perm")) {
    for (int64_t i = rank; i-- > 0;) perm.push_back(i);
    return perm;
  }
  if (static_cast<int64_t>(perm.size()) != rank)
    return c.fail("perm has " + std::to_string(perm.size()) + " entries for an input of rank " +
                  std::to_string(rank));
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t& p : perm) {
    // Negative entries are not in the spec, but numpy accepts them and so do runtimes.
    if (p < -rank || p >= rank || seen[static_cast<size_t>(p < 0 ? p + rank : p)])
      return c.fail("perm is not a permutation of the input's dimensions");
    if (p < 0) p += rank;
    seen[static_cast<size_t>(p)] = true;
  }
  return perm;
}

Status infer_transpose(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "data"));
  const DType dtype = c.input_dtype(0);
  const auto* in = input_shape(c, 0);
  if (!in) {
    if (c.has_attr("perm"))
      return c.set_output_unknown(0, dtype, static_cast<int64_t>(c.attr_ints("perm").size()));
    return c.set_output_unknown(0, dtype);
  }
  LEDGE_ASSIGN(auto perm, permutation(c, static_cast<int64_t>(in->size())));
  std::vector<int64_t> out;
  for (int64_t p : perm) out.push_back((*in)[static_cast<size_t>(p)]);
  return c.set_output(0, TensorType{dtype, out});
}

Status run_transpose(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(auto perm, permutation(c, x.rank()));
  if (y.numel() == 0) return Status();
  const auto in_strides = strides_of(x.shape());
  // Stride in the input of each output dimension.
  std::vector<int64_t> st;
  for (int64_t p : perm) st.push_back(in_strides[static_cast<size_t>(p)]);
  return dispatch_word(x.dtype(), [&]<class W>() {
    const W* px = x.data<W>();
    W* py = y.data<W>();
    std::vector<int64_t> idx(y.shape().size(), 0);
    int64_t off = 0;
    for (int64_t i = 0; i < y.numel(); ++i) {
      py[i] = px[off];
      for (size_t d = idx.size(); d-- > 0;) {
        if (++idx[d] < y.shape()[d]) {
          off += st[d];
          break;
        }
        off -= st[d] * (y.shape()[d] - 1);
        idx[d] = 0;
      }
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Transpose, ledge::infer_transpose, ledge::run_transpose)
