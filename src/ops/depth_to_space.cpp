// DepthToSpace: moves blocks of channels into blocks of pixels, NCHW. Mode DCR (default)
// takes the block offset from the high part of the channel, CRD from the low part.
#include "ops/tensor_common.h"

namespace ledge {
namespace {

Status infer_depth_to_space(InferContext& c) {
  LEDGE_TRY(require_data_input(c, 0));
  const DType dtype = c.input_dtype(0);
  const int64_t b = c.attr_int("blocksize", 0);
  int64_t bb = 0;
  if (b <= 0) return c.fail("blocksize must be positive");
  if (__builtin_mul_overflow(b, b, &bb)) return c.fail("blocksize is too large");
  const std::string mode = c.attr_string("mode", "DCR");
  if (mode != "DCR" && mode != "CRD") return c.fail("unknown mode '" + mode + "'");
  const auto* in = input_shape(c, 0);
  if (!in) return c.set_output_unknown(0, dtype, 4);
  if (in->size() != 4) return c.fail("input must be 4-D (NCHW)");
  std::vector<int64_t> out = *in;
  const int64_t ch = (*in)[1];
  if (ch >= 0) {
    if (ch % bb != 0)
      return c.fail("channels (" + std::to_string(ch) + ") are not a multiple of blocksize^2");
    out[1] = ch / bb;
  }
  for (size_t d = 2; d < 4; ++d)
    if (out[d] >= 0 && __builtin_mul_overflow(out[d], b, &out[d]))
      return c.fail("blocksize is too large");
  return c.set_output(0, TensorType{dtype, out});
}

Status run_depth_to_space(KernelContext& c) {
  const Tensor& x = c.input(0);
  Tensor& y = c.output(0);
  const int64_t b = c.attr_int("blocksize", 0);
  const bool dcr = c.attr_string("mode", "DCR") == "DCR";
  const int64_t n = y.dim(0), oc = y.dim(1), oh = y.dim(2), ow = y.dim(3);
  const int64_t ic = x.dim(1), ih = x.dim(2), iw = x.dim(3);
  return dispatch_word(x.dtype(), [&]<class W>() {
    const W* px = x.data<W>();
    W* py = y.data<W>();
    for (int64_t in = 0; in < n; ++in)
      for (int64_t c2 = 0; c2 < oc; ++c2)
        for (int64_t h = 0; h < oh; ++h)
          for (int64_t w = 0; w < ow; ++w) {
            const int64_t bh = h % b, bw = w % b;
            const int64_t ch = dcr ? (bh * b + bw) * oc + c2 : (c2 * b + bh) * b + bw;
            *py++ = px[((in * ic + ch) * ih + h / b) * iw + w / b];
          }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(DepthToSpace, ledge::infer_depth_to_space, ledge::run_depth_to_space)
