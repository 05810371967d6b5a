// NonZero: the coordinates of the non-zero elements, one row per dimension (numpy
// nonzero), as int64 [rank, count]. A scalar counts as rank 1.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Status infer_non_zero(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "X"));
  const int64_t r = c.input_rank(0);
  return c.set_output(0, DType::kInt64, {r < 0 ? -1 : std::max<int64_t>(r, 1), -1});
}

Status run_non_zero(KernelContext& c) {
  const Tensor& x = c.input(0);
  std::vector<int64_t> hits;  // flat positions of the non-zero elements
  LEDGE_TRY(dispatch(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i)
      if (static_cast<compute_t<T>>(px[i]) != static_cast<compute_t<T>>(0)) hits.push_back(i);
  }));
  const int64_t rank = std::max<int64_t>(x.rank(), 1);
  const int64_t n = static_cast<int64_t>(hits.size());
  LEDGE_ASSIGN(Tensor * y, c.allocate_output(0, DType::kInt64, {rank, n}));
  int64_t* py = y->data<int64_t>();
  if (x.rank() == 0) return Status();  // coordinates of a scalar are all 0
  const auto st = strides_of(x.shape());
  for (int64_t k = 0; k < n; ++k) {
    int64_t rest = hits[static_cast<size_t>(k)];
    for (int64_t d = 0; d < rank; ++d) {
      py[d * n + k] = rest / st[static_cast<size_t>(d)];
      rest %= st[static_cast<size_t>(d)];
    }
  }
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(NonZero, ledge::infer_non_zero, ledge::run_non_zero)
