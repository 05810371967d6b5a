// QDQ patterns become integer operators, so a quantized model runs on integer kernels
// rather than dequantize → float operator → quantize:
//
//   a ──DQ──▶ Conv ──(Relu/Clip)──▶ Q ──▶ y        a ──▶ QLinearConv ──▶ y
//   W_int8 ──DQ──▶  ▲                  ⇒     (W_int8, scales and zero points as inputs,
//   B_int32 ──DQ──▶                             B_int32 as the bias)
//
//   a ──DQ──▶ Gemm / MatMul ──(Relu)──▶ Q     a ──▶ ledge.QFullyConnected ──▶ y
//   (also without the Q: the float result of the integer product, as for a classifier's logits)
//
//   a ──DQ──▶ Add ──(Relu)──▶ Q ──▶ y              a, b ──▶ ledge.QAdd ──▶ y
//   b ──DQ──▶  ▲                              ⇒    (Mul likewise: ledge.QMul, also with b
//                                                   one value per channel [N, C, 1, 1])
//   a ──DQ──▶ GlobalAveragePool ──▶ Q ──▶ y     a ──▶ ledge.QGlobalAveragePool ──▶ y
//
//   a ──DQ──▶ Concat ◀──DQ── b (one scale and zero point)  ⇒   a, b ──▶ Concat ──DQ──▶
//   a ──DQ──▶ MaxPool / Flatten / Reshape / Transpose    ⇒   a ──▶ MaxPool / ... ──DQ──▶
//   (and nearest-neighbour Resize: moves_values_unchanged)
//   b ──DQ──▶ Q (the same scale and zero point)           ⇒   b
//   (these run first, so that chains like Relu → Q → DQ → MaxPool → Flatten → Q → DQ → Gemm
//   become integer end to end)
//
// A pattern is taken only when its result is the same function up to the rounding of the
// accumulator: per-tensor activation parameters, constant int8 weights (per output channel
// or per tensor), an int32 bias whose scale is x_scale · w_scale, and a Relu or Clip only
// where the quantizer's clamp already does its work (requant_after).
// It runs before constant folding, which would otherwise turn DQ(W) into float weights.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ir/verifier.h"
#include "lower/lower.h"
#include "lower/lower_util.h"
#include "ops/lowered_common.h"

namespace ledge {

namespace {

// A DequantizeLinear node's parameters, all constant.
struct Dequant {
  std::string data;  // the quantized value
  const Tensor* scale = nullptr;
  std::string scale_name;
  std::string zero_name;  // empty: no zero point given (0)
  const Tensor* zero = nullptr;
  int64_t axis = 1;
};

std::optional<Dequant> dequant_of(const Graph& g, const GraphIndex& p, const std::string& v) {
  const Node* n = p.producer_of(v);
  if (!n) return std::nullopt;
  if (!n->domain.empty() || n->op_type != "DequantizeLinear" || n->inputs.size() < 2) return {};
  Dequant d;
  d.data = n->inputs[0];
  d.scale_name = n->inputs[1];
  d.scale = find_initializer(g, d.scale_name);
  if (!d.scale || d.scale->dtype() != DType::kFloat32) return std::nullopt;
  if (n->inputs.size() > 2 && !n->inputs[2].empty()) {
    d.zero_name = n->inputs[2];
    d.zero = find_initializer(g, d.zero_name);
    if (!d.zero) return std::nullopt;
  }
  d.axis = attr_as_int(*n, "axis", 1);
  return d;
}

float value(const Tensor& t, int64_t i) { return static_cast<float>(t.as_double(i)); }

bool is_q8(DType t) { return t == DType::kUInt8 || t == DType::kInt8; }

// Per-tensor activation parameters: scalar scale, scalar 8-bit zero point.
bool per_tensor_activation(const Dequant& d) {
  return d.scale->numel() == 1 && d.zero && d.zero->numel() == 1 && is_q8(d.zero->dtype()) &&
         std::isfinite(value(*d.scale, 0)) && value(*d.scale, 0) > 0;
}

// Whether a per-tensor scale and zero point are those of x (a per-tensor activation).
bool same_parameters(const Tensor& scale, const Tensor& zero, const Dequant& x) {
  return value(scale, 0) == value(*x.scale, 0) && zero.dtype() == x.zero->dtype() &&
         zero.as_int64(0) == x.zero->as_int64(0);
}

// The QuantizeLinear that takes y, through an optional Relu or Clip, when y has no other
// reader. The activation is dropped, so it is taken only where the quantizer's own clamp
// already does its work: Q is non-decreasing, so Q(clip(v, a, b)) = clamp(Q(v), Q(a), Q(b)),
// which is Q(v) when Q(a) is the lowest level (or below) and Q(b) the highest (or above).
struct Requant {
  const Node* activation = nullptr;
  const Node* quantize = nullptr;
};

// The bounds of a Relu or Clip (inputs from opset 11, attributes before), if constant.
std::optional<std::pair<float, float>> activation_bounds(const Graph& g, const Node& n) {
  const float inf = std::numeric_limits<float>::infinity();
  if (n.op_type == "Relu") return std::pair{0.f, inf};
  if (n.op_type != "Clip") return std::nullopt;
  float lo = attr_as_float(n, "min", -inf), hi = attr_as_float(n, "max", inf);
  for (size_t i = 1; i < 3 && i < n.inputs.size(); ++i) {
    if (n.inputs[i].empty()) continue;
    const Tensor* t = find_initializer(g, n.inputs[i]);
    if (!t || t->numel() != 1 || t->dtype() != DType::kFloat32) return std::nullopt;
    (i == 1 ? lo : hi) = value(*t, 0);
  }
  return std::pair{lo, hi};
}

std::optional<Requant> requant_after(const Graph& g, const GraphIndex& p, const std::string& y) {
  Requant r;
  const Node* next = p.sole_reader(y);
  if (next && next->domain.empty() && (next->op_type == "Relu" || next->op_type == "Clip")) {
    r.activation = next;
    next = p.sole_reader(next->outputs[0]);
  }
  if (!next || !next->domain.empty() || next->op_type != "QuantizeLinear" ||
      next->inputs.size() < 3)
    return std::nullopt;
  const Tensor* scale = find_initializer(g, next->inputs[1]);
  const Tensor* zero = find_initializer(g, next->inputs[2]);
  if (!scale || !zero || scale->dtype() != DType::kFloat32 || scale->numel() != 1 ||
      zero->numel() != 1 || !is_q8(zero->dtype()))
    return std::nullopt;
  const float s = value(*scale, 0);
  if (!std::isfinite(s) || s <= 0) return std::nullopt;
  if (r.activation) {
    auto bounds = activation_bounds(g, *r.activation);
    if (!bounds) return std::nullopt;
    const bool u8 = zero->dtype() == DType::kUInt8;
    const double lowest = u8 ? 0 : -128, highest = u8 ? 255 : 127;
    const double zp = static_cast<double>(zero->as_int64(0));
    // Q(v) before saturation, in double: no overflow for any float bound.
    auto level = [&](float v) { return std::nearbyint(static_cast<double>(v) / s) + zp; };
    if (level(bounds->first) > lowest || level(bounds->second) < highest) return std::nullopt;
  }
  r.quantize = next;
  return r;
}

// Constant int8 weights with zero points all 0, per tensor or per output channel along
// `channel_axis` (of `channels`).
bool symmetric_int8_weights(const Graph& g, const Dequant& d, int64_t channel_axis,
                            int64_t channels) {
  const Tensor* w = find_initializer(g, d.data);
  if (!w || w->dtype() != DType::kInt8) return false;
  const int64_t ns = d.scale->numel();
  if (ns != 1) {
    int64_t axis = d.axis < 0 ? d.axis + w->rank() : d.axis;
    if (axis != channel_axis || ns != channels || d.scale->rank() != 1) return false;
  }
  for (int64_t i = 0; i < ns; ++i) {
    const float s = value(*d.scale, i);
    if (!std::isfinite(s) || s <= 0) return false;
  }
  if (d.zero) {
    if (d.zero->dtype() != DType::kInt8 || d.zero->numel() != ns) return false;
    for (int64_t i = 0; i < ns; ++i)
      if (d.zero->as_int64(i) != 0) return false;
  }
  return true;
}

// An int32 bias whose scale is x_scale · w_scale (what QLinearConv assumes).
bool matching_bias(const Graph& g, const Dequant& b, float x_scale, const Tensor& w_scale,
                   int64_t channels) {
  const Tensor* t = find_initializer(g, b.data);
  if (!t || t->dtype() != DType::kInt32 || t->rank() != 1 || t->dim(0) != channels) return false;
  if (b.zero)
    for (int64_t i = 0; i < b.zero->numel(); ++i)
      if (b.zero->as_int64(i) != 0) return false;
  if (b.scale->numel() != 1 && b.scale->numel() != channels) return false;
  for (int64_t c = 0; c < channels; ++c) {
    const float want = x_scale * value(w_scale, w_scale.numel() == 1 ? 0 : c);
    const float have = value(*b.scale, b.scale->numel() == 1 ? 0 : c);
    if (std::fabs(have - want) > 1e-6f * std::fabs(want)) return false;
  }
  return true;
}

class Fuser {
 public:
  explicit Fuser(Graph& g) : g_(g), names_(g), p_(index_graph(g)) {}

  void run() {
    while (sink_dequantize() || sink_dequantize_concat()) p_ = index_graph(g_);
    cancel_pairs();
    p_ = index_graph(g_);
    for (Node& n : g_.nodes) {
      if (!n.domain.empty() || n.outputs.size() != 1) continue;
      if (n.op_type == "Conv") try_conv(n);
      if (n.op_type == "Add") try_add(n);
      if (n.op_type == "Mul") try_mul(n);
      if (n.op_type == "GlobalAveragePool") try_global_pool(n);
      if (n.op_type == "Gemm" || n.op_type == "MatMul") try_matmul(n);
    }
    std::vector<Node> kept;
    for (Node& n : g_.nodes)
      if (!removed_.count(&n)) kept.push_back(std::move(n));
    g_.nodes = std::move(kept);
    // The DequantizeLinear of weights and biases now read by nobody: gone before constant
    // folding would turn them into float copies of the weights.
    const auto reads = count_reads(g_);
    std::erase_if(g_.nodes, [&](const Node& n) {
      return n.domain.empty() && n.op_type == "DequantizeLinear" && n.outputs.size() == 1 &&
             !reads.count(n.outputs[0]);
    });
  }

 private:
  // Whether every reader of y is a QuantizeLinear with x's scale and zero point (and y is
  // not a graph output): then the QDQ model itself rounds y to x's levels.
  bool requantized_alike(const std::string& y, const Dequant& x) const {
    auto readers = p_.readers.find(y);
    if (p_.graph_outputs.count(y) || readers == p_.readers.end() || readers->second.empty())
      return false;
    for (const Node* q : readers->second) {
      if (!q->domain.empty() || q->op_type != "QuantizeLinear" || q->inputs.size() < 3 ||
          q->inputs[0] != y)
        return false;
      const Tensor* scale = find_initializer(g_, q->inputs[1]);
      const Tensor* zero = find_initializer(g_, q->inputs[2]);
      if (!scale || !zero || scale->numel() != 1 || zero->numel() != 1 ||
          !same_parameters(*scale, *zero, x))
        return false;
    }
    return true;
  }

  // DQ → MaxPool / Flatten / Reshape / Transpose / nearest Resize becomes the node on the
  // integers, then the DQ: these nodes pick, move or copy values without changing them, and
  // the maximum commutes with the (increasing) dequantization. A linear Resize whose output
  // is quantized again with the input's parameters becomes ledge.QResize on the integers the
  // same way (it rounds its weighted means as that QuantizeLinear would). Returns whether
  // anything moved.
  bool sink_dequantize() {
    bool moved = false;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      Node& n = g_.nodes[i];
      const bool interpolates = interpolates_within_range(n);
      if (!(moves_values_unchanged(n) || interpolates) || n.inputs.empty() || n.outputs.size() != 1)
        continue;
      auto x = dequant_of(g_, p_, n.inputs[0]);
      auto readers = p_.readers.find(n.inputs[0]);
      if (!x || !per_tensor_activation(*x) || p_.graph_outputs.count(n.inputs[0]) ||
          readers == p_.readers.end())
        continue;
      if (interpolates) {
        if (!requantized_alike(n.outputs[0], *x)) continue;
        n.domain = kLoweredDomain;
        n.op_type = "QResize";
      }
      const Node* dq = p_.producer.at(n.inputs[0]);
      auto at =
          std::find_if(g_.nodes.begin(), g_.nodes.end(), [&](const Node& m) { return &m == dq; });
      Node moved_dq = *at;
      const std::string y = n.outputs[0];
      const std::string integers = integer_value(y, x->zero->dtype());
      n.inputs[0] = x->data;
      n.outputs[0] = integers;
      moved_dq.inputs[0] = integers;
      moved_dq.outputs[0] = y;
      if (readers->second.size() == 1) {
        // The DQ goes right after the node (which stays where it is, after its other
        // inputs). It came before the node, so erasing it first moves the node to i - 1.
        g_.nodes.erase(at);
        g_.nodes.insert(g_.nodes.begin() + static_cast<std::ptrdiff_t>(i), std::move(moved_dq));
      } else {
        // Other nodes read the DQ too (ShuffleNet's two channel-halving Slices): they keep
        // it, and a copy follows this node.
        moved_dq.name = names_.make(dq->name + "/after_" + n.op_type);
        g_.nodes.insert(g_.nodes.begin() + static_cast<std::ptrdiff_t>(i + 1), std::move(moved_dq));
      }
      moved = true;
      break;  // the index is stale
    }
    return moved;
  }

  // DQ(a), DQ(b), ... → Concat, all with one scale and zero point (the quantizer gives a
  // Concat's inputs and output one pair: src/quant/quantize_qdq.cpp), becomes the Concat of
  // the integers, then one DQ: concatenation moves values without changing them. The Q after
  // it then cancels (cancel_pairs), and the next quantized node reads the integers.
  bool sink_dequantize_concat() {
    for (Node& n : g_.nodes) {
      if (!n.domain.empty() || n.op_type != "Concat" || n.inputs.empty() || n.outputs.size() != 1)
        continue;
      std::vector<Dequant> parts;
      std::set<const Node*> dqs;
      for (const auto& in : n.inputs) {
        auto d = in.empty() ? std::nullopt : dequant_of(g_, p_, in);
        auto readers = p_.readers.find(in);
        if (!d || !per_tensor_activation(*d) || p_.graph_outputs.count(in) ||
            readers == p_.readers.end() || readers->second.size() != 1 ||
            (!parts.empty() && !same_parameters(*parts[0].scale, *parts[0].zero, *d)))
          break;
        parts.push_back(*d);
        dqs.insert(p_.producer.at(in));
      }
      if (parts.size() != n.inputs.size() || dqs.size() != parts.size()) continue;
      Node dq = *p_.producer.at(n.inputs[0]);
      const std::string y = n.outputs[0];
      const std::string integers = integer_value(y, parts[0].zero->dtype());
      for (size_t i = 0; i < parts.size(); ++i) n.inputs[i] = parts[i].data;
      n.outputs[0] = integers;
      dq.name = names_.make(y + "/dequantize");
      dq.inputs[0] = integers;
      dq.outputs[0] = y;
      // The input DQs go; the new one comes right after the Concat.
      std::vector<Node> nodes;
      for (Node& m : g_.nodes) {
        if (dqs.count(&m)) continue;
        const bool is_concat = &m == &n;
        nodes.push_back(std::move(m));
        if (is_concat) nodes.push_back(dq);
      }
      g_.nodes = std::move(nodes);
      return true;  // the index is stale
    }
    return false;
  }

  // A name for the integers behind the float value y, typed as y but for the element type.
  std::string integer_value(const std::string& y, DType dtype) {
    const std::string integers = names_.make(y + "/quantized");
    if (auto t = g_.value_types.find(y); t != g_.value_types.end()) {
      TensorType q = t->second;
      q.dtype = dtype;
      g_.value_types[integers] = q;
    }
    return integers;
  }

  // Q(DQ(b)) with the same parameters is b: its readers read b.
  void cancel_pairs() {
    std::map<std::string, std::string> alias;  // Q's output → b
    for (const Node& n : g_.nodes) {
      if (!n.domain.empty() || n.op_type != "QuantizeLinear" || n.inputs.size() < 3 ||
          p_.graph_outputs.count(n.outputs[0]))
        continue;
      auto x = dequant_of(g_, p_, n.inputs[0]);
      const Tensor* scale = find_initializer(g_, n.inputs[1]);
      const Tensor* zero = find_initializer(g_, n.inputs[2]);
      if (!x || !per_tensor_activation(*x) || !scale || !zero || scale->numel() != 1 ||
          zero->numel() != 1 || !same_parameters(*scale, *zero, *x))
        continue;
      alias[n.outputs[0]] = x->data;
    }
    // (p_ points into g_.nodes: nothing is erased until every pair is found.)
    std::erase_if(g_.nodes, [&](const Node& n) {
      return n.domain.empty() && n.op_type == "QuantizeLinear" && alias.count(n.outputs[0]);
    });
    for (Node& n : g_.nodes)
      for (auto& in : n.inputs)
        for (auto it = alias.find(in); it != alias.end(); it = alias.find(in)) in = it->second;
  }

  // The zero point of the weights (all 0: symmetric_int8_weights) as one int8 scalar that
  // every fused node shares.
  std::string weight_zero(const Dequant&) {
    if (zero_.empty()) {
      zero_ = names_.make("int8_zero");
      g_.initializers[zero_] = Tensor::from_vector<int8_t>({0}, {});
    }
    return zero_;
  }

  // Replaces `n` (and its Relu, its QuantizeLinear) by `q`, placed where the
  // QuantizeLinear was, so every reader of the result still comes after it.
  void replace(Node& n, const Requant& r, Node q) {
    q.name = n.name;
    q.outputs = {r.quantize->outputs[0]};
    removed_.insert(&n);
    if (r.activation) removed_.insert(r.activation);
    Node& at = const_cast<Node&>(*r.quantize);
    at = std::move(q);
  }

  // DQ(a) + DQ(b) → (Relu) → Q with a, b of one static shape and the output's type.
  void try_add(Node& n) {
    try_binary(n, "QAdd", [](const Shape& a, const Shape& b) { return a == b; });
  }

  // DQ(a) * DQ(b) → (Relu) → Q with a, b of one static shape, or one of them a value per
  // image and channel ([N, C, 1, 1]) scaling the other ([N, C, H, W]): a squeeze-and-
  // excitation block.
  void try_mul(Node& n) {
    try_binary(n, "QMul", [](const Shape& a, const Shape& b) {
      return a == b || channel_scale(a, b) || channel_scale(b, a);
    });
  }

  // [N, C, 1, 1] against [N, C, H, W].
  static bool channel_scale(const Shape& small, const Shape& large) {
    return small.size() == 4 && large.size() == 4 && small[0] == large[0] && small[1] == large[1] &&
           small[2] == 1 && small[3] == 1;
  }

  // DQ(a) op DQ(b) → (Relu) → Q, per-tensor parameters of one 8-bit type, static shapes that
  // `shapes_fit`: the ledge operator `op` (inputs a, its scale and zero point, b, its, y's).
  template <class ShapesFit>
  void try_binary(Node& n, const char* op, ShapesFit shapes_fit) {
    if (n.inputs.size() != 2) return;
    auto a = dequant_of(g_, p_, n.inputs[0]);
    auto b = dequant_of(g_, p_, n.inputs[1]);
    if (!a || !b || !per_tensor_activation(*a) || !per_tensor_activation(*b) ||
        a->zero->dtype() != b->zero->dtype())
      return;
    const Shape* sa = static_shape(g_, n.inputs[0]);
    const Shape* sb = static_shape(g_, n.inputs[1]);
    if (!sa || !sb || !shapes_fit(*sa, *sb)) return;
    auto r = requant_after(g_, p_, n.outputs[0]);
    if (!r) return;
    const Tensor* yz = find_initializer(g_, r->quantize->inputs[2]);
    if (yz->dtype() != a->zero->dtype()) return;
    Node q;
    q.op_type = op;
    q.domain = kLoweredDomain;
    q.inputs = {a->data,       a->scale_name, a->zero_name,           b->data,
                b->scale_name, b->zero_name,  r->quantize->inputs[1], r->quantize->inputs[2]};
    replace(n, *r, std::move(q));
  }

  // DQ(x) → GlobalAveragePool → (Relu) → Q, one 8-bit type in and out.
  void try_global_pool(Node& n) {
    if (n.inputs.size() != 1) return;
    auto x = dequant_of(g_, p_, n.inputs[0]);
    const Shape* sx = static_shape(g_, n.inputs[0]);
    if (!x || !per_tensor_activation(*x) || !sx || sx->size() < 3) return;
    auto r = requant_after(g_, p_, n.outputs[0]);
    if (!r) return;
    const Tensor* yz = find_initializer(g_, r->quantize->inputs[2]);
    if (yz->dtype() != x->zero->dtype()) return;
    Node q;
    q.op_type = "QGlobalAveragePool";
    q.domain = kLoweredDomain;
    q.inputs = {x->data, x->scale_name, x->zero_name, r->quantize->inputs[1],
                r->quantize->inputs[2]};
    replace(n, *r, std::move(q));
  }

  void try_conv(Node& n) {
    if (n.inputs.size() < 2) return;
    auto x = dequant_of(g_, p_, n.inputs[0]);
    auto w = dequant_of(g_, p_, n.inputs[1]);
    if (!x || !w || !per_tensor_activation(*x)) return;
    const Tensor* wt = find_initializer(g_, w->data);
    if (!wt || wt->rank() != 4 || !symmetric_int8_weights(g_, *w, 0, wt->dim(0))) return;
    std::optional<Dequant> b;
    if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
      b = dequant_of(g_, p_, n.inputs[2]);
      if (!b || !matching_bias(g_, *b, value(*x->scale, 0), *w->scale, wt->dim(0))) return;
    }
    auto r = requant_after(g_, p_, n.outputs[0]);
    if (!r) return;
    Node q;
    q.op_type = "QLinearConv";
    q.inputs = {x->data,       x->scale_name,   x->zero_name,           w->data,
                w->scale_name, weight_zero(*w), r->quantize->inputs[1], r->quantize->inputs[2]};
    if (b) q.inputs.push_back(b->data);
    for (const char* a : {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"})
      if (n.has_attr(a)) q.attributes[a] = n.attributes.at(a);
    replace(n, *r, std::move(q));
  }

  // Y = X · W (+ B) with 2-D X; the weights are stored as [N, K] like ledge.FullyConnected.
  void try_matmul(Node& n) {
    const bool gemm = n.op_type == "Gemm";
    if (n.inputs.size() < 2) return;
    if (gemm && (attr_as_int(n, "transA", 0) != 0 || attr_as_float(n, "alpha", 1.f) != 1.f ||
                 attr_as_float(n, "beta", 1.f) != 1.f))
      return;
    const bool trans_b = gemm && attr_as_int(n, "transB", 0) != 0;
    auto x = dequant_of(g_, p_, n.inputs[0]);
    auto w = dequant_of(g_, p_, n.inputs[1]);
    if (!x || !w || !per_tensor_activation(*x)) return;
    const Shape* xs = static_shape(g_, n.inputs[0]);
    auto xt = g_.value_types.find(x->data);
    const bool x_rank2 =
        (xs && xs->size() == 2) ||
        (xt != g_.value_types.end() && xt->second.shape && xt->second.shape->size() == 2);
    if (!x_rank2) return;
    const Tensor* wt = find_initializer(g_, w->data);
    if (!wt || wt->rank() != 2) return;
    const int64_t channels = trans_b ? wt->dim(0) : wt->dim(1);
    if (!symmetric_int8_weights(g_, *w, trans_b ? 0 : 1, channels)) return;
    std::optional<Dequant> b;
    if (gemm && n.inputs.size() > 2 && !n.inputs[2].empty()) {
      b = dequant_of(g_, p_, n.inputs[2]);
      if (!b || !matching_bias(g_, *b, value(*x->scale, 0), *w->scale, channels)) return;
    }
    // Without a QuantizeLinear after it (the logits of a classifier), the result stays float.
    auto r = requant_after(g_, p_, n.outputs[0]);
    std::string w_nk = w->data;
    if (!trans_b) {
      auto t = transpose_tensor(*wt, {1, 0});
      if (!t) return;
      w_nk = names_.make(w->data + "/nk");
      g_.initializers[w_nk] = std::move(t).value();
    }
    Node q;
    q.op_type = "QFullyConnected";
    q.domain = kLoweredDomain;
    q.inputs = {x->data, x->scale_name, x->zero_name, w_nk, w->scale_name, weight_zero(*w)};
    if (r) {
      q.inputs.push_back(r->quantize->inputs[1]);
      q.inputs.push_back(r->quantize->inputs[2]);
    } else {
      q.inputs.resize(8);
    }
    if (b) q.inputs.push_back(b->data);
    if (r) {
      replace(n, *r, std::move(q));
    } else {
      q.name = n.name;
      q.outputs = n.outputs;
      n = std::move(q);
    }
  }

  Graph& g_;
  NameMaker names_;
  GraphIndex p_;
  std::set<const Node*> removed_;
  std::string zero_;
};

}  // namespace

Status fuse_quantized_ops(Graph& graph) {
  Fuser(graph).run();
  return Status();
}

namespace {

// The mode of an ONNX Resize that does not crop ("" for any other node): tf_crop_and_resize
// writes its float extrapolation_value outside the crop, which no quantized tensor holds.
std::string uncropped_resize_mode(const Node& node) {
  if (!node.domain.empty() || node.op_type != "Resize") return "";
  auto string_attr = [&](const char* name, const char* def) {
    auto it = node.attributes.find(name);
    return it != node.attributes.end() && std::holds_alternative<std::string>(it->second)
               ? std::get<std::string>(it->second)
               : std::string(def);
  };
  if (string_attr("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize")
    return "";
  return string_attr("mode", "nearest");
}

}  // namespace

bool moves_values_unchanged(const Node& node) {
  static const std::set<std::string> kOps = {"MaxPool", "Flatten", "Reshape", "Transpose", "Slice"};
  if (!node.domain.empty()) return false;
  if (kOps.count(node.op_type)) return true;
  return uncropped_resize_mode(node) == "nearest";  // copies input values
}

bool interpolates_within_range(const Node& node) { return uncropped_resize_mode(node) == "linear"; }

}  // namespace ledge
