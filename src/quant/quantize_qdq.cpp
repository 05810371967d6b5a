#include "quant/quantize_qdq.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <variant>

#include "lower/lower.h"

namespace ledge {

namespace {

bool is_float_initializer(const Graph& g, const std::string& name, int64_t rank_min,
                          int64_t rank_max) {
  auto it = g.initializers.find(name);
  return it != g.initializers.end() && it->second.dtype() == DType::kFloat32 &&
         it->second.rank() >= rank_min && it->second.rank() <= rank_max;
}

bool is_float_value(const Graph& g, const std::string& v) {
  auto it = g.value_types.find(v);
  return it != g.value_types.end() && it->second.dtype == DType::kFloat32;
}

// Add of two float activations (a residual connection; not shape arithmetic, hence the
// inferred types): both inputs and the output get pairs, so that an integer kernel adds them
// (src/lower/fuse_quantized.cpp).
bool is_activation_add(const Graph& g, const Node& n) {
  return n.domain.empty() && n.op_type == "Add" && n.inputs.size() == 2 && n.outputs.size() == 1 &&
         !g.initializers.count(n.inputs[0]) && !g.initializers.count(n.inputs[1]) &&
         is_float_value(g, n.inputs[0]) && is_float_value(g, n.inputs[1]);
}

const Shape* value_shape(const Graph& g, const std::string& v) {
  auto it = g.value_types.find(v);
  return it != g.value_types.end() && it->second.shape ? &*it->second.shape : nullptr;
}

// Mul of a float activation [N, C, H, W] by a per-channel one [N, C, 1, 1], either order: a
// squeeze-and-excitation block's scaling (ledge.QMul after lowering). Not x * f(x) of one
// shape (x * HardSigmoid(x) is HardSwish): pairs inside it would only add rounding, and its
// float island becomes one lookup anyway.
bool is_channel_scale_mul(const Graph& g, const Node& n) {
  if (!n.domain.empty() || n.op_type != "Mul" || n.inputs.size() != 2 || n.outputs.size() != 1 ||
      g.initializers.count(n.inputs[0]) || g.initializers.count(n.inputs[1]) ||
      !is_float_value(g, n.inputs[0]) || !is_float_value(g, n.inputs[1]))
    return false;
  const Shape* a = value_shape(g, n.inputs[0]);
  const Shape* b = value_shape(g, n.inputs[1]);
  auto scales = [](const Shape& small, const Shape& large) {
    return small.size() == 4 && large.size() == 4 && small[0] == large[0] && small[1] == large[1] &&
           small[1] > 0 && small[2] == 1 && small[3] == 1 && large[2] * large[3] > 1;
  };
  return a && b && (scales(*a, *b) || scales(*b, *a));
}

// Average pooling, global or windowed: runs on the integers (ledge.QGlobalAveragePool,
// ledge.NhwcQAveragePool).
bool is_activation_average_pool(const Graph& g, const Node& n) {
  return n.domain.empty() && (n.op_type == "GlobalAveragePool" || n.op_type == "AveragePool") &&
         n.inputs.size() == 1 && n.outputs.size() == 1 && !g.initializers.count(n.inputs[0]) &&
         is_float_value(g, n.inputs[0]);
}

// Concat of float activations: every input and the output get pairs, so that the Concat, and
// what moves its values on (ShuffleNet's channel shuffle and split), runs on the integers.
bool is_activation_concat(const Graph& g, const Node& n) {
  if (!n.domain.empty() || n.op_type != "Concat" || n.inputs.empty() || n.outputs.size() != 1)
    return false;
  for (const auto& in : n.inputs)
    if (in.empty() || g.initializers.count(in) || !is_float_value(g, in)) return false;
  return true;
}

// Quantized nodes without weights: their activation inputs and their output get pairs.
bool activations_only(const Node& n) {
  return n.op_type == "Add" || n.op_type == "Mul" || n.op_type == "GlobalAveragePool" ||
         n.op_type == "AveragePool" || n.op_type == "Concat";
}

// How many leading inputs of a quantized node are activations (the rest are weights).
size_t activation_inputs(const Node& n) {
  if (n.op_type == "Concat") return n.inputs.size();
  return n.op_type == "Add" || n.op_type == "Mul" ? 2 : 1;
}

bool quantizable(const Graph& g, const Node& n) {
  if (is_activation_add(g, n) || is_channel_scale_mul(g, n) || is_activation_average_pool(g, n) ||
      is_activation_concat(g, n))
    return true;
  if (!n.domain.empty() || n.inputs.size() < 2 || n.outputs.empty()) return false;
  if (g.initializers.count(n.inputs[0])) return false;  // the activation must vary
  if (n.op_type == "Conv") return is_float_initializer(g, n.inputs[1], 3, 5);
  if (n.op_type == "Gemm" || n.op_type == "MatMul")
    return is_float_initializer(g, n.inputs[1], 2, 2);
  return false;
}

// The tensor whose QDQ pair follows quantized node n: its output, or, when that feeds only
// a Relu or Clip (Relu6), the activation's output (which an integer kernel computes fused:
// the quantizer's clamp does its work; and whose range, all non-negative, gets all 256
// levels instead of half); "" for a graph output.
std::string quantized_output(const Graph& g, const Node& n) {
  std::set<std::string> outputs;
  for (const auto& o : g.outputs) outputs.insert(o.name);
  const std::string& y = n.outputs[0];
  if (outputs.count(y)) return "";
  const Node* only = nullptr;
  int consumers = 0;
  for (const Node& c : g.nodes)
    for (const auto& in : c.inputs)
      if (in == y) ++consumers, only = &c;
  if (consumers == 1 && (only->op_type == "Relu" || only->op_type == "Clip") &&
      only->domain.empty() && !outputs.count(only->outputs[0]))
    return only->outputs[0];
  return y;
}

// The axis of the weights that holds the output channels.
int64_t weight_axis(const Node& n) {
  if (n.op_type == "Conv") return 0;
  if (n.op_type == "Gemm") {
    auto it = n.attributes.find("transB");
    const bool trans = it != n.attributes.end() && std::get<int64_t>(it->second) != 0;
    return trans ? 0 : 1;
  }
  return 1;  // MatMul: [K, N]
}

struct QParams {
  float scale = 1;
  int32_t zero_point = 0;
};

QParams activation_params(const Range& r, bool is_unsigned) {
  const double lo = std::min<double>(r.lo, 0), hi = std::max<double>(r.hi, 0);
  QParams p;
  p.scale = static_cast<float>(std::max((hi - lo) / 255.0, 1e-12));
  const double zp = std::nearbyint(-lo / p.scale);
  p.zero_point = is_unsigned ? static_cast<int32_t>(std::clamp(zp, 0.0, 255.0))
                             : static_cast<int32_t>(std::clamp(zp - 128, -128.0, 127.0));
  return p;
}

Tensor scalar_zero_point(bool is_unsigned, int32_t zp) {
  if (is_unsigned) return Tensor::from_vector<uint8_t>({static_cast<uint8_t>(zp)}, {});
  return Tensor::from_vector<int8_t>({static_cast<int8_t>(zp)}, {});
}

class Rewriter {
 public:
  Rewriter(const Model& in, const std::map<std::string, Range>& ranges, const QuantizeOptions& o)
      : ranges_(ranges), o_(o), out_(std::make_shared<Model>(in)), g_in_(in.graph) {
    // New names must not collide with any existing one.
    for (const auto& v : in.graph.inputs) used_.insert(v.name);
    for (const Node& n : in.graph.nodes) {
      for (const auto& t : n.outputs) producer_[t] = &n;
      used_.insert(n.name);
      for (const auto& t : n.outputs) used_.insert(t);
      if (n.domain.empty() && n.op_type == "Concat" && n.outputs.size() == 1)
        for (const auto& t : n.inputs) concat_of_.emplace(t, &n);  // the first Concat wins
    }
  }

  Expected<std::shared_ptr<Model>> run() {
    Graph& g = out_->graph;
    if (out_->opsets[""] < 13 && o_.per_channel)
      return unsupported("per-channel quantization needs ONNX opset 13 or later (the model has " +
                         std::to_string(out_->opsets[""]) + "); use --per-tensor");
    for (const auto& out : g.outputs) graph_outputs_.insert(out.name);
    // Exporters share equal biases through Identity nodes (and write Constant nodes): as
    // initializers they can be quantized like any other.
    constants_to_initializers(g);
    std::vector<Node> old = std::move(g.nodes);
    g.nodes.clear();
    for (Node& n : old) {
      const bool q = quantizable(g, n) && !o_.keep_float.count(n.name);
      // Consumers of a quantized output read its dequantized copy (a quantized node's
      // activation input is handled by quantize_node, which reuses the same pair).
      for (size_t i = q ? activation_inputs(n) : 0; i < n.inputs.size(); ++i) {
        auto it = dequantized_.find(n.inputs[i]);
        if (it != dequantized_.end()) n.inputs[i] = it->second;
      }
      const std::string out = n.outputs.empty() ? "" : n.outputs[0];
      if (q) {
        const std::string follow = quantized_output(g_in_, n);
        if (!follow.empty()) pending_.insert(follow);
        LEDGE_TRY(quantize_node(n));
      } else {
        g.nodes.push_back(std::move(n));
      }
      // The QDQ pair of a quantized node's output (or of the Relu after it) comes right
      // after its producer; later consumers read the dequantized copy.
      if (pending_.erase(out)) {
        LEDGE_ASSIGN(QParams p, params_of(out));
        LEDGE_ASSIGN(std::string dq, add_qdq(out, p));
        dequantized_[out] = dq;
        input_dq_[out] = dq;  // a quantized consumer reads the same pair
      }
    }
    drop_replaced_constants();
    return out_;
  }

 private:
  // The float weights and biases that now have integer copies go, unless something else
  // (another node, a subgraph, a graph input or output) still names them.
  void drop_replaced_constants() {
    Graph& g = out_->graph;
    std::set<std::string> read;
    for (const Node& n : g.nodes) {
      for (const auto& in : n.inputs) read.insert(in);
      if (n.has_subgraph()) return;  // subgraphs may read outer constants: keep everything
    }
    for (const auto& o : g.outputs) read.insert(o.name);
    for (const auto& i : g.inputs) read.insert(i.name);  // an overridable constant stays
    for (const auto& name : replaced_)
      if (!read.count(name)) g.initializers.erase(name);
  }

  // The parameters of a tensor: those of its source when a MaxPool, Flatten, Reshape or
  // Transpose made it from a tensor that already has a pair (its values are a subset of the
  // source's, and with equal parameters the lowering runs that node on the integers:
  // src/lower/fuse_quantized.cpp), a Concat's shared pair, else its calibrated range.
  Expected<QParams> params_of(const std::string& tensor) {
    if (auto src = same_range_source(tensor); src != params_.end()) return src->second;
    // A Concat's output, or a MaxPool (...) of one (SqueezeNet's Concat → MaxPool → Conv):
    // the Concat's shared pair, so that the pooling too runs on the integers.
    if (auto shared = concat_range(upstream_through_same_range(tensor).back()))
      return activation_params(*shared, o_.unsigned_activations);
    auto it = ranges_.find(tensor);
    if (it == ranges_.end())
      return invalid_argument("no calibrated range for tensor '" + tensor + "'");
    return activation_params(it->second, o_.unsigned_activations);
  }

  // A Concat's inputs and its output share one pair of parameters, from the union of their
  // ranges (as TFLite requires of a quantized concatenation): the lowering then concatenates
  // the integers, and the next quantized node reads them without a float round trip
  // (src/lower/fuse_quantized.cpp). Only when every input was calibrated.
  std::optional<Range> concat_range(const std::string& tensor) const {
    const Node* concat = nullptr;
    if (auto p = producer_.find(tensor);
        p != producer_.end() && p->second->domain.empty() && p->second->op_type == "Concat")
      concat = p->second;
    else if (auto c = concat_of_.find(tensor); c != concat_of_.end())
      concat = c->second;
    if (!concat || concat->outputs.size() != 1) return std::nullopt;
    std::optional<Range> all;
    auto widen = [&](const std::string& t) {
      auto r = t.empty() ? ranges_.end() : ranges_.find(t);
      if (r == ranges_.end()) return false;
      all =
          all ? Range{std::min(all->lo, r->second.lo), std::max(all->hi, r->second.hi)} : r->second;
      return true;
    };
    for (const auto& t : concat->inputs) {
      auto c = concat_of_.find(t);
      if (c == concat_of_.end() || c->second != concat)
        return std::nullopt;  // also read by an earlier Concat, which sets its parameters
      if (!widen(t)) return std::nullopt;
    }
    widen(concat->outputs[0]);  // the union of the inputs already; calibrated only when read
    return all;
  }

  // `tensor`, then the tensors it was made from through MaxPool, Flatten, Reshape and
  // Transpose (whose values are a subset of their input's) and linear Resize (whose values
  // are weighted means of its input's), nearest first.
  std::vector<std::string> upstream_through_same_range(const std::string& tensor) const {
    std::vector<std::string> chain{tensor};
    for (auto it = producer_.find(tensor); it != producer_.end();
         it = producer_.find(chain.back())) {
      const Node& n = *it->second;
      if (!(moves_values_unchanged(n) || interpolates_within_range(n)) || n.inputs.empty() ||
          n.outputs.size() != 1 ||
          chain.size() > producer_.size())
        break;
      chain.push_back(n.inputs[0]);
    }
    return chain;
  }

  // Through chains of them (MaxPool → Flatten), back to the first tensor with a pair.
  std::map<std::string, QParams>::const_iterator same_range_source(
      const std::string& tensor) const {
    const auto chain = upstream_through_same_range(tensor);
    for (size_t i = 1; i < chain.size(); ++i)
      if (auto p = params_.find(chain[i]); p != params_.end()) return p;
    return params_.end();
  }

  std::string fresh(const std::string& base) {
    std::string name = base;
    for (int i = 1; taken(name); ++i) name = base + "_" + std::to_string(i);
    used_.insert(name);
    return name;
  }
  bool taken(const std::string& name) const {
    return used_.count(name) || out_->graph.initializers.count(name);
  }

  // Q then DQ of `tensor` with its calibrated parameters; returns the dequantized name.
  Expected<std::string> add_qdq(const std::string& tensor, const QParams& p) {
    Graph& g = out_->graph;
    params_[tensor] = p;
    const std::string scale = fresh(tensor + "_scale"), zp = fresh(tensor + "_zero_point");
    g.initializers[scale] = Tensor::from_vector<float>({p.scale}, {});
    g.initializers[zp] = scalar_zero_point(o_.unsigned_activations, p.zero_point);
    Node qn;
    qn.op_type = "QuantizeLinear";
    qn.name = fresh(tensor + "_QuantizeLinear");
    qn.inputs = {tensor, scale, zp};
    qn.outputs = {fresh(tensor + "_quantized")};
    Node dq;
    dq.op_type = "DequantizeLinear";
    dq.name = fresh(tensor + "_DequantizeLinear");
    dq.inputs = {qn.outputs[0], scale, zp};
    dq.outputs = {fresh(tensor + "_dequantized")};
    const std::string result = dq.outputs[0];
    g.nodes.push_back(std::move(qn));
    g.nodes.push_back(std::move(dq));
    return result;
  }

  // A constant as integers plus a DequantizeLinear node (emitted now); returns its output.
  std::string add_constant_dq(const std::string& base, Tensor q, Tensor scale, Tensor zp,
                              std::optional<int64_t> axis) {
    Graph& g = out_->graph;
    const std::string qname = fresh(base + "_quantized"), sname = fresh(base + "_scale"),
                      zname = fresh(base + "_zero_point");
    g.initializers[qname] = std::move(q);
    g.initializers[sname] = std::move(scale);
    g.initializers[zname] = std::move(zp);
    Node dq;
    dq.op_type = "DequantizeLinear";
    dq.name = fresh(base + "_DequantizeLinear");
    dq.inputs = {qname, sname, zname};
    dq.outputs = {fresh(base + "_dequantized")};
    if (axis) dq.attributes["axis"] = *axis;
    const std::string result = dq.outputs[0];
    g.nodes.push_back(std::move(dq));
    return result;
  }

  // Replaces activation `x` by its dequantized copy, adding the QDQ pair on first use.
  Status read_through_pair(std::string& x) {
    auto done = input_dq_.find(x);
    if (done == input_dq_.end()) {
      LEDGE_ASSIGN(QParams p, params_of(x));
      LEDGE_ASSIGN(std::string xdq, add_qdq(x, p));
      done = input_dq_.emplace(x, xdq).first;
    }
    x = done->second;
    return Status();
  }

  Status quantize_node(Node n) {
    Graph& g = out_->graph;
    // Activation inputs (each pair shared by every quantized consumer).
    const std::string x = n.inputs[0];
    for (size_t i = 0; i < activation_inputs(n); ++i) {
      LEDGE_TRY(read_through_pair(n.inputs[i]));
    }
    if (activations_only(n)) {
      g.nodes.push_back(std::move(n));
      return Status();
    }
    LEDGE_ASSIGN(QParams xp, params_of(x));  // what x's pair used

    // Weights: int8, symmetric, per output channel or per tensor.
    const Tensor& w = g.initializers.at(n.inputs[1]);
    const int64_t axis = weight_axis(n);
    const int64_t channels = o_.per_channel ? w.dim(static_cast<size_t>(axis)) : 1;
    const int64_t outer = o_.per_channel ? [&] {
      int64_t v = 1;
      for (int64_t d = 0; d < axis; ++d) v *= w.dim(static_cast<size_t>(d));
      return v;
    }() : 1;
    const int64_t inner = w.numel() / std::max<int64_t>(1, outer * channels);
    std::vector<float> wscale(static_cast<size_t>(channels), 0.f);
    const float* wv = w.data<float>();
    auto channel_of = [&](int64_t i) { return o_.per_channel ? (i / inner) % channels : 0; };
    for (int64_t i = 0; i < w.numel(); ++i) {
      auto& s = wscale[static_cast<size_t>(channel_of(i))];
      s = std::max(s, std::fabs(wv[i]));
    }
    for (float& s : wscale) s = s > 0 ? s / 127.f : 1.f;  // an all-zero channel: any scale
    LEDGE_ASSIGN(Tensor wq, Tensor::make(DType::kInt8, w.shape()));
    for (int64_t i = 0; i < w.numel(); ++i) {
      const double q = std::nearbyint(wv[i] / wscale[static_cast<size_t>(channel_of(i))]);
      wq.data<int8_t>()[i] = static_cast<int8_t>(std::clamp(q, -127.0, 127.0));
    }
    const Shape vec = {channels};
    Tensor ws = o_.per_channel ? Tensor::from_vector<float>(wscale, vec)
                               : Tensor::from_vector<float>({wscale[0]}, {});
    Tensor wz =
        o_.per_channel ? *Tensor::make(DType::kInt8, vec) : Tensor::from_vector<int8_t>({0}, {});
    replaced_.insert(n.inputs[1]);
    n.inputs[1] = add_constant_dq(n.inputs[1], std::move(wq), std::move(ws), std::move(wz),
                                  o_.per_channel ? std::optional<int64_t>(axis) : std::nullopt);

    // Bias: int32 with scale input scale x weight scale, when it is a plain vector.
    if (n.op_type != "MatMul" && n.inputs.size() > 2 && !n.inputs[2].empty() &&
        is_float_initializer(g, n.inputs[2], 1, 1)) {
      const Tensor& b = g.initializers.at(n.inputs[2]);
      const int64_t count = b.numel();
      if (!o_.per_channel || count == channels) {
        std::vector<float> bscale(static_cast<size_t>(count));
        LEDGE_ASSIGN(Tensor bq, Tensor::make(DType::kInt32, b.shape()));
        bool fits = true;
        for (int64_t c = 0; c < count; ++c) {
          const float s = xp.scale * wscale[o_.per_channel ? static_cast<size_t>(c) : 0];
          bscale[static_cast<size_t>(c)] = s;
          const double q = std::nearbyint(b.data<float>()[c] / s);
          fits &= std::fabs(q) < 2147483647.0;
          bq.data<int32_t>()[c] = static_cast<int32_t>(std::clamp(q, -2147483647.0, 2147483647.0));
        }
        if (fits) {
          Tensor bs = o_.per_channel ? Tensor::from_vector<float>(bscale, {count})
                                     : Tensor::from_vector<float>({bscale[0]}, {});
          Tensor bz = o_.per_channel ? *Tensor::make(DType::kInt32, {count})
                                     : Tensor::from_vector<int32_t>({0}, {});
          replaced_.insert(n.inputs[2]);
          n.inputs[2] = add_constant_dq(n.inputs[2], std::move(bq), std::move(bs), std::move(bz),
                                        o_.per_channel ? std::optional<int64_t>(0) : std::nullopt);
        }
      }
    }
    g.nodes.push_back(std::move(n));
    return Status();
  }

  const std::map<std::string, Range>& ranges_;
  std::map<std::string, const Node*> concat_of_;  // tensor → the Concat that reads it
  const QuantizeOptions& o_;
  std::shared_ptr<Model> out_;
  const Graph& g_in_;  // the graph as given (consumers are looked up there)
  std::set<std::string> graph_outputs_, used_;
  std::set<std::string> pending_;                   // tensors whose QDQ pair follows their producer
  std::set<std::string> replaced_;                  // float constants given an integer copy
  std::map<std::string, std::string> dequantized_;  // float tensor -> its QDQ copy
  std::map<std::string, std::string> input_dq_;     // activation -> QDQ copy for quantized nodes
  std::map<std::string, QParams> params_;           // tensor -> the parameters of its pair
  std::map<std::string, const Node*> producer_;     // in g_in_
};

}  // namespace

std::vector<std::string> quantizable_nodes(const Model& model) {
  std::vector<std::string> names;
  for (const Node& n : model.graph.nodes)
    if (quantizable(model.graph, n)) names.push_back(n.name);
  return names;
}

std::set<std::string> tensors_to_calibrate(const Model& model, const QuantizeOptions& options) {
  std::set<std::string> outputs, names;
  for (const auto& o : model.graph.outputs) outputs.insert(o.name);
  for (const Node& n : model.graph.nodes) {
    if (!quantizable(model.graph, n) || options.keep_float.count(n.name)) continue;
    for (size_t i = 0; i < activation_inputs(n); ++i) names.insert(n.inputs[i]);
    const std::string out = quantized_output(model.graph, n);
    if (!out.empty()) names.insert(out);
  }
  return names;
}

Expected<std::shared_ptr<Model>> quantize_qdq(const Model& model,
                                              const std::map<std::string, Range>& ranges,
                                              const QuantizeOptions& options) {
  return Rewriter(model, ranges, options).run();
}

}  // namespace ledge
