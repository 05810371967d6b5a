// SpaceToDepth: moves blocks of pixels into channels, NCHW (the inverse of DepthToSpace
// in DCR mode).
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Status infer_space_to_depth(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0));
  const DType dtype = c.input_dtype(0);
  const int64_t b = c.attr_int("blocksize", 0);
  int64_t bb = 0;
  if (b <= 0) return c.fail("blocksize must be positive");
  if (__builtin_mul_overflow(b, b, &bb)) return c.fail("blocksize is too large");
  const auto* in = input_shape(c, 0);
  if (!in) return c.set_output_unknown(0, dtype, 4);
  if (in->size() != 4) return c.fail("input must be 4-D (NCHW)");
  std::vector<int64_t> out = *in;
  for (size_t d = 2; d < 4; ++d) {
    if (out[d] < 0) continue;
    if (out[d] % b != 0)
      return c.fail("spatial dimension " + std::to_string(out[d]) +
                    " is not a multiple of blocksize");
    out[d] /= b;
  }
  if (out[1] >= 0 && __builtin_mul_overflow(out[1], bb, &out[1]))
    return c.fail("blocksize is too large");
  return c.set_output(0, TensorType{dtype, out});
}

Status run_space_to_depth(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  const int64_t b = c.attr_int("blocksize", 0);
  const int64_t n = y.dim(0), oc = y.dim(1), oh = y.dim(2), ow = y.dim(3);
  const int64_t ic = x.dim(1), ih = x.dim(2), iw = x.dim(3);
  return dispatch_word(x.dtype(), [&]<class W>() {
    const W* px = x.data<W>();
    W* py = y.data<W>();
    for (int64_t in = 0; in < n; ++in)
      for (int64_t ch = 0; ch < oc; ++ch) {
        const int64_t block = ch / ic, c2 = ch % ic;
        const int64_t bh = block / b, bw = block % b;
        for (int64_t h = 0; h < oh; ++h)
          for (int64_t w = 0; w < ow; ++w)
            *py++ = px[((in * ic + c2) * ih + h * b + bh) * iw + w * b + bw];
      }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(SpaceToDepth, ledge::infer_space_to_depth, ledge::run_space_to_depth)
