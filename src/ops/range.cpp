// Range: start, start + delta, ... up to (excluding) limit, from three scalars.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

constexpr TypeSet kRangeTypes = TypeSet::kFloat | TypeSet::kSigned;

// Number of elements: max(ceil((limit - start) / delta), 0).
Expected<int64_t> range_count(const NodeContext& c, const Tensor& start, const Tensor& limit,
                              const Tensor& delta) {
  if (start.numel() != 1 || limit.numel() != 1 || delta.numel() != 1)
    return c.fail("start, limit and delta must be scalars");
  const long double s = start.as_double(0), l = limit.as_double(0), d = delta.as_double(0);
  if (start.dtype() == DType::kInt64) {
    // Large int64 values are not exact as doubles: compute in integers where they fit.
    const int64_t si = start.as_int64(0), li = limit.as_int64(0), di = delta.as_int64(0);
    int64_t diff = 0;
    if (di == 0) return c.fail("delta cannot be 0");
    if (!__builtin_sub_overflow(li, si, &diff) && di != -1) {
      int64_t n = diff / di;
      if (n * di != diff && ((diff < 0) == (di < 0))) ++n;  // ceil of a positive quotient
      return std::max<int64_t>(n, 0);
    }
  }
  if (d == 0) return c.fail("delta cannot be 0");
  if (std::isnan(s) || std::isnan(l) || std::isnan(d)) return c.fail("range bounds are NaN");
  const long double n = std::ceil((l - s) / d);
  if (n <= 0) return int64_t{0};
  if (!(n < 9.2e18L)) return c.fail("range is too long");
  return static_cast<int64_t>(n);
}

Status infer_range(InferContext& c) {
  for (size_t i = 0; i < 3; ++i) LEDGE_TRY(require_input(c, i));
  const DType dtype = c.input_dtype(0);
  for (size_t i = 1; i < 3; ++i)
    if (c.input_dtype(i) != dtype && c.input_dtype(i) != DType::kUndefined)
      return c.fail("start, limit and delta have different element types");
  if (dtype != DType::kUndefined && dtype != DType::kFloat32 && dtype != DType::kFloat64 &&
      dtype != DType::kInt16 && dtype != DType::kInt32 && dtype != DType::kInt64)
    return c.fail("Range does not take " + std::string(dtype_name(dtype)) + " inputs");
  const Tensor *s = known_value(c, 0), *l = known_value(c, 1), *d = known_value(c, 2);
  if (!s || !l || !d) return c.set_output_unknown(0, dtype, 1);
  LEDGE_ASSIGN(int64_t n, range_count(c, *s, *l, *d));
  return c.set_output(0, dtype, {n});
}

Status run_range(KernelContext& c) {
  Tensor& y = c.output(0);
  const Tensor &s = c.input(0), &d = c.input(2);
  return dispatch<kRangeTypes>(y.dtype(), [&]<class T>() {
    T* py = y.data<T>();
    if constexpr (is_floating_v<T>) {
      const double start = s.as_double(0), delta = d.as_double(0);
      for (int64_t i = 0; i < y.numel(); ++i)
        py[i] = static_cast<T>(start + static_cast<double>(i) * delta);
    } else {
      // In uint64 so that the arithmetic wraps instead of overflowing.
      const uint64_t start = static_cast<uint64_t>(s.as_int64(0));
      const uint64_t delta = static_cast<uint64_t>(d.as_int64(0));
      for (int64_t i = 0; i < y.numel(); ++i)
        py[i] = static_cast<T>(start + static_cast<uint64_t>(i) * delta);
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Range, ledge::infer_range, ledge::run_range)
