// Element-wise logic on bool tensors with broadcasting: And, Or, Xor (Not is unary_math.cpp).
#include "ops/elementwise_common.h"

namespace ledge {
namespace {

Status infer_logical(InferContext& c) {
  LEDGE_TRY(common_type(c, {0, 1}, TypeSet::kBool));
  return set_broadcast_output(c, {0, 1}, DType::kBool, /*legacy=*/true);
}

Status run_and(KernelContext& c) {
  return binary_op<TypeSet::kBool>(c, [](bool a, bool b) { return a && b; });
}
Status run_or(KernelContext& c) {
  return binary_op<TypeSet::kBool>(c, [](bool a, bool b) { return a || b; });
}
Status run_xor(KernelContext& c) {
  return binary_op<TypeSet::kBool>(c, [](bool a, bool b) { return a != b; });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(And, ledge::infer_logical, ledge::run_and)
LEDGE_DEFINE_OP(Or, ledge::infer_logical, ledge::run_or)
LEDGE_DEFINE_OP(Xor, ledge::infer_logical, ledge::run_xor)
