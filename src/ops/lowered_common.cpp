#include "ops/lowered_common.h"

namespace ledge {

Expected<Window2d> read_window2d(const NodeContext& c, int64_t kh, int64_t kw) {
  Window2d w;
  const auto ks = c.attr_ints("kernel_shape", {kh, kw});
  const auto st = c.attr_ints("strides", {1, 1});
  const auto dl = c.attr_ints("dilations", {1, 1});
  const auto pd = c.attr_ints("pads", {0, 0, 0, 0});
  if (ks.size() != 2 || st.size() != 2 || dl.size() != 2 || pd.size() != 4)
    return c.fail("kernel_shape, strides and dilations need 2 values and pads 4");
  w.kh = ks[0], w.kw = ks[1], w.sh = st[0], w.sw = st[1], w.dh = dl[0], w.dw = dl[1];
  w.pad_top = pd[0], w.pad_left = pd[1], w.pad_bottom = pd[2], w.pad_right = pd[3];
  const int64_t limit = int64_t{1} << 24;
  for (int64_t v : {w.kh, w.kw, w.sh, w.sw, w.dh, w.dw})
    if (v < 1 || v > limit)
      return c.fail("window sizes, strides and dilations must be in [1, 2^24]");
  for (int64_t v : pd)
    if (v < 0 || v > limit) return c.fail("pads must be in [0, 2^24]");
  return w;
}

ActivationRange read_activation(const NodeContext& c) {
  ActivationRange r;
  r.min = c.attr_float("activation_min", r.min);
  r.max = c.attr_float("activation_max", r.max);
  r.hard_swish = c.attr_int("activation_hard_swish", 0) != 0;
  return r;
}

}  // namespace ledge
