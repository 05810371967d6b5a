// Average pooling between a DequantizeLinear and a QuantizeLinear runs on the integers:
//
//   x ──DQ──▶ NhwcAveragePool ──▶ Q ──▶ y      ⇒      x ──▶ ledge.NhwcQAveragePool ──▶ y
//
// It runs after convert_to_nhwc, which has already made the pooling NHWC with explicit pads
// (resolving auto_pad, and leaving in NCHW the average pools whose windows ceil_mode cuts),
// so the integer form needs only the NHWC layout. Per-tensor parameters, one 8-bit type in
// and out. The integer sum is exact where the QDQ graph sums floats, so the two can differ by
// one level where that float sum rounds across a boundary (src/ops/nhwc_q_average_pool.cpp).
#include <set>

#include "lower/lower.h"
#include "lower/lower_util.h"
#include "ops/lowered_common.h"

namespace ledge {
namespace {

bool is_op(const Node* n, const char* domain, const char* op) {
  return n && n->domain == domain && n->op_type == op;
}

// Per-tensor parameters with an explicit zero point (the integer operator takes all five).
bool explicit_per_tensor(const Graph& g, const Node& n) {
  return per_tensor_quantization(g, n) && n.inputs.size() > 2 && !n.inputs[2].empty();
}

}  // namespace

void fuse_quantized_pools(Graph& graph) {
  if (has_subgraphs(graph)) return;  // subgraphs may read the pool's values by name
  const GraphIndex index = index_graph(graph);
  std::set<const Node*> pools;  // fused into the Q that follows them
  for (Node& q : graph.nodes) {
    if (!is_op(&q, "", "QuantizeLinear") || q.inputs.empty() || !explicit_per_tensor(graph, q))
      continue;
    const Node* pool = index.producer_of(q.inputs[0]);
    if (!is_op(pool, kLoweredDomain, "NhwcAveragePool") || pool->outputs.size() != 1 ||
        index.sole_reader(pool->outputs[0]) != &q)
      continue;
    const Node* dq = index.producer_of(pool->inputs[0]);
    if (!is_op(dq, "", "DequantizeLinear") || !explicit_per_tensor(graph, *dq)) continue;
    const Tensor* x_zero = find_initializer(graph, dq->inputs[2]);
    const Tensor* y_zero = find_initializer(graph, q.inputs[2]);
    if (x_zero->dtype() != y_zero->dtype() || value_dtype(graph, dq->inputs[0]) != x_zero->dtype())
      continue;
    Node fused;
    fused.name = pool->name;
    fused.op_type = "NhwcQAveragePool";
    fused.domain = kLoweredDomain;
    fused.inputs = {dq->inputs[0], dq->inputs[1], dq->inputs[2], q.inputs[1], q.inputs[2]};
    fused.outputs = q.outputs;
    for (const char* a : {"kernel_shape", "strides", "pads", "count_include_pad"})
      if (auto it = pool->attributes.find(a); it != pool->attributes.end())
        fused.attributes[a] = it->second;
    pools.insert(pool);
    q = std::move(fused);  // in Q's place: after x and the parameters
  }
  if (pools.empty()) return;
  std::erase_if(graph.nodes, [&](const Node& n) { return pools.count(&n) > 0; });
  // DequantizeLinear nodes read by nobody now.
  const auto reads = count_reads(graph);
  std::erase_if(graph.nodes, [&](const Node& n) {
    return is_op(&n, "", "DequantizeLinear") && !reads.count(n.outputs[0]);
  });
}

}  // namespace ledge
