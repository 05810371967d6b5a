// Element-wise unary math: Abs, ...
#include "ops/helpers.h"

namespace ledge {
namespace {

Status infer_same(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  return c.set_output(0, c.input_type(0));
}

Status run_abs(KernelContext& c) {
  return unary_map(c, []<class T>(T x) -> T {
    if constexpr (std::is_unsigned_v<T>)
      return x;
    else
      return static_cast<compute_t<T>>(x) < 0 ? static_cast<T>(-static_cast<compute_t<T>>(x)) : x;
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Abs, ledge::infer_same, ledge::run_abs)
