// Pad: pads (or, with negative pads, crops) each dimension, filling with a constant or
// with values taken from the input (reflect, edge; wrap from opset 19).
//
// Pad-1 had attributes 'paddings' and 'value', Pad-2 'pads' and 'value'; from opset 11
// pads and the constant are inputs 1 and 2, and opset 18 added 'axes' as input 3.
// Negative pads first crop the input; reflect and edge then work on what is left.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

Expected<PadMode> pad_mode(const NodeContext& c) {
  const std::string m = c.attr_string("mode", "constant");
  if (m == "constant") return PadMode::kConstant;
  if (m == "reflect") return PadMode::kReflect;
  if (m == "edge") return PadMode::kEdge;
  if (m == "wrap") return PadMode::kWrap;
  return c.fail("unknown mode '" + m + "'");
}

// Pads as [begin_0, ..., begin_{r-1}, end_0, ..., end_{r-1}], or nullopt when not known yet.
Expected<std::optional<std::vector<int64_t>>> pads_of(const InferContext& c, int64_t rank) {
  using Result = std::optional<std::vector<int64_t>>;
  std::vector<int64_t> raw;
  if (c.opset() < 11 && !c.has_input(1)) {
    const char* name = c.has_attr("paddings") ? "paddings" : "pads";
    if (!c.has_attr(name)) return c.fail("missing attribute 'pads'");
    raw = c.attr_ints(name);
  } else {
    if (!c.has_input(1)) return c.fail("missing input 'pads'");
    auto v = known_ints(c, 1);
    if (!v) return Result();
    raw = *v;
  }
  std::vector<int64_t> axes;
  if (c.has_input(3)) {
    auto a = known_ints(c, 3);
    if (!a) return Result();
    LEDGE_ASSIGN(axes, normalize_axes(c, *a, rank));
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  const size_t n = axes.size();
  if (raw.size() != 2 * n)
    return c.fail("pads has " + std::to_string(raw.size()) + " entries, expected " +
                  std::to_string(2 * n));
  std::vector<int64_t> pads(2 * static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < n; ++i) {
    pads[static_cast<size_t>(axes[i])] = raw[i];
    pads[static_cast<size_t>(axes[i] + rank)] = raw[i + n];
  }
  return Result(pads);
}

Status infer_pad(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "data"));
  LEDGE_TRY(require_index_input(c, 1, "pads"));
  LEDGE_TRY(require_index_input(c, 3, "axes"));
  LEDGE_TRY(pad_mode(c).status());
  const DType dtype = c.input_dtype(0);
  if (c.has_input(2) && c.input_dtype(2) != DType::kUndefined && dtype != DType::kUndefined &&
      c.input_dtype(2) != dtype)
    return c.fail("constant_value and data have different element types");
  const auto* in = input_shape(c, 0);
  if (!in) return c.set_output_unknown(0, dtype);
  const int64_t rank = static_cast<int64_t>(in->size());
  LEDGE_ASSIGN(auto pads, pads_of(c, rank));
  if (!pads) return c.set_output_unknown(0, dtype, rank);
  std::vector<int64_t> out = *in;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] < 0) continue;
    const int64_t b = (*pads)[i], e = (*pads)[i + out.size()];
    int64_t d;
    if (__builtin_add_overflow(out[i], b, &d) || __builtin_add_overflow(d, e, &d))
      return c.fail("pads are too large");
    if (d < 0 || out[i] + std::min<int64_t>(b, 0) + std::min<int64_t>(e, 0) < 0)
      return c.fail("pads crop dimension " + std::to_string(i) + " below zero");
    out[i] = d;
  }
  return c.set_output(0, TensorType{dtype, out});
}

Status run_pad(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(PadMode mode, pad_mode(c));
  // Infer checked the pads; recover them from the shapes and the inputs.
  std::vector<int64_t> raw;
  if (c.opset() < 11 && !c.has_input(1))
    raw = c.attr_ints(c.has_attr("paddings") ? "paddings" : "pads");
  else
    raw = c.input(1).to_int64_vector();
  const size_t rank = x.shape().size();
  std::vector<int64_t> begin(rank, 0);
  if (c.has_input(3)) {
    const auto axes = c.input(3).to_int64_vector();
    for (size_t i = 0; i < axes.size(); ++i)
      begin[static_cast<size_t>(axes[i] < 0 ? axes[i] + static_cast<int64_t>(rank) : axes[i])] =
          raw[i];
  } else {
    for (size_t i = 0; i < rank; ++i) begin[i] = raw[i];
  }
  if (y.numel() == 0) return Status();
  // Per dimension: the input range kept after cropping, and the padding before it.
  std::vector<int64_t> lo(rank), len(rank), pad_lo(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t end = y.shape()[d] - x.shape()[d] - begin[d];
    lo[d] = std::max<int64_t>(0, -begin[d]);
    len[d] = x.shape()[d] - lo[d] - std::max<int64_t>(0, -end);
    pad_lo[d] = std::max<int64_t>(0, begin[d]);
    if (len[d] == 0 && y.shape()[d] > 0 && mode != PadMode::kConstant)
      return c.fail("cannot pad an empty dimension in this mode");
  }
  // Input coordinate of output coordinate o along d, or -1 for the constant.
  auto source = [&](size_t d, int64_t o) -> int64_t {
    int64_t i = o - pad_lo[d];
    const int64_t n = len[d];
    if (i >= 0 && i < n) return lo[d] + i;
    switch (mode) {
      case PadMode::kConstant:
        return -1;
      case PadMode::kEdge:
        i = i < 0 ? 0 : n - 1;
        break;
      case PadMode::kWrap:
        i = ((i % n) + n) % n;
        break;
      case PadMode::kReflect: {
        if (n == 1) {
          i = 0;
          break;
        }
        const int64_t period = 2 * (n - 1);
        i = ((i % period) + period) % period;
        if (i >= n) i = period - i;
        break;
      }
    }
    return lo[d] + i;
  };
  const auto st = strides_of(x.shape());
  return dispatch(x.dtype(), [&]<class T>() {
    T value{};
    if (c.has_input(2) && c.input(2).numel() > 0)
      value = c.input(2).data<T>()[0];
    else if (c.opset() < 11)
      value = static_cast<T>(c.attr_float("value", 0.f));
    const T* px = x.data<T>();
    T* py = y.data<T>();
    // Precompute the source coordinate of every output coordinate, per dimension.
    std::vector<std::vector<int64_t>> src(rank);
    for (size_t d = 0; d < rank; ++d)
      for (int64_t o = 0; o < y.shape()[d]; ++o) src[d].push_back(source(d, o));
    std::vector<int64_t> idx(rank, 0);
    for (int64_t i = 0; i < y.numel(); ++i) {
      int64_t off = 0;
      bool inside = true;
      for (size_t d = 0; d < rank && inside; ++d) {
        const int64_t s = src[d][static_cast<size_t>(idx[d])];
        if (s < 0)
          inside = false;
        else
          off += s * st[d];
      }
      py[i] = inside ? px[off] : value;
      next_index(idx, y.shape());
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Pad, ledge::infer_pad, ledge::run_pad)
