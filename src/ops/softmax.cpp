// Softmax, LogSoftmax and Hardmax.
//
// Before opset 13 the input is coerced to 2-D at `axis` (default 1) and the operator works on
// each row of prod(dims[axis:]) elements; from opset 13 it works along the one axis `axis`
// (default -1).
#include <algorithm>

#include "ops/elementwise_common.h"

namespace ledge {
namespace {

enum class Kind { kSoftmax, kLogSoftmax, kHardmax };

// The input viewed as [outer, n, inner], the operator working along n.
struct Layout {
  int64_t outer = 1, n = 1, inner = 1;
};

Expected<Layout> layout_of(const NodeContext& c, const Shape& shape) {
  const bool per_axis = c.opset() >= 13;
  const int64_t rank = static_cast<int64_t>(shape.size());
  auto axis = normalize_axis(c.attr_int("axis", per_axis ? -1 : 1), rank);
  if (!axis) return c.fail(axis.error().message());
  Layout l;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t s = shape[static_cast<size_t>(d)];
    if (d < *axis)
      l.outer *= s;
    else if (d == *axis || !per_axis)
      l.n *= s;
    else
      l.inner *= s;
  }
  return l;
}

Status infer_softmax(InferContext& c) {
  LEDGE_TRY(infer_unary(c, TypeSet::kFloat));
  const int64_t rank = c.input_rank(0);
  if (rank >= 0) {
    auto axis = normalize_axis(c.attr_int("axis", c.opset() >= 13 ? -1 : 1), rank);
    if (!axis) return c.fail(axis.error().message());
  }
  return Status();
}

template <Kind kind>
Status run_softmax(KernelContext& c) {
  const Tensor& x = c.input(0);
  LEDGE_ASSIGN(const Layout l, layout_of(c, x.shape()));
  return dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() {
    using C = compute_t<T>;
    const T* px = x.data<T>();
    T* py = c.output(0).data<T>();
    std::vector<C> row(static_cast<size_t>(l.n));
    for (int64_t o = 0; o < l.outer; ++o) {
      for (int64_t in = 0; in < l.inner; ++in) {
        const int64_t base = o * l.n * l.inner + in;
        auto at = [&](int64_t k) { return base + k * l.inner; };
        C mx = -std::numeric_limits<C>::infinity();
        int64_t arg = 0;
        for (int64_t k = 0; k < l.n; ++k) {
          row[static_cast<size_t>(k)] = static_cast<C>(px[at(k)]);
          if (row[static_cast<size_t>(k)] > mx || k == 0) {
            mx = row[static_cast<size_t>(k)];
            arg = k;
          }
        }
        if constexpr (kind == Kind::kHardmax) {
          // One-hot of the first maximum; the output was zero-filled.
          if (l.n > 0) py[at(arg)] = static_cast<T>(C(1));
        } else {
          // Subtracting the maximum keeps exp from overflowing.
          double sum = 0;
          for (int64_t k = 0; k < l.n; ++k)
            sum += std::exp(static_cast<double>(row[static_cast<size_t>(k)]) - mx);
          const double log_sum = std::log(sum);
          for (int64_t k = 0; k < l.n; ++k) {
            const double d = static_cast<double>(row[static_cast<size_t>(k)]) - mx;
            py[at(k)] = narrow_float<T>(kind == Kind::kSoftmax ? std::exp(d) / sum : d - log_sum);
          }
        }
      }
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Hardmax, ledge::infer_softmax, ledge::run_softmax<ledge::Kind::kHardmax>)
LEDGE_DEFINE_OP(LogSoftmax, ledge::infer_softmax, ledge::run_softmax<ledge::Kind::kLogSoftmax>)
LEDGE_DEFINE_OP(Softmax, ledge::infer_softmax, ledge::run_softmax<ledge::Kind::kSoftmax>)
