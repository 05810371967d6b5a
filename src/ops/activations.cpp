// Element-wise activations: Relu, ...
#include "ops/helpers.h"

namespace ledge {
namespace {

Status infer_same(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  return c.set_output(0, c.input_type(0));
}

Status run_relu(KernelContext& c) {
  return unary_map<TypeSet::kFloat | TypeSet::kSigned>(
      c, []<class T>(T x) { return static_cast<compute_t<T>>(x) > 0 ? x : T(0); });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Relu, ledge::infer_same, ledge::run_relu)
