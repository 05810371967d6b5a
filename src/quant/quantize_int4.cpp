#include "quant/quantize_int4.h"

#include <algorithm>
#include <cmath>

#include "lower/lower.h"
#include "lower/lower_util.h"
#include "ops/matmul_nbits_layout.h"

namespace ledge {
namespace {

constexpr int64_t kBits = 4;
constexpr int kMaxCode = 15;

const Tensor* float_constant(const Graph& g, const std::string& name) {
  auto it = g.initializers.find(name);
  if (it == g.initializers.end() || it->second.dtype() != DType::kFloat32) return nullptr;
  return &it->second;
}

int64_t int_attr(const Node& n, const char* name, int64_t def) {
  auto it = n.attributes.find(name);
  if (it == n.attributes.end()) return def;
  const int64_t* v = std::get_if<int64_t>(&it->second);
  return v ? *v : def;
}

float float_attr(const Node& n, const char* name, float def) {
  auto it = n.attributes.find(name);
  if (it == n.attributes.end()) return def;
  const float* v = std::get_if<float>(&it->second);
  return v ? *v : def;
}

// What one eligible node becomes: its weights as [N, K] rows, the factor folded into them,
// and the bias (empty when none).
struct Plan {
  std::vector<float> rows;
  int64_t N = 0, K = 0;
  float factor = 1.f;
  std::vector<float> bias;
};

bool plan_matmul(const Graph& g, const Node& n, Plan& p) {
  if (n.inputs.size() != 2) return false;
  const Tensor* b = float_constant(g, n.inputs[1]);
  if (!b || b->rank() != 2 || float_constant(g, n.inputs[0])) return false;
  p.K = b->dim(0);
  p.N = b->dim(1);
  p.rows.resize(static_cast<size_t>(p.N * p.K));
  const float* w = b->data<float>();
  for (int64_t k = 0; k < p.K; ++k)
    for (int64_t j = 0; j < p.N; ++j) p.rows[static_cast<size_t>(j * p.K + k)] = w[k * p.N + j];
  return true;
}

bool plan_gemm(const Graph& g, const Node& n, Plan& p) {
  if (n.inputs.size() < 2 || int_attr(n, "transA", 0) != 0) return false;
  const Tensor* b = float_constant(g, n.inputs[1]);
  if (!b || b->rank() != 2 || float_constant(g, n.inputs[0])) return false;
  const bool trans_b = int_attr(n, "transB", 0) != 0;
  p.K = trans_b ? b->dim(1) : b->dim(0);
  p.N = trans_b ? b->dim(0) : b->dim(1);
  p.factor = float_attr(n, "alpha", 1.f);
  const float beta = float_attr(n, "beta", 1.f);
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    const Tensor* c = float_constant(g, n.inputs[2]);
    // Only a bias of N values (shape [N] or [1, N]) maps onto MatMulNBits' bias.
    if (!c || c->numel() != p.N || (c->rank() == 2 && c->dim(0) != 1) || c->rank() > 2)
      return false;
    p.bias.assign(c->data<float>(), c->data<float>() + p.N);
    for (float& v : p.bias) v *= beta;
  }
  p.rows.resize(static_cast<size_t>(p.N * p.K));
  const float* w = b->data<float>();
  for (int64_t j = 0; j < p.N; ++j)
    for (int64_t k = 0; k < p.K; ++k)
      p.rows[static_cast<size_t>(j * p.K + k)] = trans_b ? w[j * p.K + k] : w[k * p.N + j];
  return true;
}

bool ints_are(const Node& n, const char* name, int64_t value) {
  auto it = n.attributes.find(name);
  if (it == n.attributes.end()) return true;
  const auto* v = std::get_if<std::vector<int64_t>>(&it->second);
  return v && std::all_of(v->begin(), v->end(), [&](int64_t x) { return x == value; });
}

// A 1x1 convolution is a product over channels at every pixel: with the input in NHWC,
// [N, H, W, C] x [C, O]. Eligible: constant float weights [O, C, 1, 1], one group, unit
// strides and dilations, no padding (auto_pad NOTSET or VALID), a constant bias of O values.
bool plan_pointwise_conv(const Graph& g, const Node& n, Plan& p) {
  if (n.inputs.size() < 2 || float_constant(g, n.inputs[0])) return false;
  const Tensor* w = float_constant(g, n.inputs[1]);
  if (!w || w->rank() != 4 || w->dim(2) != 1 || w->dim(3) != 1) return false;
  if (int_attr(n, "group", 1) != 1 || !ints_are(n, "strides", 1) || !ints_are(n, "dilations", 1) ||
      !ints_are(n, "pads", 0))
    return false;
  if (auto a = n.attributes.find("auto_pad"); a != n.attributes.end()) {
    const auto* mode = std::get_if<std::string>(&a->second);
    if (!mode || (*mode != "NOTSET" && *mode != "VALID")) return false;
  }
  p.N = w->dim(0);
  p.K = w->dim(1);
  p.rows.assign(w->data<float>(), w->data<float>() + p.N * p.K);  // [O, C]: a row per output
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    const Tensor* b = float_constant(g, n.inputs[2]);
    if (!b || b->numel() != p.N) return false;
    p.bias.assign(b->data<float>(), b->data<float>() + p.N);
  }
  return true;
}

}  // namespace

Int4Weights quantize_int4_rows(const float* w, int64_t N, int64_t K, int64_t block_size,
                               float factor) {
  const int64_t k_blocks = nbits::blocks(K, block_size);
  const int64_t blob = nbits::blob_bytes(block_size, kBits);
  const int64_t zp_row = nbits::zero_point_row_bytes(k_blocks, kBits);
  Int4Weights out{*Tensor::make(DType::kUInt8, {N, k_blocks, blob}),
                  *Tensor::make(DType::kFloat32, {N * k_blocks}),
                  *Tensor::make(DType::kUInt8, {N * zp_row})};
  uint8_t* codes = out.codes.data<uint8_t>();
  float* scales = out.scales.data<float>();
  uint8_t* zps = out.zero_points.data<uint8_t>();
  std::fill(codes, codes + out.codes.numel(), uint8_t{0});
  std::fill(zps, zps + out.zero_points.numel(), uint8_t{0});
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t blk = 0; blk < k_blocks; ++blk) {
      const int64_t k0 = blk * block_size, k1 = std::min(K, k0 + block_size);
      // Zero stays inside the range, so the zero point is a valid code and exact zeros
      // (pruned weights, padding) stay exact.
      float lo = 0.f, hi = 0.f;
      for (int64_t k = k0; k < k1; ++k) {
        const float v = w[n * K + k] * factor;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      float scale = (hi - lo) / kMaxCode;
      if (!(scale > 0.f) || !std::isfinite(scale)) scale = 1.f;  // an all-zero block
      const int zero = std::clamp(static_cast<int>(std::nearbyint(-lo / scale)), 0, kMaxCode);
      const int64_t nb = n * k_blocks + blk;
      scales[nb] = scale;
      nbits::set_code(zps + n * zp_row, blk, kBits, static_cast<uint8_t>(zero));
      for (int64_t k = k0; k < k1; ++k) {
        const float v = w[n * K + k] * factor;
        const int q = std::clamp(static_cast<int>(std::nearbyint(v / scale)) + zero, 0, kMaxCode);
        nbits::set_code(codes + nb * blob, k - k0, kBits, static_cast<uint8_t>(q));
      }
    }
  }
  return out;
}

Expected<Int4Result> quantize_weights_int4(const Model& model, const Int4Options& options) {
  const int64_t bs = options.block_size;
  if (bs < 16 || (bs & (bs - 1)) != 0)
    return invalid_argument("the int4 block size must be a power of two of at least 16, got " +
                            std::to_string(bs));
  auto out = std::make_shared<Model>(model);
  Graph& g = out->graph;
  // Exporters share equal biases through Identity nodes and write Constant nodes: as
  // initializers, the layers that read them are eligible too.
  constants_to_initializers(g);
  // New initializers, values and nodes get names nothing in the graph has.
  NameMaker names(g);
  Int4Result result{out, {}};
  std::vector<Node> nodes;
  nodes.reserve(g.nodes.size());
  for (Node& n : g.nodes) {
    if (!n.domain.empty() || options.keep_float.count(n.name) || n.outputs.size() != 1) {
      nodes.push_back(std::move(n));
      continue;
    }
    Plan p;
    const bool conv = n.op_type == "Conv";
    const bool ok = n.op_type == "MatMul" ? plan_matmul(g, n, p)
                    : n.op_type == "Gemm" ? plan_gemm(g, n, p)
                    : conv                ? plan_pointwise_conv(g, n, p)
                                          : false;
    if (!ok || p.N < 1 || p.K < 1) {
      nodes.push_back(std::move(n));
      continue;
    }
    Int4Weights q = quantize_int4_rows(p.rows.data(), p.N, p.K, bs, p.factor);
    const std::string base = n.name.empty() ? n.outputs[0] : n.name;
    const std::string codes = names.make(base + "_w_int4");
    g.initializers[codes] = std::move(q.codes);
    const std::string scales = names.make(base + "_w_scales");
    g.initializers[scales] = std::move(q.scales);
    const std::string zps = names.make(base + "_w_zero_points");
    g.initializers[zps] = std::move(q.zero_points);
    std::string bias;
    if (!p.bias.empty()) {
      bias = names.make(base + "_bias");
      g.initializers[bias] = Tensor::from_vector<float>(p.bias, {p.N});
    }
    Node q4;
    q4.name = n.name;
    q4.op_type = "MatMulNBits";
    q4.domain = "com.microsoft";
    q4.inputs = {n.inputs[0], codes, scales, zps};
    if (!bias.empty()) q4.inputs.insert(q4.inputs.end(), {"", bias});  // no g_idx
    q4.outputs = n.outputs;
    q4.attributes["K"] = p.K;
    q4.attributes["N"] = p.N;
    q4.attributes["bits"] = kBits;
    q4.attributes["block_size"] = bs;
    q4.attributes["accuracy_level"] = int64_t{options.int8_compute ? 4 : 0};
    result.quantized.push_back(n.name);
    if (conv) {
      // NCHW → NHWC, the product over channels, NHWC → NCHW. (The CPU lowering, which keeps
      // convolutions in NHWC anyway, cancels these transposes against its own.)
      const std::string nhwc_in = names.make(base + "_nhwc_input");
      const std::string nhwc_out = names.make(base + "_nhwc_output");
      Node to_nhwc;
      to_nhwc.name = names.make(base + "_to_nhwc");
      to_nhwc.op_type = "Transpose";
      to_nhwc.inputs = {n.inputs[0]};
      to_nhwc.outputs = {nhwc_in};
      to_nhwc.attributes["perm"] = std::vector<int64_t>{0, 2, 3, 1};
      Node to_nchw;
      to_nchw.name = names.make(base + "_to_nchw");
      to_nchw.op_type = "Transpose";
      to_nchw.inputs = {nhwc_out};
      to_nchw.outputs = n.outputs;
      to_nchw.attributes["perm"] = std::vector<int64_t>{0, 3, 1, 2};
      q4.inputs[0] = nhwc_in;
      q4.outputs = {nhwc_out};
      nodes.push_back(std::move(to_nhwc));
      nodes.push_back(std::move(q4));
      nodes.push_back(std::move(to_nchw));
    } else {
      nodes.push_back(std::move(q4));
    }
  }
  g.nodes = std::move(nodes);
  if (result.quantized.empty()) return result;
  out->opsets["com.microsoft"] = 1;
  // Float weights no node reads any more go away (a weight shared with a node left in float
  // stays).
  // (Not with subgraphs, whose nodes may read outer initializers.)
  for (const Node& n : g.nodes)
    if (n.has_subgraph()) return result;
  std::set<std::string> used;
  for (const Node& n : g.nodes)
    for (const auto& in : n.inputs) used.insert(in);
  for (const auto& o : g.outputs) used.insert(o.name);
  for (auto it = g.initializers.begin(); it != g.initializers.end();) {
    const bool is_input = g.find_input(it->first) != nullptr;
    it = used.count(it->first) || is_input ? std::next(it) : g.initializers.erase(it);
  }
  return result;
}

}  // namespace ledge
