// Element-wise binary arithmetic with broadcasting: Add, ...
#include "ops/helpers.h"

namespace ledge {
namespace {

Status infer_binary(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_input(c, 1));
  return infer_elementwise(c);
}

Status run_add(KernelContext& c) {
  return binary_map(c, []<class T>(T a, T b) {
    return static_cast<T>(static_cast<compute_t<T>>(a) + static_cast<compute_t<T>>(b));
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Add, ledge::infer_binary, ledge::run_add)
