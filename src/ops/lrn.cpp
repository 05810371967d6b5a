// LRN: local response normalization across channels of [N, C, D1, ...]:
//   y = x / (bias + alpha / size * sum of x^2 over the channels
//            [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)])^beta
#include <cmath>

#include "ops/nn_common.h"

namespace ledge {
namespace {

Status infer_lrn(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_float(c, 0));
  if (!c.has_attr("size")) return c.fail("missing attribute size");
  if (c.attr_int("size") < 1) return c.fail("size must be at least 1");
  const int64_t rank = c.input_rank(0);
  if (rank >= 0 && rank < 2)
    return c.fail("input has rank " + std::to_string(rank) + ", expected 2 or more");
  return c.set_output(0, c.input_type(0));
}

Status run_lrn(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  const int64_t size = c.attr_int("size");
  const double alpha = c.attr_float("alpha", 1e-4f), beta = c.attr_float("beta", 0.75f);
  const double bias = c.attr_float("bias", 1.f);
  const int64_t N = x.dim(0), C = x.dim(1);
  const int64_t S = N * C == 0 ? 0 : x.numel() / (N * C);
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  return dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    std::vector<double> sq(static_cast<size_t>(S));
    for (int64_t n = 0; n < N; ++n)
      for (int64_t ch = 0; ch < C; ++ch) {
        std::fill(sq.begin(), sq.end(), 0.0);
        const int64_t lo = std::max<int64_t>(0, ch - before);
        const int64_t hi = std::min<int64_t>(C - 1, ch + after);
        for (int64_t k = lo; k <= hi; ++k) {
          const T* xk = px + (n * C + k) * S;
          for (int64_t s = 0; s < S; ++s) {
            const double v = static_cast<double>(static_cast<compute_t<T>>(xk[s]));
            sq[static_cast<size_t>(s)] += v * v;
          }
        }
        const T* xc = px + (n * C + ch) * S;
        T* yc = py + (n * C + ch) * S;
        for (int64_t s = 0; s < S; ++s)
          yc[s] = static_cast<T>(
              static_cast<double>(static_cast<compute_t<T>>(xc[s])) /
              std::pow(bias + alpha / static_cast<double>(size) * sq[static_cast<size_t>(s)],
                       beta));
      }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(LRN, ledge::infer_lrn, ledge::run_lrn)
