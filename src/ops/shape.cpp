// Shape and Size: read only their input's shape, never its data (static inference runs
// them over a tensor that has none).
#include "ops/tensor_common.h"

namespace ledge {
namespace {

// The [start, end) range of dimensions Shape returns (attributes from opset 15).
std::pair<int64_t, int64_t> shape_range(const NodeContext& c, int64_t rank) {
  auto clamp = [rank](int64_t v) {
    if (v < 0) v += rank;
    return std::min(std::max<int64_t>(v, 0), rank);
  };
  const int64_t start = clamp(c.attr_int("start", 0));
  const int64_t end = c.has_attr("end") ? clamp(c.attr_int("end")) : rank;
  return {start, std::max(start, end)};
}

Status infer_shape(InferContext& c) {
  LEDGE_TRY(require_input(c, 0, "data"));
  const int64_t rank = c.input_rank(0);
  if (rank < 0) return c.set_output_unknown(0, DType::kInt64, 1);
  const auto [start, end] = shape_range(c, rank);
  return c.set_output(0, DType::kInt64, {end - start});
}

Status run_shape(KernelContext& c) {
  const Shape& s = c.input(0).shape();
  const auto [start, end] = shape_range(c, static_cast<int64_t>(s.size()));
  int64_t* py = c.output(0).data<int64_t>();
  for (int64_t i = start; i < end; ++i) py[i - start] = s[static_cast<size_t>(i)];
  return Status();
}

Status infer_size(InferContext& c) {
  LEDGE_TRY(require_input(c, 0, "data"));
  return c.set_output(0, DType::kInt64, {});
}

Status run_size(KernelContext& c) {
  c.output(0).data<int64_t>()[0] = c.input(0).numel();
  return Status();
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(Shape, ledge::infer_shape, ledge::run_shape)
LEDGE_DEFINE_OP(Size, ledge::infer_size, ledge::run_size)
