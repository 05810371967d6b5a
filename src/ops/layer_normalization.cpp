// LayerNormalization (opset 17): normalizes X over the dimensions [axis, rank) and applies
// Scale and the optional B, both broadcast (unidirectionally) to X.shape[axis:]. The
// optional outputs Mean and InvStdDev have the shape of X with the normalized dimensions set
// to 1, and the element type stash_type names (float32 by default).
#include <cmath>

#include "ops/nn_common.h"

namespace ledge {
namespace {

Expected<DType> stash_type(const NodeContext& c) {
  const int64_t st = c.attr_int("stash_type", 1);
  const DType t = static_cast<DType>(st);
  if (!dtype_is_storable(t) || !dtype_is_float(t))
    return c.fail("stash_type " + std::to_string(st) + " is not a floating-point type");
  return t;
}

// Whether `shape` broadcasts unidirectionally to `target`; unknown dims pass.
bool broadcasts_to(const std::vector<int64_t>& shape, const std::vector<int64_t>& target) {
  if (shape.size() > target.size()) return false;
  const size_t off = target.size() - shape.size();
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] >= 0 && shape[i] != 1 && target[off + i] >= 0 && shape[i] != target[off + i])
      return false;
  return true;
}

Status infer_layer_norm(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_input(c, 1));
  for (size_t i = 0; i < 3; ++i)
    if (c.has_input(i)) {
      LEDGE_TRY(require_float(c, i));
      LEDGE_TRY(require_same_type(c, i));
    }
  LEDGE_ASSIGN(const DType stash, stash_type(c));
  const int64_t rank = c.input_rank(0);
  if (rank < 0) {
    LEDGE_TRY(c.set_output_unknown(1, stash));
    LEDGE_TRY(c.set_output_unknown(2, stash));
    return c.set_output(0, c.input_type(0));
  }
  if (rank == 0) return c.fail("input X is a scalar");
  LEDGE_ASSIGN(const int64_t axis, existing_axis(c, c.attr_int("axis", -1), rank));
  const std::vector<int64_t>& xd = *c.input_type(0).shape;
  const std::vector<int64_t> normalized(xd.begin() + axis, xd.end());
  for (size_t i = 1; i < 3; ++i)
    if (c.has_input(i) && c.input_type(i).shape &&
        !broadcasts_to(*c.input_type(i).shape, normalized))
      return c.fail("input " + std::to_string(i) + " of shape " + c.input_type(i).to_string() +
                    " does not broadcast to the normalized shape");
  std::vector<int64_t> stats = xd;
  for (size_t i = static_cast<size_t>(axis); i < stats.size(); ++i) stats[i] = 1;
  LEDGE_TRY(c.set_output(1, stash, stats));
  LEDGE_TRY(c.set_output(2, stash, stats));
  return c.set_output(0, c.input_type(0));
}

// The elements of `t` broadcast to `shape`, as doubles.
std::vector<double> broadcast_to(const Tensor& t, const Shape& shape) {
  std::vector<double> v(static_cast<size_t>(numel(shape)));
  for_each_broadcast<1>(shape, {&t.shape()}, [&](int64_t i, const std::array<int64_t, 1>& o) {
    v[static_cast<size_t>(i)] = t.as_double(o[0]);
  });
  return v;
}

Status run_layer_norm(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  LEDGE_ASSIGN(const int64_t axis, existing_axis(c, c.attr_int("axis", -1), x.rank()));
  const double eps = c.attr_float("epsilon", 1e-5f);
  const Shape normalized(x.shape().begin() + axis, x.shape().end());
  const int64_t cols = numel(normalized);
  const int64_t rows = cols == 0 ? 0 : x.numel() / cols;
  const std::vector<double> scale = broadcast_to(c.input(1), normalized);
  const std::vector<double> bias =
      c.has_input(2) ? broadcast_to(c.input(2), normalized) : std::vector<double>(cols, 0.0);
  Tensor* mean_out = c.num_outputs() > 1 && !c.node().outputs[1].empty() ? &c.output(1) : nullptr;
  Tensor* inv_out = c.num_outputs() > 2 && !c.node().outputs[2].empty() ? &c.output(2) : nullptr;
  return dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() -> Status {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      const T* xr = px + r * cols;
      double sum = 0;
      for (int64_t j = 0; j < cols; ++j)
        sum += static_cast<double>(static_cast<compute_t<T>>(xr[j]));
      const double mean = sum / static_cast<double>(cols);
      double sq = 0;
      for (int64_t j = 0; j < cols; ++j) {
        const double d = static_cast<double>(static_cast<compute_t<T>>(xr[j])) - mean;
        sq += d * d;
      }
      const double inv = 1.0 / std::sqrt(sq / static_cast<double>(cols) + eps);
      for (int64_t j = 0; j < cols; ++j) {
        const size_t k = static_cast<size_t>(j);
        const double v = static_cast<double>(static_cast<compute_t<T>>(xr[j]));
        py[r * cols + j] = static_cast<T>((v - mean) * inv * scale[k] + bias[k]);
      }
      for (Tensor* out : {mean_out, inv_out}) {
        if (!out) continue;
        const double value = out == mean_out ? mean : inv;
        LEDGE_TRY(dispatch<TypeSet::kFloat>(
            out->dtype(), [&]<class U>() { out->data<U>()[r] = static_cast<U>(value); }));
      }
    }
    return Status();
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(LayerNormalization, ledge::infer_layer_norm, ledge::run_layer_norm)
