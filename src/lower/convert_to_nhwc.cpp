// Chooses the NHWC layout once, at plan time, for float convolutions and the nodes
// around them, so the fast kernels (which are NHWC) never transpose per operator.
//
// Walking the nodes in order, each value may exist in NCHW (its original name), in NHWC
// (a new name), or both. Convolutions always go NHWC; pooling, element-wise and Concat
// nodes go NHWC when an input already is; every other node reads NCHW. A Transpose is
// inserted only where a value is needed in the layout it does not have yet (a Reshape
// when the transpose would not move any data: H = W = 1). The NCHW form of a value
// keeps its original name, so nodes outside the NHWC region are untouched.
#include <algorithm>
#include <map>
#include <set>

#include "ir/verifier.h"
#include "lower/lower.h"
#include "lower/lower_util.h"
#include "ops/lowered_common.h"

namespace ledge {

namespace {

const std::set<std::string> kUnaryOps = {
    "Relu", "Clip", "HardSwish", "HardSigmoid", "Sigmoid", "LeakyRelu", "Tanh", "Elu", "Selu",
    "Exp", "Neg", "Abs", "Sqrt", "Softplus", "Erf", "Identity",
    // Per-tensor parameters only (try_unary takes no other): element-wise, layout-free.
    "QuantizeLinear", "DequantizeLinear"};
const std::set<std::string> kBinaryOps = {"Add", "Sub", "Mul", "Div", "Max", "Min"};

class Converter {
 public:
  explicit Converter(Graph& g) : g_(g), names_(g), reads_(count_reads(g)) {
    for (const auto& i : g.inputs) nchw_.insert(i.name);
    for (const auto& [n, t] : g.initializers) nchw_.insert(n);
  }

  Status run() {
    std::vector<Node> old = std::move(g_.nodes);
    g_.nodes.clear();
    for (Node& n : old) LEDGE_TRY(visit(std::move(n)));
    for (const auto& o : g_.outputs) LEDGE_TRY(need_nchw(o.name));
    return Status();
  }

 private:
  const Shape* shape(const std::string& v) const { return static_shape(g_, v); }
  // The shape with unknown dimensions as -1, or null when even the rank is unknown.
  const Shape* partial_shape(const std::string& v) const {
    if (const Shape* s = static_shape(g_, v)) return s;
    auto it = g_.value_types.find(v);
    return it != g_.value_types.end() && it->second.shape ? &*it->second.shape : nullptr;
  }
  int64_t rank(const std::string& v) const {
    if (const Shape* s = shape(v)) return static_cast<int64_t>(s->size());
    auto it = g_.value_types.find(v);
    return it != g_.value_types.end() && it->second.shape
               ? static_cast<int64_t>(it->second.shape->size())
               : -1;
  }
  bool is_float4d(const std::string& v) const {
    return rank(v) == 4 && value_dtype(g_, v) == DType::kFloat32;
  }
  bool has_nhwc(const std::string& v) const { return nhwc_.count(v) != 0; }
  // True when NCHW and NHWC of this value are the same bytes (H = W = 1).
  bool layout_free(const std::string& v) const {
    const Shape* s = shape(v);
    return s && s->size() == 4 && (*s)[2] == 1 && (*s)[3] == 1;
  }

  // Emits a layout change of `from` into `to`: a Transpose, or a Reshape when no data moves.
  void emit_relayout(const std::string& from, const std::string& to, bool to_nhwc,
                     const std::string& orig) {
    Node t;
    t.name = names_.make(orig + (to_nhwc ? "/to_nhwc" : "/to_nchw"));
    t.inputs = {from};
    t.outputs = {to};
    if (layout_free(orig)) {
      const Shape& s = *shape(orig);
      Shape target = to_nhwc ? Shape{s[0], s[2], s[3], s[1]} : s;
      const std::string shape_name = names_.make(orig + "/shape");
      g_.initializers[shape_name] = Tensor::from_vector<int64_t>(target, {4});
      t.op_type = "Reshape";
      t.inputs.push_back(shape_name);
    } else {
      t.op_type = "Transpose";
      t.attributes["perm"] =
          to_nhwc ? std::vector<int64_t>{0, 2, 3, 1} : std::vector<int64_t>{0, 3, 1, 2};
    }
    g_.nodes.push_back(std::move(t));
  }

  std::string need_nhwc(const std::string& v) {
    if (auto it = nhwc_.find(v); it != nhwc_.end()) return it->second;
    const std::string out = names_.make(v + "/nhwc");
    emit_relayout(v, out, true, v);
    nhwc_[v] = out;
    type_nhwc(v, out);
    return out;
  }

  Status need_nchw(const std::string& v) {
    if (v.empty() || nchw_.count(v)) return Status();
    auto it = nhwc_.find(v);
    if (it == nhwc_.end()) return Status();  // produced later or captured: not ours
    emit_relayout(it->second, v, false, v);
    nchw_.insert(v);
    return Status();
  }

  // A new output name for the NHWC form of `orig`.
  std::string nhwc_output(const std::string& orig) {
    const std::string out = names_.make(orig + "/nhwc");
    nhwc_[orig] = out;
    type_nhwc(orig, out);
    return out;
  }

  // Later lowering steps read types: give the NHWC form the permuted type of the original.
  void type_nhwc(const std::string& orig, const std::string& out) {
    auto it = g_.value_types.find(orig);
    if (it == g_.value_types.end()) return;
    TensorType t = it->second;
    if (t.shape && t.shape->size() == 4) {
      const Shape& s = *t.shape;
      t.shape = Shape{s[0], s[2], s[3], s[1]};
    }
    g_.value_types[out] = t;
  }

  Status visit(Node n) {
    for (auto& in : n.inputs)
      if (auto r = renamed_.find(in); r != renamed_.end()) in = r->second;
    if (n.domain.empty()) {
      if (n.op_type == "Transpose" && try_transpose(n)) return Status();
      if (n.op_type == "Conv" && try_conv(n)) return Status();
      if (n.op_type == "QLinearConv" && try_qconv(n)) return Status();
      if ((n.op_type == "MaxPool" || n.op_type == "AveragePool") && try_pool(n)) return Status();
      if (n.op_type == "GlobalAveragePool" && try_global_pool(n)) return Status();
      if (kUnaryOps.count(n.op_type) && try_unary(n)) return Status();
      if (kBinaryOps.count(n.op_type) && try_binary(n)) return Status();
      if (n.op_type == "Concat" && try_concat(n)) return Status();
      if (n.op_type == "Slice" && try_slice(n)) return Status();
      if (n.op_type == "ReduceMean" && try_reduce_mean(n)) return Status();
    }
    if (n.domain == kLoweredDomain && n.op_type == "ChannelShuffle" && try_shuffle(n))
      return Status();
    if (n.domain == kLoweredDomain && (n.op_type == "QAdd" || n.op_type == "QMul") &&
        try_qbinary(n))
      return Status();
    if (n.domain == kLoweredDomain && n.op_type == "QLookup" && try_lookup(n)) return Status();
    if (n.domain == kLoweredDomain && n.op_type == "QGlobalAveragePool" && try_qglobal_pool(n))
      return Status();
    for (const auto& r : node_reads(n)) LEDGE_TRY(need_nchw(r));
    for (const auto& o : n.outputs) nchw_.insert(o);
    g_.nodes.push_back(std::move(n));
    return Status();
  }

  // Explicit [top, left, bottom, right] pads, resolving auto_pad from static shapes.
  std::optional<std::vector<int64_t>> explicit_pads(const Node& n, const std::string& x, int64_t kh,
                                                    int64_t kw) const {
    const auto st = attr_as_ints(n, "strides");
    const auto dl = attr_as_ints(n, "dilations");
    const int64_t sh = st.size() == 2 ? st[0] : 1, sw = st.size() == 2 ? st[1] : 1;
    const int64_t dh = dl.size() == 2 ? dl[0] : 1, dw = dl.size() == 2 ? dl[1] : 1;
    std::string auto_pad = "NOTSET";
    if (auto it = n.attributes.find("auto_pad"); it != n.attributes.end())
      if (auto s = std::get_if<std::string>(&it->second)) auto_pad = *s;
    if (auto_pad == "NOTSET") {
      auto p = attr_as_ints(n, "pads");
      if (p.empty()) p = {0, 0, 0, 0};
      if (p.size() != 4) return std::nullopt;
      return p;
    }
    if (auto_pad == "VALID") return std::vector<int64_t>{0, 0, 0, 0};
    const Shape* s = shape(x);
    if (!s) return std::nullopt;
    std::vector<int64_t> p(4);
    const int64_t in[2] = {(*s)[2], (*s)[3]}, k[2] = {kh, kw}, str[2] = {sh, sw}, dil[2] = {dh, dw};
    for (int i = 0; i < 2; ++i) {
      const int64_t out = (in[i] + str[i] - 1) / str[i];
      const int64_t total =
          std::max<int64_t>(0, (out - 1) * str[i] + (k[i] - 1) * dil[i] + 1 - in[i]);
      const int64_t small = total / 2, large = total - small;
      p[i] = auto_pad == "SAME_UPPER" ? small : large;
      p[i + 2] = auto_pad == "SAME_UPPER" ? large : small;
    }
    return p;
  }

  bool try_conv(Node& n) {
    if (n.inputs.size() < 2 || n.outputs.size() != 1 || !is_float4d(n.inputs[0])) return false;
    const Tensor* w = find_initializer(g_, n.inputs[1]);
    if (!w || w->dtype() != DType::kFloat32 || w->rank() != 4) return false;
    const bool has_bias = n.inputs.size() > 2 && !n.inputs[2].empty();
    if (has_bias) {
      const Tensor* b = find_initializer(g_, n.inputs[2]);
      if (!b || b->dtype() != DType::kFloat32 || b->rank() != 1) return false;
    }
    const auto pads = explicit_pads(n, n.inputs[0], w->dim(2), w->dim(3));
    if (!pads) return false;
    const auto w_ohwi = ohwi_weights(n.inputs[1]);
    if (!w_ohwi) return false;
    const std::string w_nhwc = *w_ohwi;
    // The NCHW weights go as soon as their last reader is converted, so a model lowered in
    // place never holds both layouts of every weight at once.
    if (--reads_[n.inputs[1]] == 0 && !g_.find_input(n.inputs[1]))
      g_.initializers.erase(n.inputs[1]);
    Node c;
    c.name = n.name;
    c.op_type = "NhwcConv";
    c.domain = kLoweredDomain;
    c.inputs = {need_nhwc(n.inputs[0]), w_nhwc};
    if (has_bias) c.inputs.push_back(n.inputs[2]);
    for (const char* a : {"strides", "dilations"})
      if (n.has_attr(a)) c.attributes[a] = n.attributes.at(a);
    c.attributes["pads"] = *pads;
    c.attributes["group"] = attr_as_int(n, "group", 1);
    c.outputs = {nhwc_output(n.outputs[0])};
    g_.nodes.push_back(std::move(c));
    return true;
  }

  // The weights in OHWI, transposed once per initializer however many nodes read it.
  std::optional<std::string> ohwi_weights(const std::string& w_name) {
    if (auto it = packed_.find(w_name); it != packed_.end()) return it->second;
    const Tensor* w = find_initializer(g_, w_name);
    if (!w || w->rank() != 4) return std::nullopt;
    auto t = transpose_tensor(*w, {0, 2, 3, 1});
    if (!t) return std::nullopt;
    const std::string name = names_.make(w_name + "/ohwi");
    g_.initializers[name] = std::move(t).value();
    packed_[w_name] = name;
    return name;
  }

  // QLinearConv → ledge.NhwcQLinearConv: the same inputs, x and y NHWC, w OHWI.
  bool try_qconv(Node& n) {
    if (n.inputs.size() < 8 || n.outputs.size() != 1 || rank(n.inputs[0]) != 4) return false;
    const Tensor* w = find_initializer(g_, n.inputs[3]);
    if (!w || w->rank() != 4) return false;
    for (size_t i : {1, 2, 4, 5, 6, 7})
      if (!find_initializer(g_, n.inputs[i])) return false;
    const auto pads = explicit_pads(n, n.inputs[0], w->dim(2), w->dim(3));
    if (!pads) return false;
    auto w_ohwi = ohwi_weights(n.inputs[3]);
    if (!w_ohwi) return false;
    if (--reads_[n.inputs[3]] == 0 && !g_.find_input(n.inputs[3]))
      g_.initializers.erase(n.inputs[3]);
    Node c;
    c.name = n.name;
    c.op_type = "NhwcQLinearConv";
    c.domain = kLoweredDomain;
    c.inputs = n.inputs;
    c.inputs[0] = need_nhwc(n.inputs[0]);
    c.inputs[3] = *w_ohwi;
    for (const char* a : {"strides", "dilations"})
      if (n.has_attr(a)) c.attributes[a] = n.attributes.at(a);
    c.attributes["pads"] = *pads;
    c.attributes["group"] = attr_as_int(n, "group", 1);
    c.outputs = {nhwc_output(n.outputs[0])};
    g_.nodes.push_back(std::move(c));
    return true;
  }

  bool try_pool(Node& n) {
    const DType t = value_dtype(g_, n.inputs[0]);
    const bool q8 = n.op_type == "MaxPool" && (t == DType::kUInt8 || t == DType::kInt8);
    if (n.outputs.size() != 1 || !has_nhwc(n.inputs[0]) || rank(n.inputs[0]) != 4 ||
        (t != DType::kFloat32 && !q8))
      return false;
    const auto ks = attr_as_ints(n, "kernel_shape");
    if (ks.size() != 2 || attr_as_int(n, "storage_order", 0) != 0) return false;
    auto pads = explicit_pads(n, n.inputs[0], ks[0], ks[1]);
    const Shape* in = partial_shape(n.inputs[0]);
    const Shape* out = partial_shape(n.outputs[0]);
    if (!pads || !in || !out) return false;
    for (int i = 2; i < 4; ++i)
      if ((*in)[i] < 0 || (*out)[i] < 0) return false;
    // ceil_mode: extend the bottom/right padding until the floor formula gives the
    // output the reference computed.
    const auto st = attr_as_ints(n, "strides");
    const auto dl = attr_as_ints(n, "dilations");
    const int64_t s[2] = {st.size() == 2 ? st[0] : 1, st.size() == 2 ? st[1] : 1};
    const int64_t d[2] = {dl.size() == 2 ? dl[0] : 1, dl.size() == 2 ? dl[1] : 1};
    bool extended = false;
    for (int i = 0; i < 2; ++i) {
      const int64_t need = ((*out)[2 + i] - 1) * s[i] + d[i] * (ks[i] - 1) + 1;
      const int64_t have = (*in)[2 + i] + (*pads)[i] + (*pads)[i + 2];
      if (need > have) {
        (*pads)[i + 2] += need - have;
        extended = true;
      }
    }
    const bool is_max = n.op_type == "MaxPool";
    // An average over a window cut by ceil_mode divides by a count the NHWC form does
    // not model; leave such pools in NCHW.
    if (!is_max && extended) return false;
    Node p;
    p.name = n.name;
    p.op_type = is_max ? "NhwcMaxPool" : "NhwcAveragePool";
    p.domain = kLoweredDomain;
    p.inputs = {nhwc_.at(n.inputs[0])};
    p.attributes["kernel_shape"] = ks;
    p.attributes["pads"] = *pads;
    if (n.has_attr("strides")) p.attributes["strides"] = n.attributes.at("strides");
    if (is_max && n.has_attr("dilations")) p.attributes["dilations"] = n.attributes.at("dilations");
    if (!is_max) p.attributes["count_include_pad"] = attr_as_int(n, "count_include_pad", 0);
    p.outputs = {nhwc_output(n.outputs[0])};
    g_.nodes.push_back(std::move(p));
    return true;
  }

  // The graph's own layout changes around an operator that works on the last axis (an int4
  // 1x1 convolution: Transpose to NHWC, MatMulNBits, Transpose back): the value taken to
  // NHWC is the NHWC form its input already has, and the value taken back to NCHW gets the
  // NHWC data as its NHWC form, so neither moves data between NHWC convolutions.
  bool try_transpose(Node& n) {
    if (n.inputs.size() != 1 || n.outputs.size() != 1 || rank(n.inputs[0]) != 4) return false;
    const std::string &in = n.inputs[0], &out = n.outputs[0];
    const auto perm = attr_as_ints(n, "perm");
    if (perm == std::vector<int64_t>{0, 2, 3, 1} && has_nhwc(in) && !is_graph_output(out)) {
      renamed_[out] = nhwc_.at(in);
      return true;
    }
    if (perm == std::vector<int64_t>{0, 3, 1, 2} && !has_nhwc(out)) {
      if (!need_nchw(in).ok() || !nchw_.count(in)) return false;
      nhwc_[out] = in;  // its NCHW form is made only if something reads it
      return true;
    }
    return false;
  }

  bool is_graph_output(const std::string& v) const {
    for (const auto& o : g_.outputs)
      if (o.name == v) return true;
    return false;
  }

  bool try_global_pool(Node& n) {
    if (n.outputs.size() != 1 || !has_nhwc(n.inputs[0]) || !is_float4d(n.inputs[0])) return false;
    Node p;
    p.name = n.name;
    p.op_type = "NhwcGlobalAveragePool";
    p.domain = kLoweredDomain;
    p.inputs = {nhwc_.at(n.inputs[0])};
    p.outputs = {nhwc_output(n.outputs[0])};
    g_.nodes.push_back(std::move(p));
    return true;
  }

  bool try_unary(Node& n) {
    if (n.inputs.empty() || !has_nhwc(n.inputs[0]) || n.outputs.empty()) return false;
    for (size_t i = 1; i < n.inputs.size(); ++i) {
      const Shape* s = shape(n.inputs[i]);
      if (!n.inputs[i].empty() && (!s || numel(*s) != 1)) return false;  // Clip min/max only
    }
    for (size_t o = 1; o < n.outputs.size(); ++o)
      if (!n.outputs[o].empty()) return false;
    n.inputs[0] = nhwc_.at(n.inputs[0]);
    n.outputs[0] = nhwc_output(n.outputs[0]);
    g_.nodes.push_back(std::move(n));
    return true;
  }

  // ledge.QLookup: a byte-wise table (its second input), layout-free like a unary operator.
  bool try_lookup(Node& n) {
    if (n.inputs.size() != 2 || !has_nhwc(n.inputs[0]) || n.outputs.size() != 1) return false;
    n.inputs[0] = nhwc_.at(n.inputs[0]);
    n.outputs[0] = nhwc_output(n.outputs[0]);
    g_.nodes.push_back(std::move(n));
    return true;
  }

  // ledge.QGlobalAveragePool of an NHWC input: the same pooling with channels_last.
  bool try_qglobal_pool(Node& n) {
    if (n.outputs.size() != 1 || !has_nhwc(n.inputs[0]) || rank(n.inputs[0]) != 4 ||
        attr_as_int(n, "channels_last", 0) != 0)
      return false;
    n.inputs[0] = nhwc_.at(n.inputs[0]);
    n.attributes["channels_last"] = int64_t{1};
    n.outputs[0] = nhwc_output(n.outputs[0]);
    g_.nodes.push_back(std::move(n));
    return true;
  }

  bool try_binary(Node& n) {
    if (n.inputs.size() != 2 || n.outputs.size() != 1 || !is_float4d(n.outputs[0])) return false;
    if (!has_nhwc(n.inputs[0]) && !has_nhwc(n.inputs[1])) return false;
    std::string ins[2];
    for (int i = 0; i < 2; ++i) {
      const std::string& v = n.inputs[i];
      if (has_nhwc(v)) {
        ins[i] = nhwc_.at(v);
      } else if (rank(v) == 4) {
        ins[i] = need_nhwc(v);
      } else if (const Tensor* c = find_initializer(g_, v)) {
        // A constant that broadcasts: align it to rank 4, then permute like the data.
        Shape s4(4 - c->rank(), 1);
        s4.insert(s4.end(), c->shape().begin(), c->shape().end());
        auto r4 = c->reshaped(s4);
        if (!r4) return false;
        auto t = transpose_tensor(*r4, {0, 2, 3, 1});
        if (!t) return false;
        ins[i] = names_.make(v + "/nhwc");
        g_.initializers[ins[i]] = std::move(t).value();
      } else if (rank(v) == 0) {
        ins[i] = v;
      } else {
        return false;
      }
    }
    n.inputs = {ins[0], ins[1]};
    n.outputs[0] = nhwc_output(n.outputs[0]);
    g_.nodes.push_back(std::move(n));
    return true;
  }

  // Concat moves bytes, so any element type (the integers of a quantized model too).
  bool try_concat(Node& n) {
    if (n.outputs.size() != 1 || rank(n.outputs[0]) != 4) return false;
    int64_t axis = attr_as_int(n, "axis", 1);
    if (axis < 0) axis += 4;
    if (axis != 1) return false;
    bool any = false;
    for (const auto& v : n.inputs) {
      if (v.empty() || rank(v) != 4) return false;
      any = any || has_nhwc(v);
    }
    if (!any) return false;
    for (auto& v : n.inputs) v = need_nhwc(v);
    n.attributes["axis"] = int64_t{3};
    n.outputs[0] = nhwc_output(n.outputs[0]);
    g_.nodes.push_back(std::move(n));
    return true;
  }

  // ledge.QAdd and ledge.QMul: element-wise on rank-4 tensors (QMul's may broadcast one value
  // per channel, [N, C, 1, 1], which is [N, 1, 1, C] in NHWC); NHWC when either input is.
  bool try_qbinary(Node& n) {
    if (n.inputs.size() != 8 || rank(n.inputs[0]) != 4 || rank(n.inputs[3]) != 4 ||
        (!has_nhwc(n.inputs[0]) && !has_nhwc(n.inputs[3])))
      return false;
    n.inputs[0] = need_nhwc(n.inputs[0]);
    n.inputs[3] = need_nhwc(n.inputs[3]);
    n.outputs[0] = nhwc_output(n.outputs[0]);
    g_.nodes.push_back(std::move(n));
    return true;
  }

  bool try_shuffle(Node& n) {
    if (!has_nhwc(n.inputs[0]) || attr_as_int(n, "axis", 1) != 1) return false;
    n.inputs[0] = nhwc_.at(n.inputs[0]);
    n.attributes["axis"] = int64_t{3};
    n.outputs[0] = nhwc_output(n.outputs[0]);
    g_.nodes.push_back(std::move(n));
    return true;
  }

  // Slice of channels only (opset 10+: starts, ends, axes, steps as constant inputs).
  bool try_slice(Node& n) {
    // Any element type: Slice moves values (int8 models slice their channels as bytes).
    if (n.inputs.size() < 4 || !has_nhwc(n.inputs[0]) || rank(n.inputs[0]) != 4) return false;
    const Tensor* axes = find_initializer(g_, n.inputs[3]);
    if (!axes || axes->numel() != 1) return false;
    int64_t axis = axes->as_int64(0);
    if (axis < 0) axis += 4;
    if (axis != 1) return false;
    for (size_t i = 1; i < n.inputs.size(); ++i)
      if (!n.inputs[i].empty() && !find_initializer(g_, n.inputs[i])) return false;
    const std::string axes_name = names_.make(n.inputs[3] + "/nhwc");
    g_.initializers[axes_name] = Tensor::from_vector<int64_t>({3}, {1});
    n.inputs[0] = nhwc_.at(n.inputs[0]);
    n.inputs[3] = axes_name;
    n.outputs[0] = nhwc_output(n.outputs[0]);
    g_.nodes.push_back(std::move(n));
    return true;
  }

  // ReduceMean over H and W is a global average pool.
  bool try_reduce_mean(Node& n) {
    if (n.inputs.size() != 1 || !has_nhwc(n.inputs[0]) || !is_float4d(n.inputs[0])) return false;
    auto axes = attr_as_ints(n, "axes");
    for (auto& a : axes)
      if (a < 0) a += 4;
    std::sort(axes.begin(), axes.end());
    if (axes != std::vector<int64_t>{2, 3}) return false;
    const Shape* in = partial_shape(n.inputs[0]);
    Node p;
    p.name = n.name;
    p.op_type = "NhwcGlobalAveragePool";
    p.domain = kLoweredDomain;
    p.inputs = {nhwc_.at(n.inputs[0])};
    if (attr_as_int(n, "keepdims", 1) != 0) {
      p.outputs = {nhwc_output(n.outputs[0])};
      g_.nodes.push_back(std::move(p));
      return true;
    }
    // [N, 1, 1, C] holds the same bytes as the [N, C] the node outputs.
    if (!in || (*in)[1] < 0) return false;
    const std::string pooled = names_.make(n.outputs[0] + "/pooled");
    p.outputs = {pooled};
    g_.nodes.push_back(std::move(p));
    const std::string shape_name = names_.make(n.outputs[0] + "/shape");
    g_.initializers[shape_name] = Tensor::from_vector<int64_t>({0, (*in)[1]}, {2});
    Node r;
    r.name = names_.make(n.name + "/flatten");
    r.op_type = "Reshape";
    r.inputs = {pooled, shape_name};
    r.outputs = {n.outputs[0]};
    g_.nodes.push_back(std::move(r));
    nchw_.insert(n.outputs[0]);
    return true;
  }

  Graph& g_;
  NameMaker names_;
  std::set<std::string> nchw_;                  // values available in NCHW (original name)
  std::map<std::string, std::string> nhwc_;     // value → its NHWC form
  std::map<std::string, std::string> renamed_;  // value → the value later nodes read instead
  std::map<std::string, std::string> packed_;   // conv weight → its OHWI form
  std::map<std::string, int> reads_;            // readers left, for releasing weights early
};

}  // namespace

Status convert_to_nhwc(Graph& graph) { return Converter(graph).run(); }

}  // namespace ledge
