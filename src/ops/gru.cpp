// GRU: gated recurrent unit. Gate blocks in W, R and B are ordered z (update), r (reset),
// h (hidden); activations f (gates) and g (hidden), per direction.
//   zt = f(Xt*Wz^T + Ht-1*Rz^T + Wbz + Rbz)
//   rt = f(Xt*Wr^T + Ht-1*Rr^T + Wbr + Rbr)
//   ht = g(Xt*Wh^T + (rt (.) Ht-1)*Rh^T + Rbh + Wbh)      linear_before_reset = 0
//   ht = g(Xt*Wh^T + (rt (.) (Ht-1*Rh^T + Rbh)) + Wbh)    linear_before_reset = 1
//   Ht = (1 - zt) (.) ht + zt (.) Ht-1
#include "ops/rnn_common.h"

namespace ledge {
namespace {

const rnn::OpSpec kSpec{3, {"Sigmoid", "Tanh"}, false};

Status infer_gru(InferContext& c) { return rnn::infer(c, kSpec); }

Status run_gru(KernelContext& c) {
  // linear_before_reset appeared in GRU-3; GRU-1 always applies the reset gate first.
  const bool lbr = c.attr_int("linear_before_reset", 0) != 0;
  std::vector<double> wx, rh, z, rg, rhh;
  return rnn::run(c, kSpec, [&](const rnn::Direction& d, const double* x, double* h, double*) {
    const int64_t n = d.hidden;
    const size_t un = static_cast<size_t>(n);
    wx.resize(un);
    rh.resize(un);
    z.resize(un);
    rg.resize(un);
    rhh.resize(un);
    const double* wb = d.Wb;
    const double* rb = d.Rb;
    d.wx(0, x, wx.data());
    d.rh(0, h, rh.data());
    for (int64_t j = 0; j < n; ++j) z[j] = d.acts[0](d.clipped(wx[j] + rh[j] + wb[j] + rb[j]));
    d.wx(1, x, wx.data());
    d.rh(1, h, rh.data());
    for (int64_t j = 0; j < n; ++j)
      rg[j] = d.acts[0](d.clipped(wx[j] + rh[j] + wb[n + j] + rb[n + j]));
    d.wx(2, x, wx.data());
    if (lbr) {
      d.rh(2, h, rh.data());
      for (int64_t j = 0; j < n; ++j)
        rhh[j] = d.acts[1](d.clipped(wx[j] + rg[j] * (rh[j] + rb[2 * n + j]) + wb[2 * n + j]));
    } else {
      std::vector<double>& reset_h = rhh;  // r (.) Ht-1, then reused for the result
      for (int64_t j = 0; j < n; ++j) reset_h[j] = rg[j] * h[j];
      d.rh(2, reset_h.data(), rh.data());
      for (int64_t j = 0; j < n; ++j)
        rhh[j] = d.acts[1](d.clipped(wx[j] + rh[j] + rb[2 * n + j] + wb[2 * n + j]));
    }
    for (int64_t j = 0; j < n; ++j) h[j] = (1 - z[j]) * rhh[j] + z[j] * h[j];
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(GRU, ledge::infer_gru, ledge::run_gru)
