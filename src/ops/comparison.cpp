// Element-wise comparisons with broadcasting, giving bool: Equal, Greater, GreaterOrEqual,
// Less, LessOrEqual. 16-bit floats compare as float; NaN compares unequal and unordered.
#include "ops/elementwise_common.h"

namespace ledge {
namespace {

constexpr TypeSet kEqualTypes = TypeSet::kNumeric | TypeSet::kBool;

template <TypeSet set>
Status infer_compare(InferContext& c) {
  LEDGE_ASSIGN(DType t, common_type(c, {0, 1}, set));
  (void)t;
  return set_broadcast_output(c, {0, 1}, DType::kBool, /*legacy=*/true);
}

// Output 0 = cmp(a, b) on values converted to compute_t<T>.
template <TypeSet set, class F>
Status run_compare(KernelContext& c, F cmp) {
  return binary_op<set>(c, [&]<class T>(T a, T b) -> bool {
    return cmp(static_cast<compute_t<T>>(a), static_cast<compute_t<T>>(b));
  });
}

constexpr TypeSet kNumeric = TypeSet::kNumeric;

Status run_equal(KernelContext& c) {
  return run_compare<kEqualTypes>(c, [](auto a, auto b) { return a == b; });
}
Status run_greater(KernelContext& c) {
  return run_compare<kNumeric>(c, [](auto a, auto b) { return a > b; });
}
Status run_greater_equal(KernelContext& c) {
  return run_compare<kNumeric>(c, [](auto a, auto b) { return a >= b; });
}
Status run_less(KernelContext& c) {
  return run_compare<kNumeric>(c, [](auto a, auto b) { return a < b; });
}
Status run_less_equal(KernelContext& c) {
  return run_compare<kNumeric>(c, [](auto a, auto b) { return a <= b; });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Equal, ledge::infer_compare<ledge::kEqualTypes>, ledge::run_equal)
LEDGE_DEFINE_OP(Greater, ledge::infer_compare<ledge::kNumeric>, ledge::run_greater)
LEDGE_DEFINE_OP(GreaterOrEqual, ledge::infer_compare<ledge::kNumeric>, ledge::run_greater_equal)
LEDGE_DEFINE_OP(Less, ledge::infer_compare<ledge::kNumeric>, ledge::run_less)
LEDGE_DEFINE_OP(LessOrEqual, ledge::infer_compare<ledge::kNumeric>, ledge::run_less_equal)
