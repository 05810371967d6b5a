// Slice: numpy-style basic slicing with starts, ends, axes and steps.
//
// Before opset 10 starts/ends/axes are attributes and steps are 1; from opset 10 they are
// inputs 1-4. Out-of-range starts and ends are clamped, negative ones count from the end,
// negative steps walk backwards.
#include <limits>

#include "ops/tensor_common.h"

namespace ledge {
namespace {

struct SliceParams {
  std::vector<int64_t> starts, ends, axes, steps;
};

// The slice parameters, or nullopt when some are inputs not known yet.
Expected<std::optional<SliceParams>> slice_params(const InferContext& c, int64_t rank) {
  SliceParams p;
  if (c.opset() < 10 && !c.has_input(1)) {
    if (!c.has_attr("starts") || !c.has_attr("ends"))
      return c.fail("missing attribute 'starts' or 'ends'");
    p.starts = c.attr_ints("starts");
    p.ends = c.attr_ints("ends");
    p.axes = c.attr_ints("axes");
  } else {
    if (!c.has_input(1) || !c.has_input(2)) return c.fail("missing input 'starts' or 'ends'");
    auto s = known_ints(c, 1), e = known_ints(c, 2);
    auto a = c.has_input(3) ? known_ints(c, 3) : std::make_optional(std::vector<int64_t>{});
    auto st = c.has_input(4) ? known_ints(c, 4) : std::make_optional(std::vector<int64_t>{});
    if (!s || !e || !a || !st) return std::optional<SliceParams>();
    p.starts = *s;
    p.ends = *e;
    p.axes = *a;
    p.steps = *st;
  }
  const size_t n = p.starts.size();
  if (p.ends.size() != n) return c.fail("starts and ends have different lengths");
  if (p.axes.empty()) {
    if (static_cast<int64_t>(n) > rank) return c.fail("more starts than the input has dimensions");
    for (size_t i = 0; i < n; ++i) p.axes.push_back(static_cast<int64_t>(i));
  }
  if (p.steps.empty()) p.steps.assign(n, 1);
  if (p.axes.size() != n || p.steps.size() != n)
    return c.fail("starts, ends, axes and steps have different lengths");
  LEDGE_ASSIGN(p.axes, normalize_axes(c, p.axes, rank));
  for (int64_t s : p.steps)
    if (s == 0) return c.fail("steps cannot be 0");
  return std::optional<SliceParams>(std::move(p));
}

// Per input dimension: first index, step and count of the slice of a dimension of size dim.
struct AxisSlice {
  int64_t start = 0, step = 1, count = 0;
};

AxisSlice slice_axis(int64_t start, int64_t end, int64_t step, int64_t dim) {
  // Clamp before adding dim so INT64_MIN/INT64_MAX ("to the end") cannot overflow.
  auto clamp = [](int64_t v, int64_t lo, int64_t hi) { return std::min(std::max(v, lo), hi); };
  start = clamp(start, -dim - 1, dim + 1);
  end = clamp(end, -dim - 1, dim + 1);
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  AxisSlice a;
  a.step = step;
  if (step > 0) {
    start = clamp(start, 0, dim);
    end = clamp(end, 0, dim);
    a.count = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = clamp(start, 0, dim - 1);
    end = clamp(end, -1, dim - 1);
    a.count = start > end ? (start - end - step - 1) / -step : 0;
  }
  a.start = start;
  return a;
}

Status infer_slice(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "data"));
  for (size_t i = 1; i <= 4; ++i) LEDGE_TRY(require_index_input(c, i, "slice parameter"));
  const DType dtype = c.input_dtype(0);
  const auto* in = input_shape(c, 0);
  if (!in) return c.set_output_unknown(0, dtype);
  const int64_t rank = static_cast<int64_t>(in->size());
  LEDGE_ASSIGN(auto p, slice_params(c, rank));
  if (!p) {
    // Dimensions not named by known axes keep their size.
    std::vector<int64_t> out(in->size(), -1);
    if (c.has_input(3))
      if (auto axes = known_ints(c, 3)) {
        out = *in;
        LEDGE_ASSIGN(auto norm, normalize_axes(c, *axes, rank));
        for (int64_t a : norm) out[static_cast<size_t>(a)] = -1;
      }
    return c.set_output(0, TensorType{dtype, out});
  }
  std::vector<int64_t> out = *in;
  for (size_t i = 0; i < p->axes.size(); ++i) {
    const size_t a = static_cast<size_t>(p->axes[i]);
    if (out[a] >= 0) out[a] = slice_axis(p->starts[i], p->ends[i], p->steps[i], out[a]).count;
  }
  return c.set_output(0, TensorType{dtype, out});
}

Status run_slice(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  if (y.numel() == 0) return Status();
  // Infer validated the parameters; recompute them from the (now known) inputs.
  SliceParams p;
  if (c.opset() < 10 && !c.has_input(1)) {
    p.starts = c.attr_ints("starts");
    p.ends = c.attr_ints("ends");
    p.axes = c.attr_ints("axes");
  } else {
    p.starts = c.input(1).to_int64_vector();
    p.ends = c.input(2).to_int64_vector();
    if (c.has_input(3)) p.axes = c.input(3).to_int64_vector();
    if (c.has_input(4)) p.steps = c.input(4).to_int64_vector();
  }
  const size_t rank = x.shape().size();
  std::vector<AxisSlice> ax(rank);
  for (size_t d = 0; d < rank; ++d) ax[d].count = x.shape()[d];
  for (size_t i = 0; i < p.starts.size(); ++i) {
    int64_t a = p.axes.empty() ? static_cast<int64_t>(i) : p.axes[i];
    if (a < 0) a += static_cast<int64_t>(rank);
    const int64_t step = p.steps.empty() ? 1 : p.steps[i];
    ax[static_cast<size_t>(a)] = slice_axis(p.starts[i], p.ends[i], step, x.shape()[a]);
  }
  for (size_t d = 0; d < rank; ++d)
    if (ax[d].count != y.shape()[d]) return internal_error("Slice: shape mismatch");
  const auto st = strides_of(x.shape());
  return dispatch_word(x.dtype(), [&]<class W>() {
    const W* px = x.data<W>();
    W* py = y.data<W>();
    int64_t off = 0;
    for (size_t d = 0; d < rank; ++d) off += ax[d].start * st[d];
    std::vector<int64_t> idx(rank, 0);
    for (int64_t i = 0; i < y.numel(); ++i) {
      py[i] = px[off];
      for (size_t d = rank; d-- > 0;) {
        if (++idx[d] < ax[d].count) {
          off += ax[d].step * st[d];
          break;
        }
        off -= ax[d].step * st[d] * (ax[d].count - 1);
        idx[d] = 0;
      }
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Slice, ledge::infer_slice, ledge::run_slice)
