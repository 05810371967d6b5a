// Global pooling over all spatial dimensions of [N, C, D1, ...]: GlobalAveragePool,
// GlobalMaxPool and GlobalLpPool. The output keeps the spatial dimensions with size 1.
#include <cmath>

#include "ops/nn_common.h"

namespace ledge {
namespace {

enum class GlobalKind { kMax, kAverage, kLp };

Status infer_global_pool(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_float(c, 0));
  const DType dt = c.input_dtype(0);
  const int64_t rank = c.input_rank(0);
  if (rank < 0) return c.set_output_unknown(0, dt);
  if (rank < 2) return c.fail("input has rank " + std::to_string(rank) + ", expected 2 or more");
  std::vector<int64_t> out = *c.input_type(0).shape;
  for (size_t i = 2; i < out.size(); ++i) out[i] = 1;
  return c.set_output(0, dt, std::move(out));
}

template <GlobalKind kind>
Status run_global_pool(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = planes == 0 ? 0 : x.numel() / planes;
  const double p = c.attr_float("p", 2.f);
  return dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (int64_t i = 0; i < planes; ++i) {
      const T* xp = px + i * size;
      double r = 0;
      if constexpr (kind == GlobalKind::kMax) {
        r = -INFINITY;
        for (int64_t j = 0; j < size; ++j) {
          const double v = static_cast<double>(static_cast<compute_t<T>>(xp[j]));
          if (v > r || std::isnan(v)) r = v;
          if (std::isnan(r)) break;
        }
      } else if constexpr (kind == GlobalKind::kAverage) {
        for (int64_t j = 0; j < size; ++j)
          r += static_cast<double>(static_cast<compute_t<T>>(xp[j]));
        r /= static_cast<double>(size);
      } else {
        for (int64_t j = 0; j < size; ++j)
          r += std::pow(std::fabs(static_cast<double>(static_cast<compute_t<T>>(xp[j]))), p);
        r = std::pow(r, 1.0 / p);
      }
      py[i] = static_cast<T>(r);
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(GlobalAveragePool, ledge::infer_global_pool,
                ledge::run_global_pool<ledge::GlobalKind::kAverage>)
LEDGE_DEFINE_OP(GlobalMaxPool, ledge::infer_global_pool,
                ledge::run_global_pool<ledge::GlobalKind::kMax>)
LEDGE_DEFINE_OP(GlobalLpPool, ledge::infer_global_pool,
                ledge::run_global_pool<ledge::GlobalKind::kLp>)
