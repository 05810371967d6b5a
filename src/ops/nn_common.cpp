#include "ops/nn_common.h"

#include <algorithm>

namespace ledge {

namespace {

std::string ints_to_string(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

}  // namespace

Expected<std::vector<int64_t>> read_kernel_shape(const NodeContext& c, int64_t rank,
                                                 bool required) {
  if (!c.has_attr("kernel_shape")) {
    if (required) return c.fail("missing attribute kernel_shape");
    return std::vector<int64_t>();
  }
  std::vector<int64_t> k = c.attr_ints("kernel_shape");
  if (static_cast<int64_t>(k.size()) != rank)
    return c.fail("kernel_shape " + ints_to_string(k) + " does not have " + std::to_string(rank) +
                  " spatial dimensions");
  for (int64_t v : k)
    if (v < 1 || v > kMaxWindowValue)
      return c.fail("kernel_shape " + ints_to_string(k) + " has a value out of range");
  return k;
}

Expected<Window> read_window(const NodeContext& c, int64_t rank, std::vector<int64_t> kernel,
                             bool has_dilations, bool has_ceil_mode) {
  Window w;
  w.rank = rank;
  w.kernel = std::move(kernel);
  const size_t r = static_cast<size_t>(rank);
  if (w.kernel.size() != r) return c.fail("kernel has the wrong number of dimensions");
  w.strides = c.attr_ints("strides", std::vector<int64_t>(r, 1));
  if (w.strides.size() != r)
    return c.fail("strides " + ints_to_string(w.strides) + " does not have " +
                  std::to_string(rank) + " values");
  for (int64_t s : w.strides)
    if (s < 1 || s > kMaxWindowValue)
      return c.fail("strides " + ints_to_string(w.strides) + " has a value out of range");
  w.dilations = std::vector<int64_t>(r, 1);
  if (has_dilations) w.dilations = c.attr_ints("dilations", w.dilations);
  if (w.dilations.size() != r)
    return c.fail("dilations " + ints_to_string(w.dilations) + " does not have " +
                  std::to_string(rank) + " values");
  for (int64_t d : w.dilations)
    if (d < 1 || d > kMaxWindowValue)
      return c.fail("dilations " + ints_to_string(w.dilations) + " has a value out of range");
  w.auto_pad = c.attr_string("auto_pad", "NOTSET");
  if (w.auto_pad != "NOTSET" && w.auto_pad != "SAME_UPPER" && w.auto_pad != "SAME_LOWER" &&
      w.auto_pad != "VALID")
    return c.fail("unknown auto_pad '" + w.auto_pad + "'");
  w.pads = std::vector<int64_t>(2 * r, 0);
  // Explicit pads only apply without auto_pad; some exporters write both.
  if (w.auto_pad == "NOTSET") w.pads = c.attr_ints("pads", w.pads);
  if (w.pads.size() != 2 * r)
    return c.fail("pads " + ints_to_string(w.pads) + " does not have " + std::to_string(2 * rank) +
                  " values");
  for (int64_t p : w.pads)
    if (p < 0 || p > kMaxWindowValue)
      return c.fail("pads " + ints_to_string(w.pads) + " has a value out of range");
  if (has_ceil_mode) {
    const int64_t cm = c.attr_int("ceil_mode", 0);
    if (cm != 0 && cm != 1) return c.fail("ceil_mode must be 0 or 1");
    w.ceil_mode = cm == 1;
  }
  return w;
}

Expected<Extent> window_extent(const NodeContext& c, const Window& w, size_t i, int64_t in) {
  Extent e;
  const int64_t k = w.kernel[i], s = w.strides[i], d = w.dilations[i];
  if (w.auto_pad == "NOTSET") {
    e.pad_begin = w.pads[i];
    e.pad_end = w.pads[i + static_cast<size_t>(w.rank)];
  }
  if (in < 0 || k < 0) return e;
  if (in > kMaxSpatialSize || k > kMaxWindowValue)
    return c.fail("spatial dimension " + std::to_string(i) + " is too large");
  const int64_t ek = (k - 1) * d + 1;  // extent of the dilated kernel
  if (w.auto_pad == "SAME_UPPER" || w.auto_pad == "SAME_LOWER") {
    e.out = (in + s - 1) / s;
    const int64_t total = std::max<int64_t>(0, (e.out - 1) * s + ek - in);
    // SAME_UPPER puts the odd padding element at the end, SAME_LOWER at the beginning.
    e.pad_begin = w.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    e.pad_end = total - e.pad_begin;
    return e;
  }
  const int64_t padded = in + e.pad_begin + e.pad_end;
  if (padded < ek)
    return c.fail("the window (extent " + std::to_string(ek) +
                  ") is larger than the padded input (" + std::to_string(padded) +
                  ") along spatial dimension " + std::to_string(i));
  if (w.ceil_mode && w.auto_pad == "NOTSET") {
    e.out = (padded - ek + s - 1) / s + 1;
    // A last window that would start inside the end padding is dropped (as PyTorch does).
    if ((e.out - 1) * s >= in + e.pad_begin) --e.out;
  } else {
    e.out = (padded - ek) / s + 1;
  }
  return e;
}

Expected<int64_t> existing_axis(const NodeContext& c, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return c.fail("axis " + std::to_string(axis) + " is out of range for rank " +
                  std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Status require_float(const InferContext& c, size_t i) {
  const DType t = c.input_dtype(i);
  if (t != DType::kUndefined && !dtype_is_float(t))
    return c.fail_unsupported("input " + std::to_string(i) + " has element type " +
                              std::string(dtype_name(t)) + ", expected a floating-point type");
  return Status();
}

Status require_same_type(const InferContext& c, size_t i) {
  const DType a = c.input_dtype(0), b = c.input_dtype(i);
  if (a != DType::kUndefined && b != DType::kUndefined && a != b)
    return c.fail("input " + std::to_string(i) + " has element type " + std::string(dtype_name(b)) +
                  ", input 0 has " + std::string(dtype_name(a)));
  return Status();
}

Status check_scratch(const NodeContext& c, double elements, size_t elem_size) {
  if (!(elements >= 0) ||
      elements * static_cast<double>(elem_size) > static_cast<double>(tensor_byte_limit()))
    return resource_limit("node " + c.node().label() + ": needs a scratch buffer of " +
                          std::to_string(static_cast<int64_t>(elements)) +
                          " elements, over the tensor size limit");
  return Status();
}

std::vector<int64_t> dims_or_unknown(const TensorType& t, int64_t rank) {
  if (t.shape) return *t.shape;
  return std::vector<int64_t>(static_cast<size_t>(std::max<int64_t>(rank, 0)), -1);
}

Expected<int64_t> conv_input_rank(const InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_input(c, 1));
  LEDGE_TRY(require_float(c, 0));
  LEDGE_TRY(require_same_type(c, 1));
  if (c.has_input(2)) LEDGE_TRY(require_same_type(c, 2));
  int64_t rank = c.input_rank(0);
  if (rank < 0) rank = c.input_rank(1);
  if (rank < 0) return int64_t{-1};
  if (rank < 3) return c.fail("input X has rank " + std::to_string(rank) + ", expected 3 or more");
  if (c.input_rank(1) >= 0 && c.input_rank(1) != rank)
    return c.fail("weight W has rank " + std::to_string(c.input_rank(1)) + ", X has rank " +
                  std::to_string(rank));
  return rank;
}

}  // namespace ledge
