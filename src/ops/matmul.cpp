// MatMul with numpy semantics: 1-D operands are promoted (a row vector for A, a column
// vector for B, the added dimension removed from the result) and leading batch dimensions
// broadcast.
#include "ops/nn_common.h"

namespace ledge {
namespace {

constexpr TypeSet kMatMulTypes = TypeSet::kFloat | TypeSet::kSigned | TypeSet::kUnsigned;

Status infer_matmul(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_input(c, 1));
  LEDGE_TRY(require_same_type(c, 1));
  const DType dt = c.input_dtype(0);
  if (dt == DType::kBool) return c.fail_unsupported("MatMul does not take bool");
  const int64_t ra = c.input_rank(0), rb = c.input_rank(1);
  if (ra == 0 || rb == 0) return c.fail("MatMul does not take scalars");
  if (ra < 0 || rb < 0) return c.set_output_unknown(0, dt);
  std::vector<int64_t> a = *c.input_type(0).shape, b = *c.input_type(1).shape;
  if (ra == 1) a.insert(a.begin(), 1);
  if (rb == 1) b.push_back(1);
  const int64_t K = a.back(), K2 = b[b.size() - 2];
  if (K >= 0 && K2 >= 0 && K != K2)
    return c.fail("inner dimensions differ: " + c.input_type(0).to_string() + " x " +
                  c.input_type(1).to_string());
  TensorType ba{dt, std::vector<int64_t>(a.begin(), a.end() - 2)};
  TensorType bb{dt, std::vector<int64_t>(b.begin(), b.end() - 2)};
  auto batch = broadcast_types({&ba, &bb});
  if (!batch) return c.fail(batch.error().message());
  std::vector<int64_t> out = **batch;
  if (ra > 1) out.push_back(a[a.size() - 2]);
  if (rb > 1) out.push_back(b.back());
  return c.set_output(0, dt, std::move(out));
}

template <class T>
Status matmul_kernel(KernelContext& c) {
  using A = acc_t<T>;
  const Tensor& ta = c.input(0);
  const Tensor& tb = c.input(1);
  Tensor& y = c.output(0);
  Shape a = ta.shape(), b = tb.shape();
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  const int64_t M = a[a.size() - 2], K = a.back(), N = b.back();
  const Shape batch_a(a.begin(), a.end() - 2), batch_b(b.begin(), b.end() - 2);
  LEDGE_ASSIGN(const Shape batch, broadcast_shapes({batch_a, batch_b}));

  std::vector<A> a_buf, b_buf;
  const A* pa;
  const A* pb;
  if constexpr (std::is_same_v<T, A>) {
    pa = ta.data<T>();
    pb = tb.data<T>();
  } else {
    a_buf = to_acc_vector<A>(ta.data<T>(), ta.numel());
    b_buf = to_acc_vector<A>(tb.data<T>(), tb.numel());
    pa = a_buf.data();
    pb = b_buf.data();
  }
  std::vector<A> acc(static_cast<size_t>(M * N));
  T* py = y.data<T>();
  auto one = [&](int64_t i, int64_t oa, int64_t ob) {
    std::fill(acc.begin(), acc.end(), A(0));
    gemm_acc<A>(M, N, K, pa + oa * M * K, K, 1, pb + ob * K * N, N, acc.data(), N);
    T* yi = py + i * M * N;
    for (int64_t j = 0; j < M * N; ++j) yi[j] = from_acc<T>(acc[static_cast<size_t>(j)]);
  };
  if (batch.empty()) {
    one(0, 0, 0);
  } else {
    for_each_broadcast<2>(batch, {&batch_a, &batch_b},
                          [&](int64_t i, const std::array<int64_t, 2>& o) { one(i, o[0], o[1]); });
  }
  return Status();
}

Status run_matmul(KernelContext& c) {
  return dispatch<kMatMulTypes>(c.input(0).dtype(),
                                [&]<class T>() -> Status { return matmul_kernel<T>(c); });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(MatMul, ledge::infer_matmul, ledge::run_matmul)
