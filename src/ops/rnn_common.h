// Shared by the recurrent operators RNN, GRU and LSTM: attribute parsing (directions,
// activation functions, clip, layout), shape checks, and the loop over directions, batch
// entries and time steps. Each operator only supplies its cell (one time step of one batch
// entry), computed in double for every element type.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ops/helpers.h"

namespace ledge::rnn {

// One activation function of the list in the `activations` attribute.
struct Activation {
  enum class Kind {
    kRelu,
    kTanh,
    kSigmoid,
    kAffine,
    kLeakyRelu,
    kThresholdedRelu,
    kScaledTanh,
    kHardSigmoid,
    kElu,
    kSoftsign,
    kSoftplus,
  };
  Kind kind = Kind::kTanh;
  double alpha = 0;
  double beta = 0;

  double operator()(double x) const;
};

// What distinguishes the three operators to the shared code.
struct OpSpec {
  int64_t gates;                           // weight blocks per direction: 1, 3 or 4
  std::vector<std::string> default_funcs;  // activation functions of one direction
  bool has_cell_state;                     // LSTM: initial_c input, Y_c output
};

// Weights of one direction, in double, plus its activation functions.
struct Direction {
  const double* W;   // [gates * hidden, input]
  const double* R;   // [gates * hidden, hidden]
  const double* Wb;  // [gates * hidden]
  const double* Rb;  // [gates * hidden]
  const double* P;   // [3 * hidden] peepholes (LSTM), zeros when absent
  const Activation* acts;
  int64_t input;
  int64_t hidden;
  std::optional<double> clip;

  // out[j] = (W_g x)[j] for gate block g.
  void wx(int64_t g, const double* x, double* out) const;
  // out[j] = (R_g h)[j] for gate block g.
  void rh(int64_t g, const double* h, double* out) const;
  // Clips a pre-activation value when the node has a clip attribute.
  double clipped(double v) const;
};

// One time step for one batch entry: updates h (and c for LSTM) in place from x.
using Cell = std::function<void(const Direction& d, const double* x, double* h, double* c)>;

// Validates inputs and attributes and sets the outputs Y, Y_h (and Y_c).
Status infer(InferContext& c, const OpSpec& spec);

// Runs the recurrence with `cell` and writes the outputs.
Status run(KernelContext& c, const OpSpec& spec, const Cell& cell);

}  // namespace ledge::rnn
