// Gemm and MatMul with constant 2-D weights become ledge.FullyConnected (Y = X·Wᵀ + B),
// the operator the fast GEMM kernel takes. Weights are stored once, already [N, K].
#include "lower/lower.h"
#include "lower/lower_util.h"
#include "ops/lowered_common.h"

namespace ledge {

namespace {

bool is_float_matrix(const Graph& g, const std::string& v) {
  const Shape* s = static_shape(g, v);
  auto it = g.value_types.find(v);
  const bool rank2 =
      s ? s->size() == 2
        : (it != g.value_types.end() && it->second.shape && it->second.shape->size() == 2);
  return rank2 && value_dtype(g, v) == DType::kFloat32;
}

// The bias as a 1-D [n] tensor, when C broadcasts per output column only.
std::optional<Tensor> bias_vector(const Tensor& c, int64_t n) {
  if (c.dtype() != DType::kFloat32) return std::nullopt;
  const Shape& s = c.shape();
  const bool ok = (s.size() == 1 && s[0] == n) || (s.size() == 2 && s[0] == 1 && s[1] == n);
  if (!ok) return std::nullopt;
  auto r = c.reshaped({n});
  if (!r) return std::nullopt;
  return *r;
}

}  // namespace

Status lower_fully_connected(Graph& g) {
  NameMaker names(g);
  for (Node& n : g.nodes) {
    if (!n.domain.empty()) continue;
    const bool gemm = n.op_type == "Gemm";
    if ((!gemm && n.op_type != "MatMul") || n.inputs.size() < 2 || n.outputs.size() != 1) continue;
    const Tensor* b = find_initializer(g, n.inputs[1]);
    if (!b || b->dtype() != DType::kFloat32 || b->rank() != 2) continue;
    if (!is_float_matrix(g, n.inputs[0])) continue;
    bool trans_b = false;
    std::optional<Tensor> bias;
    if (gemm) {
      if (attr_as_int(n, "transA", 0) != 0 || attr_as_float(n, "alpha", 1.f) != 1.f) continue;
      trans_b = attr_as_int(n, "transB", 0) != 0;
      const int64_t cols = trans_b ? b->dim(0) : b->dim(1);
      if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
        const Tensor* c = find_initializer(g, n.inputs[2]);
        if (!c || attr_as_float(n, "beta", 1.f) != 1.f) continue;
        bias = bias_vector(*c, cols);
        if (!bias) continue;
      }
    }
    Tensor w;
    if (trans_b) {
      w = *b;
    } else {
      LEDGE_ASSIGN(w, transpose_tensor(*b, {1, 0}));
    }
    const std::string w_name = names.make(n.inputs[1] + "/nk");
    g.initializers[w_name] = w;
    Node fc;
    fc.name = n.name;
    fc.op_type = "FullyConnected";
    fc.domain = kLoweredDomain;
    fc.inputs = {n.inputs[0], w_name};
    if (bias) {
      const std::string b_name = names.make(n.inputs[2] + "/n");
      g.initializers[b_name] = *bias;
      fc.inputs.push_back(b_name);
    }
    fc.outputs = n.outputs;
    n = std::move(fc);
  }
  return Status();
}

}  // namespace ledge
