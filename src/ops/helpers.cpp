#include "ops/helpers.h"

namespace ledge {

Expected<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return invalid_model("axis " + std::to_string(axis) + " is out of range for rank " +
                         std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Expected<Shape> broadcast_shapes(const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const auto& s : shapes) {
    const size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[off + i];
      if (s[i] == o || s[i] == 1) continue;
      if (o == 1) {
        o = s[i];
        continue;
      }
      std::string msg = "shapes cannot be broadcast together:";
      for (const auto& t : shapes) msg += " " + shape_to_string(t);
      return invalid_argument(msg);
    }
  }
  return out;
}

Expected<std::optional<std::vector<int64_t>>> broadcast_types(
    const std::vector<const TensorType*>& types) {
  size_t rank = 0;
  for (const auto* t : types) {
    if (!t->shape) return std::optional<std::vector<int64_t>>();
    rank = std::max(rank, t->shape->size());
  }
  std::vector<int64_t> out(rank, 1);
  std::vector<bool> unknown(rank, false);
  for (const auto* t : types) {
    const auto& s = *t->shape;
    const size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[off + i];
      if (s[i] < 0) {
        // Unknown dimension: it decides the result unless another input fixes it above 1.
        if (o == 1) unknown[off + i] = true;
        continue;
      }
      if (s[i] == 1) continue;
      if (o == 1) {
        o = s[i];
        unknown[off + i] = false;
      } else if (o != s[i]) {
        std::string msg = "shapes cannot be broadcast together:";
        for (const auto* u : types) msg += " " + u->to_string();
        return invalid_argument(msg);
      }
    }
  }
  for (size_t i = 0; i < rank; ++i)
    if (unknown[i]) out[i] = -1;
  return std::optional<std::vector<int64_t>>(std::move(out));
}

std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> st(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) st[i - 1] = st[i] * shape[i];
  return st;
}

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  const std::vector<int64_t> own = strides_of(in);
  const size_t off = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) st[off + i] = in[i] == 1 ? 0 : own[i];
  return st;
}

Status infer_elementwise(InferContext& c, DType out, bool same_types) {
  std::vector<const TensorType*> types;
  DType first = DType::kUndefined;
  for (size_t i = 0; i < c.num_inputs(); ++i) {
    if (!c.has_input(i)) continue;
    const TensorType& t = c.input_type(i);
    // Values from enclosing scopes have no static type: they constrain nothing here.
    if (first == DType::kUndefined) first = t.dtype;
    if (same_types && t.dtype != DType::kUndefined && t.dtype != first)
      return c.fail("inputs have different element types (" + std::string(dtype_name(first)) +
                    " and " + std::string(dtype_name(t.dtype)) + ")");
    types.push_back(&t);
  }
  if (types.empty()) return c.fail("needs at least one input");
  auto shape = broadcast_types(types);
  if (!shape) return c.fail(shape.error().message());
  return c.set_output(0, TensorType{out == DType::kUndefined ? first : out, std::move(*shape)});
}

Status require_input(const InferContext& c, size_t i, const char* what) {
  if (!c.has_input(i))
    return c.fail(std::string("missing required ") + what + " (input " + std::to_string(i) + ")");
  return Status();
}

}  // namespace ledge
