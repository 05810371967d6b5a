// Operators that only change the shape of a tensor, not its elements: Reshape, Flatten,
// Squeeze, Unsqueeze. Their kernels return a view of the input's storage.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

// Output 0 = input 0 with the inferred (static) output shape, sharing storage.
Status run_view(KernelContext& c) {
  LEDGE_ASSIGN(Tensor t, c.input(0).reshaped(c.output(0).shape()));
  c.set_output(0, std::move(t));
  return Status();
}

// ---- Reshape ---------------------------------------------------------------------------

Status infer_reshape(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "data"));
  const DType dtype = c.input_dtype(0);
  // Reshape-1 carried the target shape as an attribute; from opset 5 it is input 1.
  std::optional<std::vector<int64_t>> target;
  if (c.has_input(1)) {
    LEDGE_TRY(require_index_input(c, 1, "shape"));
    target = known_ints(c, 1);
    if (!target) {
      const auto* s = input_shape(c, 1);
      if (s && s->size() == 1 && (*s)[0] >= 0) return c.set_output_unknown(0, dtype, (*s)[0]);
      return c.set_output_unknown(0, dtype);
    }
  } else if (c.has_attr("shape")) {
    target = c.attr_ints("shape");
  } else {
    return c.fail("missing the target shape (input 1)");
  }
  const bool allowzero = c.attr_int("allowzero", 0) != 0;
  const auto* in = input_shape(c, 0);
  std::vector<int64_t> out = *target;
  int64_t infer_at = -1;
  bool has_zero = false;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer_at >= 0) return c.fail("shape has more than one -1");
      infer_at = static_cast<int64_t>(i);
    } else if (out[i] < -1) {
      return c.fail("shape has invalid dimension " + std::to_string(out[i]));
    } else if (out[i] == 0) {
      has_zero = true;
      if (allowzero) continue;
      // 0 copies the input's dimension at the same position.
      if (in && i >= in->size())
        return c.fail("shape copies dimension " + std::to_string(i) + " (0) of an input of rank " +
                      std::to_string(in->size()));
      out[i] = in ? (*in)[i] : -1;
    }
  }
  if (allowzero && has_zero && infer_at >= 0)
    return c.fail("with allowzero, shape cannot contain both 0 and -1");
  if (!in) return c.set_output(0, TensorType{dtype, out});
  const int64_t total = known_numel(*in);
  // Product of the output's known dimensions, excluding the one to infer.
  int64_t rest = 1;
  bool rest_known = true;
  for (size_t i = 0; i < out.size(); ++i) {
    if (static_cast<int64_t>(i) == infer_at) continue;
    if (out[i] < 0)
      rest_known = false;
    else if (__builtin_mul_overflow(rest, out[i], &rest))
      return c.fail("shape " + shape_to_string(out) + " has too many elements");
  }
  if (infer_at >= 0) {
    if (total >= 0 && rest_known) {
      if (rest == 0) {
        if (total != 0)
          return c.fail("cannot infer -1 in shape: the other dimensions multiply to 0");
        out[static_cast<size_t>(infer_at)] = 0;
      } else {
        if (total % rest != 0)
          return c.fail("cannot reshape " + shape_to_string(*in) + " to " +
                        shape_to_string(*target));
        out[static_cast<size_t>(infer_at)] = total / rest;
      }
    }
  } else if (total >= 0 && rest_known && total != rest) {
    return c.fail("cannot reshape " + shape_to_string(*in) + " (" + std::to_string(total) +
                  " elements) to " + shape_to_string(out));
  }
  return c.set_output(0, TensorType{dtype, out});
}

// ---- Flatten ---------------------------------------------------------------------------

Status infer_flatten(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0));
  const DType dtype = c.input_dtype(0);
  const auto* in = input_shape(c, 0);
  if (!in) return c.set_output_unknown(0, dtype, 2);
  const int64_t rank = static_cast<int64_t>(in->size());
  int64_t axis = c.attr_int("axis", 1);
  // Unlike most axes, axis == rank is valid (everything goes to the first dimension).
  if (axis < -rank || axis > rank)
    return c.fail("axis " + std::to_string(axis) + " is out of range for rank " +
                  std::to_string(rank));
  if (axis < 0) axis += rank;
  const std::vector<int64_t> head(in->begin(), in->begin() + axis);
  const std::vector<int64_t> tail(in->begin() + axis, in->end());
  return c.set_output(0, dtype, {known_numel(head), known_numel(tail)});
}

// ---- Squeeze ---------------------------------------------------------------------------

Status infer_squeeze(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "data"));
  LEDGE_TRY(require_index_input(c, 1, "axes"));
  const DType dtype = c.input_dtype(0);
  const auto* in = input_shape(c, 0);
  const auto axes = axes_attr_or_input(c, 1);
  if (!in || !axes) {
    // Rank is known when both the input rank and the number of axes are.
    const auto* as = input_shape(c, 1);
    if (in && as && as->size() == 1 && (*as)[0] >= 0)
      return c.set_output_unknown(0, dtype, static_cast<int64_t>(in->size()) - (*as)[0]);
    return c.set_output_unknown(0, dtype);
  }
  const int64_t rank = static_cast<int64_t>(in->size());
  std::vector<bool> drop(in->size(), false);
  if (axes->empty()) {
    // No axes: remove every dimension of size 1, which needs them all known.
    for (size_t i = 0; i < in->size(); ++i) {
      if ((*in)[i] < 0) return c.set_output_unknown(0, dtype);
      drop[i] = (*in)[i] == 1;
    }
  } else {
    LEDGE_ASSIGN(auto norm, normalize_axes(c, *axes, rank));
    for (int64_t a : norm) {
      const int64_t d = (*in)[static_cast<size_t>(a)];
      if (d >= 0 && d != 1)
        return c.fail("cannot squeeze axis " + std::to_string(a) + " of size " + std::to_string(d));
      drop[static_cast<size_t>(a)] = true;
    }
  }
  std::vector<int64_t> out;
  for (size_t i = 0; i < in->size(); ++i)
    if (!drop[i]) out.push_back((*in)[i]);
  return c.set_output(0, TensorType{dtype, out});
}

// ---- Unsqueeze -------------------------------------------------------------------------

Status infer_unsqueeze(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0, "data"));
  LEDGE_TRY(require_index_input(c, 1, "axes"));
  const DType dtype = c.input_dtype(0);
  const auto* in = input_shape(c, 0);
  const auto axes = axes_attr_or_input(c, 1);
  if (axes && axes->empty()) return c.fail("needs axes");
  if (!in || !axes) {
    const auto* as = input_shape(c, 1);
    if (in && axes)
      return c.set_output_unknown(0, dtype, static_cast<int64_t>(in->size() + axes->size()));
    if (in && as && as->size() == 1 && (*as)[0] >= 0)
      return c.set_output_unknown(0, dtype, static_cast<int64_t>(in->size()) + (*as)[0]);
    return c.set_output_unknown(0, dtype);
  }
  const int64_t out_rank = static_cast<int64_t>(in->size() + axes->size());
  LEDGE_ASSIGN(auto norm, normalize_axes(c, *axes, out_rank));
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : norm) inserted[static_cast<size_t>(a)] = true;
  std::vector<int64_t> out;
  size_t k = 0;
  for (size_t i = 0; i < inserted.size(); ++i) out.push_back(inserted[i] ? 1 : (*in)[k++]);
  return c.set_output(0, TensorType{dtype, out});
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Reshape, ledge::infer_reshape, ledge::run_view)
LEDGE_DEFINE_OP(Flatten, ledge::infer_flatten, ledge::run_view)
LEDGE_DEFINE_OP(Squeeze, ledge::infer_squeeze, ledge::run_view)
LEDGE_DEFINE_OP(Unsqueeze, ledge::infer_unsqueeze, ledge::run_view)
