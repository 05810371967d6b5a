// LSTM: long short-term memory. Gate blocks in W, R and B are ordered i, o, f, c; peepholes
// P are ordered i, o, f; activations f (gates), g (cell input), h (output), per direction.
//   it = f(Xt*Wi^T + Ht-1*Ri^T + Pi (.) Ct-1 + Wbi + Rbi)
//   ft = f(Xt*Wf^T + Ht-1*Rf^T + Pf (.) Ct-1 + Wbf + Rbf)     (1 - it with input_forget)
//   ct = g(Xt*Wc^T + Ht-1*Rc^T + Wbc + Rbc)
//   Ct = ft (.) Ct-1 + it (.) ct
//   ot = f(Xt*Wo^T + Ht-1*Ro^T + Po (.) Ct + Wbo + Rbo)
//   Ht = ot (.) h(Ct)
// clip bounds every activation's input, h's included; the cell state itself is not clipped.
#include "ops/rnn_common.h"

namespace ledge {
namespace {

const rnn::OpSpec kSpec{4, {"Sigmoid", "Tanh", "Tanh"}, true};

Status infer_lstm(InferContext& c) { return rnn::infer(c, kSpec); }

Status run_lstm(KernelContext& c) {
  const bool input_forget = c.attr_int("input_forget", 0) != 0;
  std::vector<double> pre[4], rh;
  return rnn::run(c, kSpec, [&](const rnn::Direction& d, const double* x, double* h, double* cs) {
    const int64_t n = d.hidden;
    const size_t un = static_cast<size_t>(n);
    rh.resize(un);
    // Pre-activations of the four gates without peepholes: W x + R h + Wb + Rb.
    for (int64_t g = 0; g < 4; ++g) {
      pre[g].resize(un);
      d.wx(g, x, pre[g].data());
      d.rh(g, h, rh.data());
      for (int64_t j = 0; j < n; ++j) pre[g][j] += rh[j] + d.Wb[g * n + j] + d.Rb[g * n + j];
    }
    const double* pi = d.P;
    const double* po = d.P + n;
    const double* pf = d.P + 2 * n;
    const auto& f = d.acts[0];
    const auto& gf = d.acts[1];
    const auto& hf = d.acts[2];
    for (int64_t j = 0; j < n; ++j) {
      const double i = f(d.clipped(pre[0][j] + pi[j] * cs[j]));
      const double fg = input_forget ? 1 - i : f(d.clipped(pre[2][j] + pf[j] * cs[j]));
      const double cc = gf(d.clipped(pre[3][j]));
      cs[j] = fg * cs[j] + i * cc;
      const double o = f(d.clipped(pre[1][j] + po[j] * cs[j]));
      h[j] = o * hf(d.clipped(cs[j]));
    }
  });
}

}  // namespace
}  // namespace ledge

LEDGE_DEFINE_OP(LSTM, ledge::infer_lstm, ledge::run_lstm)
