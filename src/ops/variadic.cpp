// Variadic element-wise operators with multidirectional broadcasting: Max, Mean, Min, Sum.
//
// Before opset 8 the inputs had to share one shape; numpy broadcasting accepts those too.
#include "ops/elementwise_common.h"

namespace ledge {
namespace {

std::vector<size_t> all_inputs(const InferContext& c) {
  std::vector<size_t> v(c.num_inputs());
  for (size_t i = 0; i < v.size(); ++i) v[i] = i;
  return v;
}

template <TypeSet set>
Status infer_variadic(InferContext& c) {
  if (c.num_inputs() == 0) return c.fail("needs at least one input");
  const std::vector<size_t> inputs = all_inputs(c);
  LEDGE_ASSIGN(DType t, common_type(c, inputs, set));
  return set_broadcast_output(c, inputs, t);
}

// y = f(...f(f(x0, x1), x2)..., xn) element-wise, folded left to right as numpy would;
// with `mean` the result is divided by the number of inputs.
template <TypeSet set, class F>
Status run_variadic(KernelContext& c, F f, bool mean = false) {
  Tensor& y = c.output(0);
  return dispatch<set>(y.dtype(), [&]<class T>() -> Status {
    T* py = y.data<T>();
    int64_t count = 0;
    for (size_t k = 0; k < c.num_inputs(); ++k) {
      if (!c.has_input(k)) continue;
      const Tensor& x = c.input(k);
      if (x.dtype() != y.dtype()) return internal_error("variadic: unexpected element type");
      const T* px = x.data<T>();
      if (count++ == 0)
        for_each_broadcast<1>(
            y.shape(), {&x.shape()},
            [&](int64_t i, const std::array<int64_t, 1>& o) { py[i] = px[o[0]]; });
      else
        for_each_broadcast<1>(
            y.shape(), {&x.shape()}, [&](int64_t i, const std::array<int64_t, 1>& o) {
              py[i] = static_cast<T>(
                  f(static_cast<compute_t<T>>(py[i]), static_cast<compute_t<T>>(px[o[0]])));
            });
    }
    if constexpr (is_floating_v<T>) {
      if (mean && count > 1)
        for (int64_t i = 0; i < y.numel(); ++i)
          py[i] =
              static_cast<T>(static_cast<compute_t<T>>(py[i]) / static_cast<compute_t<T>>(count));
    }
    return Status();
  });
}

Status run_max(KernelContext& c) {
  return run_variadic<TypeSet::kNumeric>(c, [](auto a, auto b) { return nan_max(a, b); });
}
Status run_min(KernelContext& c) {
  return run_variadic<TypeSet::kNumeric>(c, [](auto a, auto b) { return nan_min(a, b); });
}
Status run_sum(KernelContext& c) {
  return run_variadic<TypeSet::kFloat>(c, [](auto a, auto b) { return a + b; });
}
Status run_mean(KernelContext& c) {
  return run_variadic<TypeSet::kFloat>(
      c, [](auto a, auto b) { return a + b; }, /*mean=*/true);
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Max, ledge::infer_variadic<ledge::TypeSet::kNumeric>, ledge::run_max)
LEDGE_DEFINE_OP(Mean, ledge::infer_variadic<ledge::TypeSet::kFloat>, ledge::run_mean)
LEDGE_DEFINE_OP(Min, ledge::infer_variadic<ledge::TypeSet::kNumeric>, ledge::run_min)
LEDGE_DEFINE_OP(Sum, ledge::infer_variadic<ledge::TypeSet::kFloat>, ledge::run_sum)
