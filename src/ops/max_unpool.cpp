// MaxUnpool: the partial inverse of MaxPool. Scatters X into a zero tensor at the flat
// positions I (as MaxPool's Indices output gives them: flat over the whole output tensor).
// The output shape is the optional output_shape input, else the one the pooling geometry
// implies: (in - 1) * stride + kernel - pad_begin - pad_end.
#include "ops/nn_common.h"

namespace ledge {
namespace {

Status infer_max_unpool(InferContext& c) {
  LEDGE_TRY(require_input(c, 0));
  LEDGE_TRY(require_input(c, 1));
  LEDGE_TRY(require_float(c, 0));
  const DType dt = c.input_dtype(0);
  if (c.input_dtype(1) != DType::kUndefined && c.input_dtype(1) != DType::kInt64)
    return c.fail("indices I must be int64");
  int64_t rank = c.input_rank(0);
  if (rank < 0) rank = c.input_rank(1);
  if (rank >= 0 && rank < 3)
    return c.fail("input has rank " + std::to_string(rank) + ", expected 3 or more");
  if (c.input_rank(0) >= 0 && c.input_rank(1) >= 0 &&
      *c.input_type(0).shape != *c.input_type(1).shape) {
    const auto& a = *c.input_type(0).shape;
    const auto& b = *c.input_type(1).shape;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i)
      if (a[i] >= 0 && b[i] >= 0 && a[i] != b[i]) return c.fail("X and I have different shapes");
    if (a.size() != b.size()) return c.fail("X and I have different ranks");
  }
  if (c.has_input(2)) {
    if (c.input_dtype(2) != DType::kUndefined && c.input_dtype(2) != DType::kInt64)
      return c.fail("output_shape must be int64");
    const Tensor* shape = c.input_value(2);
    if (!shape) return c.set_output_unknown(0, dt, rank);
    if (shape->rank() != 1 || (rank >= 0 && shape->numel() != rank))
      return c.fail("output_shape must be a 1-D tensor with one value per dimension of X");
    std::vector<int64_t> out = shape->to_int64_vector();
    for (int64_t d : out)
      if (d < 0) return c.fail("output_shape has a negative value");
    if (rank >= 0 && c.input_type(0).shape) {
      const auto& xd = *c.input_type(0).shape;
      for (size_t i = 0; i < 2; ++i)
        if (xd[i] >= 0 && xd[i] != out[i])
          return c.fail("output_shape changes the batch or channel dimension");
    }
    return c.set_output(0, dt, std::move(out));
  }
  if (rank < 0) return c.set_output_unknown(0, dt);
  LEDGE_ASSIGN(std::vector<int64_t> kernel, read_kernel_shape(c, rank - 2, true));
  LEDGE_ASSIGN(Window w, read_window(c, rank - 2, kernel, false, false));
  const std::vector<int64_t> xd = dims_or_unknown(c.input_type(0), rank);
  std::vector<int64_t> out = {xd[0], xd[1]};
  for (size_t i = 0; i < kernel.size(); ++i) {
    const int64_t in = xd[i + 2];
    if (in < 0) {
      out.push_back(-1);
      continue;
    }
    if (in > kMaxSpatialSize)
      return c.fail("spatial dimension " + std::to_string(i) + " is too large");
    const int64_t o = (in - 1) * w.strides[i] + kernel[i] - w.pads[i] - w.pads[i + kernel.size()];
    if (o < 0) return c.fail("pads remove more than the whole output");
    out.push_back(o);
  }
  return c.set_output(0, dt, std::move(out));
}

Status run_max_unpool(KernelContext& c) {
  const Tensor& x = c.input(0);
  const Tensor& ind = c.input(1);
  Tensor& y = c.output(0);
  const int64_t* pi = ind.data<int64_t>();
  // Without output_shape the indices address the output directly. With it, they address the
  // shape the pooling geometry implies without pads (as the ONNX reference and its test
  // expect), which is then copied into the corner of the requested output.
  Shape scatter_shape = y.shape();
  if (c.has_input(2)) {
    LEDGE_ASSIGN(std::vector<int64_t> kernel, read_kernel_shape(c, x.rank() - 2, true));
    LEDGE_ASSIGN(Window w, read_window(c, x.rank() - 2, kernel, false, false));
    for (size_t i = 0; i < kernel.size(); ++i)
      scatter_shape[i + 2] = (x.dim(static_cast<int64_t>(i) + 2) - 1) * w.strides[i] + kernel[i];
  }
  LEDGE_ASSIGN(const int64_t total, checked_numel(scatter_shape));
  LEDGE_TRY(check_scratch(c, static_cast<double>(total), sizeof(double)));
  return dispatch<TypeSet::kFloat>(x.dtype(), [&]<class T>() -> Status {
    const T* px = x.data<T>();
    std::vector<T> scattered;
    T* ps = y.data<T>();
    if (scatter_shape != y.shape()) {
      scattered.assign(static_cast<size_t>(total), T(0.f));
      ps = scattered.data();
    }
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (pi[i] < 0 || pi[i] >= total)
        return c.fail("index " + std::to_string(pi[i]) + " is outside the unpooled tensor of " +
                      std::to_string(total) + " elements");
      ps[pi[i]] = px[i];
    }
    if (ps != y.data<T>() && y.numel() > 0 && total > 0) {
      const std::vector<int64_t> ss = strides_of(scatter_shape);
      std::vector<int64_t> idx(y.shape().size(), 0);
      int64_t oi = 0;
      do {
        bool inside = true;
        int64_t off = 0;
        for (size_t d = 0; d < idx.size(); ++d) {
          inside = inside && idx[d] < scatter_shape[d];
          off += idx[d] * ss[d];
        }
        if (inside) y.data<T>()[oi] = ps[off];
        ++oi;
      } while (next_index(idx, y.shape()));
    }
    return Status();
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(MaxUnpool, ledge::infer_max_unpool, ledge::run_max_unpool)
