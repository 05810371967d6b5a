// RNN: a one-layer simple recurrent network, Ht = f(Xt*Wi^T + Ht-1*Ri^T + Wbi + Rbi).
// Directions, layout, sequence_lens and activations are handled in rnn_common.
#include "ops/rnn_common.h"

namespace ledge {
namespace {

const rnn::OpSpec kSpec{1, {"Tanh"}, false};

Status infer_rnn(InferContext& c) { return rnn::infer(c, kSpec); }

Status run_rnn(KernelContext& c) {
  std::vector<double> wx, rh;
  return rnn::run(c, kSpec, [&](const rnn::Direction& d, const double* x, double* h, double*) {
    const size_t n = static_cast<size_t>(d.hidden);
    wx.resize(n);
    rh.resize(n);
    d.wx(0, x, wx.data());
    d.rh(0, h, rh.data());
    for (size_t j = 0; j < n; ++j) h[j] = d.acts[0](d.clipped(wx[j] + rh[j] + d.Wb[j] + d.Rb[j]));
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(RNN, ledge::infer_rnn, ledge::run_rnn)
