// Where(condition, X, Y): element-wise select with multidirectional broadcasting.
#include "ops/elementwise_common.h"

namespace ledge {
namespace {

Status infer_where(InferContext& c) {
  LEDGE_TRY(require_typed(c, 0, TypeSet::kBool));
  LEDGE_ASSIGN(DType t, common_type(c, {1, 2}, TypeSet::kAll));
  LEDGE_TRY(require_input(c, 1));
  LEDGE_TRY(require_input(c, 2));
  return set_broadcast_output(c, {0, 1, 2}, t);
}

Status run_where(KernelContext& c) {
  const Tensor& cond = c.input(0);
  const Tensor& x = c.input(1);
  const Tensor& y = c.input(2);
  Tensor& out = c.output(0);
  return dispatch(x.dtype(), [&]<class T>() {
    const bool* pc = cond.data<bool>();
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    T* po = out.data<T>();
    for_each_broadcast<3>(out.shape(), {&cond.shape(), &x.shape(), &y.shape()},
                          [&](int64_t i, const std::array<int64_t, 3>& o) {
                            po[i] = pc[o[0]] ? px[o[1]] : py[o[2]];
                          });
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Where, ledge::infer_where, ledge::run_where)
