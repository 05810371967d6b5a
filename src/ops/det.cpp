// Det: determinants of the square matrices in the last two dimensions of [*, M, M], by
// Gaussian elimination with partial pivoting in double precision.
#include <cmath>

#include "ops/nn_common.h"

namespace ledge {
namespace {

Status infer_det(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_float(c, 0));
  const DType dt = c.input_dtype(0);
  const int64_t rank = c.input_rank(0);
  if (rank < 0) return c.set_output_unknown(0, dt);
  if (rank < 2) return c.fail("input has rank " + std::to_string(rank) + ", expected 2 or more");
  const std::vector<int64_t>& xd = *c.input_type(0).shape;
  const int64_t m = xd[xd.size() - 1], n = xd[xd.size() - 2];
  if (m >= 0 && n >= 0 && m != n)
    return c.fail("matrices are not square: " + c.input_type(0).to_string());
  return c.set_output(0, dt, std::vector<int64_t>(xd.begin(), xd.end() - 2));
}

double determinant(std::vector<double>& a, int64_t n) {
  double det = 1;
  auto at = [&](int64_t r, int64_t col) -> double& { return a[static_cast<size_t>(r * n + col)]; };
  for (int64_t k = 0; k < n; ++k) {
    int64_t pivot = k;
    for (int64_t r = k + 1; r < n; ++r)
      if (std::fabs(at(r, k)) > std::fabs(at(pivot, k))) pivot = r;
    if (at(pivot, k) == 0) return 0;
    if (pivot != k) {
      for (int64_t col = 0; col < n; ++col) std::swap(at(k, col), at(pivot, col));
      det = -det;
    }
    det *= at(k, k);
    for (int64_t r = k + 1; r < n; ++r) {
      const double f = at(r, k) / at(k, k);
      for (int64_t col = k; col < n; ++col) at(r, col) -= f * at(k, col);
    }
  }
  return det;
}

Status run_det(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  const int64_t n = x.dim(x.rank() - 1);
  return dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    std::vector<double> a(static_cast<size_t>(n * n));
    for (int64_t b = 0; b < y.numel(); ++b) {
      for (int64_t i = 0; i < n * n; ++i)
        a[static_cast<size_t>(i)] =
            static_cast<double>(static_cast<compute_t<T>>(px[b * n * n + i]));
      py[b] = static_cast<T>(determinant(a, n));
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Det, ledge::infer_det, ledge::run_det)
