// The Reduce* family: ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceMax,
// ReduceMean, ReduceMin, ReduceProd, ReduceSum, ReduceSumSquare.
//
// The axes come from the `axes` attribute, or from the optional second input (ReduceSum from
// opset 13). No axes means all of them, unless noop_with_empty_axes=1 (ReduceSum-13), which
// makes the operator the identity. keepdims (default 1) keeps reduced axes with size 1.
//
// Floating-point reductions accumulate in double. Integer sums and products wrap like the
// element type; integer results of real-valued reductions (mean, L2, logs) are truncated.
// Reducing an empty set gives the identity of the reduction (0, 1, -inf for Max and the
// logs, +inf for Min, NaN for a floating-point mean).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "ops/nn_common.h"

namespace ledge {
namespace {

enum class Reduce { kL1, kL2, kLogSum, kLogSumExp, kMax, kMean, kMin, kProd, kSum, kSumSquare };

constexpr TypeSet kReduceTypes = TypeSet::kFloat | TypeSet::kSigned | TypeSet::kUnsigned;

// What a node asks for, with the axes resolved against the input rank.
struct ReducePlan {
  bool identity = false;  // noop_with_empty_axes with no axes
  bool keepdims = true;
  std::vector<bool> reduced;  // per input axis
};

// Reads the axes; nullopt in `axes` when they come from an input whose value is unknown.
Expected<std::optional<std::vector<int64_t>>> read_axes(const NodeContext& c,
                                                        const Tensor* axes_input,
                                                        bool has_axes_input) {
  if (has_axes_input) {
    if (!axes_input) return std::optional<std::vector<int64_t>>();
    if (axes_input->dtype() != DType::kInt64) return c.fail("axes must be int64");
    if (axes_input->rank() > 1) return c.fail("axes must be a 1-D tensor");
    return std::optional<std::vector<int64_t>>(axes_input->to_int64_vector());
  }
  return std::optional<std::vector<int64_t>>(c.attr_ints("axes"));
}

Expected<ReducePlan> make_plan(const NodeContext& c, const std::vector<int64_t>& axes,
                               int64_t rank) {
  ReducePlan p;
  p.keepdims = c.attr_int("keepdims", 1) != 0;
  if (axes.empty() && c.attr_int("noop_with_empty_axes", 0) != 0) {
    p.identity = true;
    return p;
  }
  p.reduced.assign(static_cast<size_t>(rank), axes.empty());
  for (int64_t a : axes) {
    LEDGE_ASSIGN(const int64_t axis, existing_axis(c, a, rank));
    p.reduced[static_cast<size_t>(axis)] = true;
  }
  return p;
}

template <Reduce kind>
Status infer_reduce(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  const DType dt = c.input_dtype(0);
  if (dt == DType::kBool) return c.fail_unsupported("reductions do not take bool");
  const bool has_axes_input = c.has_input(1);
  if (has_axes_input && c.input_dtype(1) != DType::kUndefined && c.input_dtype(1) != DType::kInt64)
    return c.fail("axes must be int64");
  const int64_t rank = c.input_rank(0);
  LEDGE_ASSIGN(auto axes, read_axes(c, c.input_value(1), has_axes_input));
  const bool keepdims = c.attr_int("keepdims", 1) != 0;
  if (rank < 0) return c.set_output_unknown(0, dt);
  if (!axes) {
    if (keepdims) return c.set_output_unknown(0, dt, rank);
    return c.set_output_unknown(0, dt);
  }
  LEDGE_ASSIGN(const ReducePlan p, make_plan(c, *axes, rank));
  if (p.identity) return c.set_output(0, c.input_type(0));
  const std::vector<int64_t>& xd = *c.input_type(0).shape;
  std::vector<int64_t> out;
  for (size_t i = 0; i < xd.size(); ++i) {
    if (!p.reduced[i])
      out.push_back(xd[i]);
    else if (p.keepdims)
      out.push_back(1);
  }
  return c.set_output(0, dt, std::move(out));
}

template <Reduce kind, class T>
void reduce_kernel(const Tensor& x, const Shape& kept, Tensor& y) {
  const int64_t groups = numel(kept);
  const int64_t count = groups == 0 ? 0 : x.numel() / groups;
  const T* px = x.data<T>();
  T* py = y.data<T>();
  auto each = [&](auto&& f) {
    for_each_broadcast<1>(x.shape(), {&kept}, [&](int64_t i, const std::array<int64_t, 1>& g) {
      f(px[i], static_cast<size_t>(g[0]));
    });
  };
  using C = compute_t<T>;
  if constexpr (kind == Reduce::kMax || kind == Reduce::kMin) {
    // Extremes compare in the element type; a NaN wins, as in numpy.
    C init;
    if constexpr (is_floating_v<T>)
      init = (kind == Reduce::kMax ? -1 : 1) * std::numeric_limits<C>::infinity();
    else
      init =
          kind == Reduce::kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
    std::vector<C> acc(static_cast<size_t>(groups), init);
    each([&](T v, size_t g) {
      const C cv = static_cast<C>(v);
      if constexpr (is_floating_v<T>)
        if (std::isnan(cv)) {
          acc[g] = cv;
          return;
        }
      if (kind == Reduce::kMax ? cv > acc[g] : cv < acc[g]) {
        if constexpr (is_floating_v<T>)
          if (std::isnan(acc[g])) return;
        acc[g] = cv;
      }
    });
    for (int64_t g = 0; g < groups; ++g) py[g] = static_cast<T>(acc[static_cast<size_t>(g)]);
  } else if constexpr (!is_floating_v<T> && (kind == Reduce::kSum || kind == Reduce::kProd ||
                                             kind == Reduce::kSumSquare || kind == Reduce::kL1)) {
    // Integer sums and products wrap around like the element type.
    std::vector<uint64_t> acc(static_cast<size_t>(groups), kind == Reduce::kProd ? 1 : 0);
    each([&](T v, size_t g) {
      const uint64_t u = static_cast<uint64_t>(v);
      if constexpr (kind == Reduce::kSum) acc[g] += u;
      if constexpr (kind == Reduce::kProd) acc[g] *= u;
      if constexpr (kind == Reduce::kSumSquare) acc[g] += u * u;
      if constexpr (kind == Reduce::kL1) {
        if constexpr (std::is_signed_v<T>)
          acc[g] += v < 0 ? uint64_t(0) - u : u;
        else
          acc[g] += u;
      }
    });
    for (int64_t g = 0; g < groups; ++g) py[g] = from_acc<T>(acc[static_cast<size_t>(g)]);
  } else {
    std::vector<double> acc(static_cast<size_t>(groups), kind == Reduce::kProd ? 1.0 : 0.0);
    std::vector<double> shift;  // LogSumExp subtracts the group maximum for stability
    if constexpr (kind == Reduce::kLogSumExp) {
      shift.assign(static_cast<size_t>(groups), -std::numeric_limits<double>::infinity());
      each([&](T v, size_t g) {
        shift[g] = std::max(shift[g], static_cast<double>(static_cast<C>(v)));
      });
      for (double& s : shift)
        if (std::isinf(s)) s = 0;  // all -inf (or +inf present): no shift needed
    }
    each([&](T v, size_t g) {
      const double d = static_cast<double>(static_cast<C>(v));
      if constexpr (kind == Reduce::kL1) acc[g] += std::fabs(d);
      if constexpr (kind == Reduce::kL2 || kind == Reduce::kSumSquare) acc[g] += d * d;
      if constexpr (kind == Reduce::kLogSum || kind == Reduce::kSum || kind == Reduce::kMean)
        acc[g] += d;
      if constexpr (kind == Reduce::kLogSumExp) acc[g] += std::exp(d - shift[g]);
      if constexpr (kind == Reduce::kProd) acc[g] *= d;
    });
    for (int64_t g = 0; g < groups; ++g) {
      const size_t k = static_cast<size_t>(g);
      double r = acc[k];
      if constexpr (kind == Reduce::kL2) r = std::sqrt(r);
      if constexpr (kind == Reduce::kLogSum) r = std::log(r);
      if constexpr (kind == Reduce::kLogSumExp) r = std::log(r) + shift[k];
      if constexpr (kind == Reduce::kMean) r = r / static_cast<double>(count);
      py[g] = saturate_cast<T>(r);
    }
  }
}

template <Reduce kind>
Status run_reduce(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(auto axes, read_axes(c, c.input_or_null(1), c.has_input(1)));
  LEDGE_ASSIGN(const ReducePlan p, make_plan(c, *axes, x.rank()));
  if (p.identity) {
    if (x.nbytes() > 0) std::memcpy(y.raw(), x.raw(), x.nbytes());
    return Status();
  }
  Shape kept = x.shape();
  for (size_t i = 0; i < kept.size(); ++i)
    if (p.reduced[i]) kept[i] = 1;
  return dispatch<kReduceTypes>(x.dtype(), [&]<class T>() { reduce_kernel<kind, T>(x, kept, y); });
}

}  // namespace
}  // namespace ledge

#define LEDGE_DEFINE_REDUCE(Name, kind)                           \
  LEDGE_DEFINE_OP(Name, ledge::infer_reduce<ledge::Reduce::kind>, \
                  ledge::run_reduce<ledge::Reduce::kind>)
LEDGE_DEFINE_REDUCE(ReduceL1, kL1)
LEDGE_DEFINE_REDUCE(ReduceL2, kL2)
LEDGE_DEFINE_REDUCE(ReduceLogSum, kLogSum)
LEDGE_DEFINE_REDUCE(ReduceLogSumExp, kLogSumExp)
LEDGE_DEFINE_REDUCE(ReduceMax, kMax)
LEDGE_DEFINE_REDUCE(ReduceMean, kMean)
LEDGE_DEFINE_REDUCE(ReduceMin, kMin)
LEDGE_DEFINE_REDUCE(ReduceProd, kProd)
LEDGE_DEFINE_REDUCE(ReduceSum, kSum)
LEDGE_DEFINE_REDUCE(ReduceSumSquare, kSumSquare)
