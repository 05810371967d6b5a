// Element-wise float islands of a quantized model become one table lookup:
//
//   x ──DQ──▶ f ──▶ … ──▶ Q ──▶ y      ⇒      x ──▶ ledge.QLookup(table) ──▶ y
//
// where everything between the DequantizeLinear and the QuantizeLinear is element-wise and
// depends on x alone (unary operators, and binary ones whose operands are x's descendants or
// scalar constants): HardSwish, Sigmoid, x * HardSigmoid(x), x * Sigmoid(x), a Relu whose
// bounds the quantizer does not cover, a requantization (DQ → Q with other parameters)...
// x has 256 possible values, so y is a table of them, which the pass computes by running the
// island's own operators on the 256 codes with the reference kernels: the lookup gives the
// QDQ model's bytes exactly, whatever f is. The same tables requantize the inputs of a
// Concat whose inputs and output have different parameters (requantize_concats).
#include <algorithm>
#include <cstring>
#include <optional>
#include <set>

#include "ir/verifier.h"
#include "lower/lower.h"
#include "lower/lower_util.h"
#include "ops/lowered_common.h"
#include "runtime/session.h"

namespace ledge {
namespace {

// Operators whose output element i depends only on their inputs' elements i (given inputs of
// one shape, or scalars).
bool is_elementwise(const Node& n) {
  static const std::set<std::string> kOps = {"Abs",        "Add",
                                             "Ceil",       "Celu",
                                             "Clip",       "Div",
                                             "Elu",        "Erf",
                                             "Exp",        "Floor",
                                             "Gelu",       "HardSigmoid",
                                             "HardSwish",  "Identity",
                                             "LeakyRelu",  "Log",
                                             "Max",        "Min",
                                             "Mish",       "Mul",
                                             "Neg",        "Pow",
                                             "Reciprocal", "Relu",
                                             "Round",      "Selu",
                                             "Sigmoid",    "Sign",
                                             "Softplus",   "Softsign",
                                             "Sqrt",       "Sub",
                                             "Tanh",       "ThresholdedRelu"};
  return n.domain.empty() && n.outputs.size() == 1 && kOps.count(n.op_type);
}

bool is_scalar(const Tensor* t) { return t && t->numel() == 1; }

const Tensor* scalar_initializer(const Graph& g, const std::string& name) {
  const Tensor* t = find_initializer(g, name);
  return is_scalar(t) ? t : nullptr;
}

bool is_node(const Node* n, const char* op) { return n && n->domain.empty() && n->op_type == op; }

constexpr size_t kMaxIslandNodes = 16;

struct Island {
  const Node* dequantize = nullptr;
  std::vector<const Node*> nodes;  // the element-wise nodes, in graph order
};

// y for each of the 256 codes x, by the island's operators on the reference kernels.
std::optional<Tensor> compute_table(const Graph& g, const Island& island, const Node& q,
                                    int64_t opset) {
  const Tensor* x_zero =
      island.dequantize->inputs.size() > 2 && !island.dequantize->inputs[2].empty()
          ? find_initializer(g, island.dequantize->inputs[2])
          : nullptr;
  const DType x_type = x_zero ? x_zero->dtype() : DType::kUInt8;
  if (value_dtype(g, island.dequantize->inputs[0]) != x_type) return std::nullopt;
  auto m = std::make_shared<Model>();
  m->opsets[""] = opset;
  Graph& t = m->graph;
  auto codes = Tensor::make(x_type, {256});
  if (!codes) return std::nullopt;
  for (int i = 0; i < 256; ++i) static_cast<uint8_t*>(codes->raw())[i] = static_cast<uint8_t>(i);
  const std::string& x = island.dequantize->inputs[0];
  t.inputs.push_back({x, TensorType{x_type, Shape{256}}, {}});
  std::vector<const Node*> all = {island.dequantize};
  all.insert(all.end(), island.nodes.begin(), island.nodes.end());
  all.push_back(&q);
  for (const Node* n : all) {
    t.nodes.push_back(*n);
    for (const auto& in : n->inputs)
      if (const Tensor* c = find_initializer(g, in)) t.initializers[in] = *c;
  }
  t.outputs.push_back({q.outputs[0], TensorType{}, {}});
  SessionOptions reference;
  reference.optimize = false;
  auto session = Session::create(m, reference);
  if (!session) return std::nullopt;
  auto y = (*session)->run({{x, *codes}});
  if (!y || y->size() != 1 || (*y)[0].numel() != 256 ||
      ((*y)[0].dtype() != DType::kUInt8 && (*y)[0].dtype() != DType::kInt8))
    return std::nullopt;
  auto table = Tensor::make((*y)[0].dtype(), {256});  // a flat copy of its own
  if (!table) return std::nullopt;
  std::memcpy(table->raw(), (*y)[0].raw(), 256);
  return std::move(*table);
}

class LookupFuser {
 public:
  explicit LookupFuser(Graph& g) : g_(g), names_(g), index_(index_graph(g)) {
    for (size_t i = 0; i < g.nodes.size(); ++i) order_[&g.nodes[i]] = i;
  }

  void run(int64_t opset) {
    std::set<const Node*> removed;
    for (Node& q : g_.nodes) {
      if (!is_node(&q, "QuantizeLinear") || !per_tensor_quantization(g_, q) || q.inputs[0].empty())
        continue;
      auto island = find_island(q);
      if (!island) continue;
      bool taken = false;  // nodes of an earlier island (they may share a DQ, never nodes)
      for (const Node* n : island->nodes) taken = taken || removed.count(n);
      if (taken) continue;
      auto table = compute_table(g_, *island, q, opset);
      if (!table) continue;
      const std::string table_name = names_.make(q.outputs[0] + "_table");
      g_.initializers[table_name] = std::move(*table);
      for (const Node* n : island->nodes) removed.insert(n);
      Node lookup;
      lookup.name = q.name;
      lookup.op_type = "QLookup";
      lookup.domain = kLoweredDomain;
      lookup.inputs = {island->dequantize->inputs[0], table_name};
      lookup.outputs = q.outputs;
      q = std::move(lookup);
    }
    if (removed.empty()) return;
    std::erase_if(g_.nodes, [&](const Node& n) { return removed.count(&n) > 0; });
    // DequantizeLinear nodes read by nobody now.
    const auto reads = count_reads(g_);
    std::erase_if(g_.nodes, [&](const Node& n) {
      return is_node(&n, "DequantizeLinear") && !reads.count(n.outputs[0]);
    });
  }

 private:
  // The island behind q: walks back from q's input through element-wise nodes whose outputs
  // nothing outside the island reads, to exactly one DequantizeLinear.
  std::optional<Island> find_island(const Node& q) {
    Island island;
    std::set<const Node*> members;
    std::vector<std::string> pending = {q.inputs[0]};
    while (!pending.empty()) {
      const std::string v = pending.back();
      pending.pop_back();
      const Node* n = index_.producer_of(v);
      if (!n) return std::nullopt;  // a graph input or an initializer
      if (is_node(n, "DequantizeLinear")) {
        if (!per_tensor_quantization(g_, *n) || (island.dequantize && island.dequantize != n))
          return std::nullopt;
        island.dequantize = n;
        continue;
      }
      if (members.count(n)) continue;
      if (!is_elementwise(*n) || n->has_subgraph() || members.size() == kMaxIslandNodes)
        return std::nullopt;
      members.insert(n);
      for (const auto& in : n->inputs) {
        if (in.empty()) continue;
        if (find_initializer(g_, in)) {
          if (!scalar_initializer(g_, in)) return std::nullopt;  // only scalars broadcast
          continue;
        }
        pending.push_back(in);
      }
    }
    if (!island.dequantize) return std::nullopt;
    // Nothing outside the island may read its values, and none may leave the graph.
    for (const Node* n : members) {
      if (index_.graph_outputs.count(n->outputs[0])) return std::nullopt;
      auto readers = index_.readers.find(n->outputs[0]);
      if (readers == index_.readers.end()) continue;
      for (const Node* r : readers->second)
        if (r != &q && !members.count(r)) return std::nullopt;
    }
    // Same shape in as out: scalar constants of a higher rank would change the shape.
    const Shape* in = static_shape(g_, island.dequantize->inputs[0]);
    const Shape* out = static_shape(g_, q.outputs[0]);
    if (!in || !out || *in != *out) return std::nullopt;
    island.nodes.assign(members.begin(), members.end());
    std::sort(island.nodes.begin(), island.nodes.end(),
              [&](const Node* a, const Node* b) { return order_.at(a) < order_.at(b); });
    return island;
  }

  Graph& g_;
  NameMaker names_;
  GraphIndex index_;
  std::map<const Node*, size_t> order_;
};

// Whether a DequantizeLinear and a QuantizeLinear (both per_tensor_quantization) use one scale and
// zero point.
bool same_quantization(const Graph& g, const Node& dq, const Node& q) {
  auto param = [&](const Node& n, size_t i) -> const Tensor* {
    return i < n.inputs.size() && !n.inputs[i].empty() ? find_initializer(g, n.inputs[i]) : nullptr;
  };
  const Tensor *ds = param(dq, 1), *qs = param(q, 1), *dz = param(dq, 2), *qz = param(q, 2);
  const DType dt = dz ? dz->dtype() : DType::kUInt8, qt = qz ? qz->dtype() : DType::kUInt8;
  return ds && qs && ds->as_double(0) == qs->as_double(0) && dt == qt &&
         (dz ? dz->as_int64(0) : 0) == (qz ? qz->as_int64(0) : 0);
}

// DQ(a; sa), DQ(b; sb), ... → Concat → Q(sy) with different parameters (QDQ files of other
// quantizers; ledge's own quantizer gives a Concat's inputs one pair, which fuse_quantized_ops
// already runs on the integers): each input is requantized to y's parameters by a lookup,
// and the Concat joins the integers. Exact: concatenation moves values without changing them,
// so Q(Concat(DQ(a), DQ(b))) = Concat(Q(DQ(a)), Q(DQ(b))).
void requantize_concats(Graph& g, int64_t opset) {
  const GraphIndex index = index_graph(g);
  NameMaker names(g);
  struct Plan {
    std::vector<Node> lookups;
    std::vector<std::string> inputs;
    const Node* q = nullptr;
  };
  std::map<const Node*, Plan> plans;
  std::set<const Node*> dropped;  // the Q nodes
  for (const Node& n : g.nodes) {
    if (!is_node(&n, "Concat") || n.outputs.size() != 1) continue;
    const Node* reader = index.sole_reader(n.outputs[0]);
    if (!is_node(reader, "QuantizeLinear") || !per_tensor_quantization(g, *reader)) continue;
    const Node& q = *reader;
    Plan plan;
    plan.q = &q;
    bool ok = !n.inputs.empty();
    for (const auto& in : n.inputs) {
      const Node* dq = index.producer_of(in);
      if (in.empty() || !is_node(dq, "DequantizeLinear") || !per_tensor_quantization(g, *dq)) {
        ok = false;
        break;
      }
      if (same_quantization(g, *dq, q)) {
        plan.inputs.push_back(dq->inputs[0]);
        continue;
      }
      Node requant = q;
      requant.inputs[0] = dq->outputs[0];
      auto table = compute_table(g, Island{dq, {}}, requant, opset);
      if (!table) {
        ok = false;
        break;
      }
      const std::string table_name = names.make(in + "_requant_table");
      const std::string value = names.make(in + "_requantized");
      g.initializers[table_name] = std::move(*table);
      Node lookup;
      lookup.name = names.make(n.name + "_requantize");
      lookup.op_type = "QLookup";
      lookup.domain = kLoweredDomain;
      lookup.inputs = {dq->inputs[0], table_name};
      lookup.outputs = {value};
      plan.lookups.push_back(std::move(lookup));
      plan.inputs.push_back(value);
    }
    if (!ok) continue;  // tables already made are dropped with the unused initializers
    dropped.insert(&q);
    plans.emplace(&n, std::move(plan));
  }
  if (plans.empty()) return;
  std::vector<Node> nodes;
  for (Node& n : g.nodes) {
    if (dropped.count(&n)) continue;
    auto it = plans.find(&n);
    if (it == plans.end()) {
      nodes.push_back(std::move(n));
      continue;
    }
    Plan& plan = it->second;
    for (Node& l : plan.lookups) nodes.push_back(std::move(l));
    const std::string y = plan.q->outputs[0];
    n.inputs = plan.inputs;
    n.outputs = {y};
    nodes.push_back(std::move(n));
  }
  g.nodes = std::move(nodes);
  const auto reads = count_reads(g);
  std::erase_if(g.nodes, [&](const Node& n) {
    return is_node(&n, "DequantizeLinear") && !reads.count(n.outputs[0]);
  });
}

}  // namespace

void fuse_quantized_lookups(Graph& graph, int64_t opset) {
  if (has_subgraphs(graph)) return;  // subgraphs may read the island's values by name
  LookupFuser(graph).run(opset);
  requantize_concats(graph, opset);
}

}  // namespace ledge
