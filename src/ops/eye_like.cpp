// EyeLike: a 2-D tensor shaped like the input with ones on the k-th diagonal.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Expected<DType> eye_type(const InferContext& c) {
  if (!c.has_attr("dtype")) return c.input_dtype(0);
  const int64_t code = c.attr_int("dtype");
  const DType t = static_cast<DType>(code);
  if (!dtype_is_storable(t))
    return c.fail_unsupported("dtype " + std::to_string(code) + " is not supported");
  return t;
}

Status infer_eye_like(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0));
  LEDGE_ASSIGN(DType dtype, eye_type(c));
  const auto* in = input_shape(c, 0);
  if (!in) return c.set_output_unknown(0, dtype, 2);
  if (in->size() != 2) return c.fail("input must be 2-D");
  return c.set_output(0, dtype, *in);
}

Status run_eye_like(KernelContext& c) {
  Tensor& y = c.output(0);
  const int64_t rows = y.shape()[0], cols = y.shape()[1];
  const int64_t k = c.attr_int("k", 0);
  return dispatch(y.dtype(), [&]<class T>() {
    T* py = y.data<T>();
    for (int64_t i = 0; i < rows; ++i) {
      // Column i + k, computed without overflow for absurd k.
      if (k >= cols || k <= -rows) break;
      const int64_t j = i + k;
      if (j >= 0 && j < cols) py[i * cols + j] = static_cast<T>(1);
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(EyeLike, ledge::infer_eye_like, ledge::run_eye_like)
