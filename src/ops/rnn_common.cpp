#include "ops/rnn_common.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace ledge::rnn {

namespace {

// Inputs, in ONNX order.
enum Input : size_t { kX = 0, kW, kR, kB, kSeqLens, kInitialH, kInitialC, kP };

struct ActivationInfo {
  const char* name;  // lower case
  Activation::Kind kind;
  bool uses_alpha;
  bool uses_beta;
  double default_alpha;  // those of the ONNX operator of the same name
  double default_beta;
};

constexpr ActivationInfo kActivations[] = {
    {"relu", Activation::Kind::kRelu, false, false, 0, 0},
    {"tanh", Activation::Kind::kTanh, false, false, 0, 0},
    {"sigmoid", Activation::Kind::kSigmoid, false, false, 0, 0},
    {"affine", Activation::Kind::kAffine, true, true, 1.0, 0.0},
    {"leakyrelu", Activation::Kind::kLeakyRelu, true, false, 0.01, 0},
    {"thresholdedrelu", Activation::Kind::kThresholdedRelu, true, false, 1.0, 0},
    {"scaledtanh", Activation::Kind::kScaledTanh, true, true, 1.0, 1.0},
    {"hardsigmoid", Activation::Kind::kHardSigmoid, true, true, 0.2, 0.5},
    {"elu", Activation::Kind::kElu, true, false, 1.0, 0},
    {"softsign", Activation::Kind::kSoftsign, false, false, 0, 0},
    {"softplus", Activation::Kind::kSoftplus, false, false, 0, 0},
};

// Number of directions named by the `direction` attribute.
Expected<int64_t> num_directions(const NodeContext& c) {
  const std::string dir = c.attr_string("direction", "forward");
  if (dir == "forward" || dir == "reverse") return 1;
  if (dir == "bidirectional") return 2;
  return c.fail("direction must be forward, reverse or bidirectional, got '" + dir + "'");
}

// The activation functions of all directions, with alpha and beta taken in order from
// activation_alpha / activation_beta by the functions that use them.
Expected<std::vector<Activation>> parse_activations(const NodeContext& c, const OpSpec& spec,
                                                    int64_t num_dirs) {
  const size_t per_dir = spec.default_funcs.size();
  std::vector<std::string> names = c.attr_strings("activations");
  if (names.empty()) {
    for (int64_t d = 0; d < num_dirs; ++d)
      names.insert(names.end(), spec.default_funcs.begin(), spec.default_funcs.end());
  } else if (names.size() == per_dir && num_dirs == 2) {
    // Some exporters list the functions once for both directions.
    names.insert(names.end(), names.begin(), names.end());
  }
  if (names.size() != per_dir * static_cast<size_t>(num_dirs))
    return c.fail("activations lists " + std::to_string(names.size()) + " functions, expected " +
                  std::to_string(per_dir * static_cast<size_t>(num_dirs)));
  const std::vector<float> alphas = c.attr_floats("activation_alpha");
  const std::vector<float> betas = c.attr_floats("activation_beta");
  size_t next_alpha = 0, next_beta = 0;
  std::vector<Activation> acts;
  for (const std::string& name : names) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    const ActivationInfo* info = nullptr;
    for (const auto& a : kActivations)
      if (lower == a.name) info = &a;
    if (!info) return c.fail("unknown activation function '" + name + "'");
    Activation act;
    act.kind = info->kind;
    act.alpha = info->default_alpha;
    act.beta = info->default_beta;
    if (info->uses_alpha && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
    if (info->uses_beta && next_beta < betas.size()) act.beta = betas[next_beta++];
    acts.push_back(act);
  }
  return acts;
}

// Checks that dimension i of `t` (when known) equals `want` (when known).
Status check_dim(const NodeContext& c, const TensorType& t, const char* what, size_t i,
                 int64_t want) {
  if (!t.shape || want < 0) return Status();
  const int64_t got = (*t.shape)[i];
  if (got >= 0 && got != want)
    return c.fail(std::string(what) + " has shape " + t.to_string() + ": dimension " +
                  std::to_string(i) + " should be " + std::to_string(want));
  return Status();
}

// A known dimension, or -1.
int64_t dim_or_unknown(const TensorType& t, size_t i) {
  return t.shape && i < t.shape->size() ? (*t.shape)[i] : -1;
}

// Multiplies two dimensions that may be unknown.
int64_t mul(int64_t a, int64_t b) { return a < 0 ? -1 : a * b; }

std::vector<double> to_doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = t.as_double(i);
  return v;
}

Status store(const std::vector<double>& v, Tensor& out) {
  return dispatch<TypeSet::kFloat>(out.dtype(), [&]<class T>() {
    T* p = out.data<T>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<T>(v[i]);
  });
}

}  // namespace

double Activation::operator()(double x) const {
  switch (kind) {
    case Kind::kRelu:
      return x > 0 ? x : 0;
    case Kind::kTanh:
      return std::tanh(x);
    case Kind::kSigmoid:
      return 1 / (1 + std::exp(-x));
    case Kind::kAffine:
      return alpha * x + beta;
    case Kind::kLeakyRelu:
      return x >= 0 ? x : alpha * x;
    case Kind::kThresholdedRelu:
      return x > alpha ? x : 0;
    case Kind::kScaledTanh:
      return alpha * std::tanh(beta * x);
    case Kind::kHardSigmoid:
      return std::clamp(alpha * x + beta, 0.0, 1.0);
    case Kind::kElu:
      return x >= 0 ? x : alpha * (std::exp(x) - 1);
    case Kind::kSoftsign:
      return x / (1 + std::fabs(x));
    case Kind::kSoftplus:
      return std::log1p(std::exp(-std::fabs(x))) + std::max(x, 0.0);
  }
  return x;
}

void Direction::wx(int64_t g, const double* x, double* out) const {
  for (int64_t j = 0; j < hidden; ++j) {
    const double* w = W + (g * hidden + j) * input;
    double s = 0;
    for (int64_t k = 0; k < input; ++k) s += w[k] * x[k];
    out[j] = s;
  }
}

void Direction::rh(int64_t g, const double* h, double* out) const {
  for (int64_t j = 0; j < hidden; ++j) {
    const double* r = R + (g * hidden + j) * hidden;
    double s = 0;
    for (int64_t k = 0; k < hidden; ++k) s += r[k] * h[k];
    out[j] = s;
  }
}

double Direction::clipped(double v) const { return clip ? std::clamp(v, -*clip, *clip) : v; }

Status infer(InferContext& c, const OpSpec& spec) {
  for (size_t i : {kX, kW, kR}) LEDGE_TRY(require_input(c, i));
  const DType dt = c.input_dtype(kX);
  if (!dtype_is_float(dt) && dt != DType::kUndefined)
    return c.fail("X must be a floating-point tensor, got " + std::string(dtype_name(dt)));
  for (size_t i : {kW, kR, kB, kInitialH, kInitialC, kP}) {
    if (!c.has_input(i)) continue;
    const DType t = c.input_dtype(i);
    if (t != dt && t != DType::kUndefined && dt != DType::kUndefined)
      return c.fail("input " + std::to_string(i) + " is " + std::string(dtype_name(t)) + ", X is " +
                    std::string(dtype_name(dt)));
  }
  if (c.has_input(kSeqLens)) {
    const DType t = c.input_dtype(kSeqLens);
    if (t != DType::kInt32 && t != DType::kInt64 && t != DType::kUndefined)
      return c.fail("sequence_lens must be int32");
  }
  if (spec.has_cell_state == false && (c.has_input(kInitialC) || c.has_input(kP)))
    return c.fail("too many inputs");

  LEDGE_ASSIGN(const int64_t num_dirs, num_directions(c));
  LEDGE_TRY(parse_activations(c, spec, num_dirs));
  const int64_t layout = c.attr_int("layout", 0);
  if (layout != 0 && layout != 1) return c.fail("layout must be 0 or 1");
  if (c.has_attr("clip") && !(c.attr_float("clip") > 0)) return c.fail("clip must be positive");
  if (spec.gates == 3) {
    const int64_t lbr = c.attr_int("linear_before_reset", 0);
    if (lbr != 0 && lbr != 1) return c.fail("linear_before_reset must be 0 or 1");
  }
  if (spec.has_cell_state) {
    const int64_t input_forget = c.attr_int("input_forget", 0);
    if (input_forget != 0 && input_forget != 1) return c.fail("input_forget must be 0 or 1");
  }

  // Ranks.
  const struct {
    size_t index;
    const char* name;
    int64_t rank;
  } ranks[] = {{kX, "X", 3},
               {kW, "W", 3},
               {kR, "R", 3},
               {kB, "B", 2},
               {kSeqLens, "sequence_lens", 1},
               {kInitialH, "initial_h", 3},
               {kInitialC, "initial_c", 3},
               {kP, "P", 2}};
  for (const auto& r : ranks) {
    if (!c.has_input(r.index)) continue;
    const int64_t rank = c.input_rank(r.index);
    if (rank >= 0 && rank != r.rank)
      return c.fail(std::string(r.name) + " must have rank " + std::to_string(r.rank) + ", got " +
                    c.input_type(r.index).to_string());
  }

  const TensorType& x = c.input_type(kX);
  const TensorType& w = c.input_type(kW);
  const TensorType& r = c.input_type(kR);
  const int64_t seq = dim_or_unknown(x, layout == 0 ? 0 : 1);
  const int64_t batch = dim_or_unknown(x, layout == 0 ? 1 : 0);
  const int64_t input = dim_or_unknown(x, 2);
  int64_t hidden = dim_or_unknown(r, 2);
  if (c.has_attr("hidden_size")) {
    const int64_t hs = c.attr_int("hidden_size");
    if (hs <= 0) return c.fail("hidden_size must be positive");
    if (hidden >= 0 && hidden != hs)
      return c.fail("hidden_size is " + std::to_string(hs) + " but R has shape " + r.to_string());
    hidden = hs;
  }
  const int64_t gh = mul(hidden, spec.gates);
  LEDGE_TRY(check_dim(c, w, "W", 0, num_dirs));
  LEDGE_TRY(check_dim(c, w, "W", 1, gh));
  LEDGE_TRY(check_dim(c, w, "W", 2, input));
  LEDGE_TRY(check_dim(c, r, "R", 0, num_dirs));
  LEDGE_TRY(check_dim(c, r, "R", 1, gh));
  if (c.has_input(kB)) {
    LEDGE_TRY(check_dim(c, c.input_type(kB), "B", 0, num_dirs));
    LEDGE_TRY(check_dim(c, c.input_type(kB), "B", 1, mul(gh, 2)));
  }
  if (c.has_input(kSeqLens))
    LEDGE_TRY(check_dim(c, c.input_type(kSeqLens), "sequence_lens", 0, batch));
  for (size_t i : {kInitialH, kInitialC}) {
    if (!c.has_input(i)) continue;
    const char* name = i == kInitialH ? "initial_h" : "initial_c";
    const TensorType& t = c.input_type(i);
    LEDGE_TRY(check_dim(c, t, name, layout == 0 ? 0 : 1, num_dirs));
    LEDGE_TRY(check_dim(c, t, name, layout == 0 ? 1 : 0, batch));
    LEDGE_TRY(check_dim(c, t, name, 2, hidden));
  }
  if (c.has_input(kP)) {
    LEDGE_TRY(check_dim(c, c.input_type(kP), "P", 0, num_dirs));
    LEDGE_TRY(check_dim(c, c.input_type(kP), "P", 1, mul(hidden, 3)));
  }

  // Prefer a known batch size from the other inputs when X's is unknown.
  int64_t b = batch;
  for (size_t i : {kInitialH, kInitialC})
    if (b < 0 && c.has_input(i)) b = dim_or_unknown(c.input_type(i), layout == 0 ? 1 : 0);
  if (b < 0 && c.has_input(kSeqLens)) b = dim_or_unknown(c.input_type(kSeqLens), 0);

  if (layout == 0) {
    LEDGE_TRY(c.set_output(0, dt, {seq, num_dirs, b, hidden}));
    LEDGE_TRY(c.set_output(1, dt, {num_dirs, b, hidden}));
    if (spec.has_cell_state) LEDGE_TRY(c.set_output(2, dt, {num_dirs, b, hidden}));
  } else {
    LEDGE_TRY(c.set_output(0, dt, {b, seq, num_dirs, hidden}));
    LEDGE_TRY(c.set_output(1, dt, {b, num_dirs, hidden}));
    if (spec.has_cell_state) LEDGE_TRY(c.set_output(2, dt, {b, num_dirs, hidden}));
  }
  if (c.num_outputs() > (spec.has_cell_state ? 3u : 2u)) return c.fail("too many outputs");
  return Status();
}

Status run(KernelContext& c, const OpSpec& spec, const Cell& cell) {
  LEDGE_ASSIGN(const int64_t num_dirs, num_directions(c));
  LEDGE_ASSIGN(const std::vector<Activation> acts, parse_activations(c, spec, num_dirs));
  const bool reverse_only = c.attr_string("direction", "forward") == "reverse";
  const int64_t layout = c.attr_int("layout", 0);
  std::optional<double> clip;
  if (c.has_attr("clip")) clip = c.attr_float("clip");

  const Tensor& xt = c.input(kX);
  const int64_t seq = xt.dim(layout == 0 ? 0 : 1);
  const int64_t batch = xt.dim(layout == 0 ? 1 : 0);
  const int64_t input = xt.dim(2);
  const int64_t hidden = c.input(kR).dim(2);
  const int64_t gh = spec.gates * hidden;

  const std::vector<double> x = to_doubles(xt);
  const std::vector<double> w = to_doubles(c.input(kW));
  const std::vector<double> r = to_doubles(c.input(kR));
  std::vector<double> bias(static_cast<size_t>(num_dirs * 2 * gh), 0.0);
  if (c.has_input(kB)) bias = to_doubles(c.input(kB));
  std::vector<double> peep(static_cast<size_t>(num_dirs * 3 * hidden), 0.0);
  if (c.has_input(kP)) peep = to_doubles(c.input(kP));
  std::vector<double> h0(static_cast<size_t>(num_dirs * batch * hidden), 0.0);
  std::vector<double> c0 = h0;
  if (c.has_input(kInitialH)) h0 = to_doubles(c.input(kInitialH));
  if (c.has_input(kInitialC)) c0 = to_doubles(c.input(kInitialC));
  std::vector<int64_t> lens(static_cast<size_t>(batch), seq);
  if (c.has_input(kSeqLens)) {
    lens = c.input(kSeqLens).to_int64_vector();
    for (int64_t len : lens)
      if (len < 0 || len > seq)
        return c.fail("sequence_lens value " + std::to_string(len) + " is outside [0, " +
                      std::to_string(seq) + "]");
  }

  // Offsets in the layout-dependent tensors.
  auto x_at = [&](int64_t t, int64_t b) {
    return (layout == 0 ? t * batch + b : b * seq + t) * input;
  };
  auto state_at = [&](int64_t d, int64_t b) {
    return (layout == 0 ? d * batch + b : b * num_dirs + d) * hidden;
  };
  auto y_at = [&](int64_t t, int64_t d, int64_t b) {
    return (layout == 0 ? (t * num_dirs + d) * batch + b : (b * seq + t) * num_dirs + d) * hidden;
  };

  std::vector<double> y(static_cast<size_t>(seq * num_dirs * batch * hidden), 0.0);
  std::vector<double> yh(static_cast<size_t>(num_dirs * batch * hidden), 0.0);
  std::vector<double> yc = yh;
  std::vector<double> h(static_cast<size_t>(hidden)), cs(static_cast<size_t>(hidden));
  for (int64_t d = 0; d < num_dirs; ++d) {
    const bool reverse = reverse_only || d == 1;
    Direction dir{w.data() + d * gh * input,
                  r.data() + d * gh * hidden,
                  bias.data() + d * 2 * gh,
                  bias.data() + d * 2 * gh + gh,
                  peep.data() + d * 3 * hidden,
                  acts.data() + d * static_cast<int64_t>(spec.default_funcs.size()),
                  input,
                  hidden,
                  clip};
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t s = state_at(d, b);
      std::copy_n(h0.begin() + s, hidden, h.begin());
      std::copy_n(c0.begin() + s, hidden, cs.begin());
      const int64_t len = lens[static_cast<size_t>(b)];
      // Steps past a batch entry's length are not computed; their Y stays zero.
      for (int64_t step = 0; step < len; ++step) {
        const int64_t t = reverse ? len - 1 - step : step;
        cell(dir, x.data() + x_at(t, b), h.data(), cs.data());
        std::copy(h.begin(), h.end(), y.begin() + y_at(t, d, b));
      }
      std::copy(h.begin(), h.end(), yh.begin() + s);
      std::copy(cs.begin(), cs.end(), yc.begin() + s);
    }
  }
  if (c.num_outputs() > 0 && c.output(0).defined()) LEDGE_TRY(store(y, c.output(0)));
  if (c.num_outputs() > 1 && c.output(1).defined()) LEDGE_TRY(store(yh, c.output(1)));
  if (spec.has_cell_state && c.num_outputs() > 2 && c.output(2).defined())
    LEDGE_TRY(store(yc, c.output(2)));
  return Status();
}

}  // namespace ledge::rnn
