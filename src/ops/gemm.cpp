// Gemm: Y = alpha * op(A) * op(B) + beta * C, where op transposes when transA / transB is
// set and C broadcasts to [M, N] (unidirectionally). C is optional from opset 11; older
// versions carry a `broadcast` attribute, which changes nothing here since broadcasting a C
// that already has the full shape is the identity.
#include "ops/nn_common.h"

namespace ledge {
namespace {

constexpr TypeSet kGemmTypes = TypeSet::kFloat | TypeSet::kSigned | TypeSet::kUnsigned;

Status infer_gemm(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_input(c, 1));
  if (c.opset() < 11) LEDGE_TRY(require_input(c, 2, "input C"));
  LEDGE_TRY(require_same_type(c, 1));
  if (c.has_input(2)) LEDGE_TRY(require_same_type(c, 2));
  const DType dt = c.input_dtype(0);
  if (dt == DType::kBool) return c.fail_unsupported("Gemm does not take bool");
  for (size_t i = 0; i < 2; ++i)
    if (c.input_rank(i) >= 0 && c.input_rank(i) != 2)
      return c.fail("input " + std::to_string(i) + " has rank " + std::to_string(c.input_rank(i)) +
                    ", expected 2");
  const std::vector<int64_t> a = dims_or_unknown(c.input_type(0), 2);
  const std::vector<int64_t> b = dims_or_unknown(c.input_type(1), 2);
  const bool ta = c.attr_int("transA", 0) != 0, tb = c.attr_int("transB", 0) != 0;
  const int64_t M = ta ? a[1] : a[0], K = ta ? a[0] : a[1];
  const int64_t K2 = tb ? b[1] : b[0], N = tb ? b[0] : b[1];
  if (K >= 0 && K2 >= 0 && K != K2)
    return c.fail("inner dimensions differ: A gives " + std::to_string(K) + ", B gives " +
                  std::to_string(K2));
  if (c.has_input(2) && c.input_rank(2) >= 0) {
    const int64_t cr = c.input_rank(2);
    if (cr > 2) return c.fail("C has rank " + std::to_string(cr) + ", expected at most 2");
    const std::vector<int64_t> cd = dims_or_unknown(c.input_type(2), cr);
    const int64_t want[2] = {M, N};
    for (int64_t i = 0; i < cr; ++i) {
      const int64_t d = cd[static_cast<size_t>(i)], o = want[2 - cr + i];
      if (d >= 0 && d != 1 && o >= 0 && d != o)
        return c.fail("C of shape " + c.input_type(2).to_string() +
                      " does not broadcast to the output [" + std::to_string(M) + "x" +
                      std::to_string(N) + "]");
    }
  }
  return c.set_output(0, dt, {M, N});
}

template <class T>
Status gemm_kernel(KernelContext& c) {
  using A = acc_t<T>;
  const Tensor& ta = c.input(0);
  const Tensor& tb = c.input(1);
  const Tensor* tc = c.input_or_null(2);
  Tensor& y = c.output(0);
  const bool trans_a = c.attr_int("transA", 0) != 0, trans_b = c.attr_int("transB", 0) != 0;
  const double alpha = c.attr_float("alpha", 1.f), beta = c.attr_float("beta", 1.f);
  const int64_t M = y.dim(0), N = y.dim(1), K = trans_a ? ta.dim(0) : ta.dim(1);

  const std::vector<A> a = to_acc_vector<A>(ta.data<T>(), ta.numel());
  // B is used as row-major [K, N].
  std::vector<A> b(static_cast<size_t>(K * N));
  const T* pb = tb.data<T>();
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      b[static_cast<size_t>(k * N + n)] = to_acc<A>(trans_b ? pb[n * K + k] : pb[k * N + n]);
  std::vector<A> ab(static_cast<size_t>(M * N), A(0));
  gemm_acc<A>(M, N, K, a.data(), trans_a ? 1 : K, trans_a ? M : 1, b.data(), N, ab.data(), N);

  T* py = y.data<T>();
  const Shape out_shape = {M, N};
  const std::vector<int64_t> cst =
      tc ? broadcast_strides(tc->shape(), out_shape) : std::vector<int64_t>{0, 0};
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      const A v = ab[static_cast<size_t>(m * N + n)];
      if constexpr (is_floating_v<T>) {
        A r = static_cast<A>(alpha) * v;
        if (tc) r += static_cast<A>(beta) * to_acc<A>(tc->data<T>()[m * cst[0] + n * cst[1]]);
        py[m * N + n] = static_cast<T>(r);
      } else {
        // Integers: exact (wrapping) arithmetic when alpha and beta are 1, as is usual.
        T r = from_acc<T>(v);
        if (alpha != 1.0) r = saturate_cast<T>(alpha * static_cast<double>(r));
        if (tc) {
          T cv = tc->data<T>()[m * cst[0] + n * cst[1]];
          if (beta != 1.0) cv = saturate_cast<T>(beta * static_cast<double>(cv));
          r = from_acc<T>(to_acc<A>(r) + to_acc<A>(cv));
        }
        py[m * N + n] = r;
      }
    }
  }
  return Status();
}

Status run_gemm(KernelContext& c) {
  return dispatch<kGemmTypes>(c.input(0).dtype(),
                              [&]<class T>() -> Status { return gemm_kernel<T>(c); });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Gemm, ledge::infer_gemm, ledge::run_gemm)
