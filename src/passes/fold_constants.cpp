// Constant folding: nodes computable ahead of time become initializers.
#include <set>

#include "ops/kernel.h"
#include "passes/graph_editor.h"
#include "passes/pass_util.h"
#include "passes/passes.h"
#include "runtime/run_node.h"

namespace ledge {

namespace {

bool is_random(const std::string& op) {
  static const std::set<std::string> kRandom = {"RandomNormal",     "RandomUniform",
                                                "RandomNormalLike", "RandomUniformLike",
                                                "Multinomial",      "Bernoulli"};
  return kRandom.count(op) != 0;
}

// Shape and Size read only the shape of their input, so a static type is enough.
bool reads_only_shape(const Node& node) { return is_op(node, "Shape") || is_op(node, "Size"); }

// Tries to fold node i; true when its outputs became initializers.
bool fold_node(GraphEditor& ed, size_t i, int64_t opset, const FoldConstantsOptions& options) {
  const Node& node = ed.node(i);
  if (!node.domain.empty() || is_random(node.op_type) || node.has_subgraph()) return false;
  for (const auto& o : node.outputs)
    if (!o.empty() && (ed.is_graph_output(o) || ed.graph().initializers.count(o))) return false;
  const OpKernel* op = find_op(node.domain, node.op_type);
  if (!op) return false;

  std::vector<const Tensor*> values;
  std::vector<Tensor> shape_only;  // data-less stand-ins for Shape/Size inputs
  shape_only.reserve(1);
  std::set<std::string> seen;
  size_t in_bytes = 0;
  for (const auto& name : node.inputs) {
    if (name.empty()) {
      values.push_back(nullptr);
      continue;
    }
    const Tensor* t = ed.constant(name);
    if (!t && reads_only_shape(node) && values.empty()) {
      const TensorType* type = ed.type(name);
      if (!type || !type->is_static() || !checked_numel(*type->shape).ok()) return false;
      shape_only.push_back(Tensor::borrow(type->dtype, *type->shape, nullptr, nullptr));
      t = &shape_only.back();
    } else if (!t) {
      return false;
    } else if (seen.insert(name).second) {
      in_bytes += t->nbytes();
    }
    values.push_back(t);
  }

  // Bound the outputs before computing them: infer sees every input value.
  std::vector<TensorType> types(values.size());
  std::vector<const TensorType*> type_ptrs(values.size(), nullptr);
  for (size_t k = 0; k < values.size(); ++k)
    if (values[k]) {
      types[k] = TensorType{values[k]->dtype(), values[k]->shape()};
      type_ptrs[k] = &types[k];
    }
  InferContext ic(node, opset, type_ptrs, values, node.outputs.size());
  if (!op->infer(ic).ok() || ic.attr_error()) return false;
  // A Constant moves its attribute into an initializer: the model does not grow.
  const bool is_constant_node = is_op(node, "Constant");
  const size_t budget = std::min(options.max_output_bytes, in_bytes + options.max_growth_bytes);
  for (const auto& t : ic.outputs()) {
    if (t.dtype == DType::kUndefined) continue;
    if (!t.is_static()) {
      // Data-dependent sizes (NonZero, Unique...) are bounded by small inputs.
      if (in_bytes > options.max_growth_bytes) return false;
      continue;
    }
    auto n = checked_numel(*t.shape);
    if (!n) return false;
    const size_t bytes = static_cast<size_t>(*n) * dtype_size(t.dtype);
    if (is_constant_node ? bytes > options.max_output_bytes : bytes > budget) return false;
  }

  auto outs = run_node(*op, node, opset, values, nullptr);
  if (!outs) return false;  // left for run time, which reports the error in context
  size_t out_bytes = 0;
  for (const auto& t : *outs) out_bytes += t.defined() ? t.nbytes() : 0;
  if (!is_constant_node && out_bytes > budget) return false;

  const std::vector<std::string> names = node.outputs;
  ed.remove_node(i);
  for (size_t k = 0; k < names.size(); ++k) {
    if (names[k].empty()) continue;
    Tensor& t = (*outs)[k];
    ed.graph().value_types[names[k]] = TensorType{t.dtype(), t.shape()};
    ed.graph().initializers[names[k]] = std::move(t);
  }
  return true;
}

}  // namespace

Expected<int64_t> fold_constants(Model& model, const FoldConstantsOptions& options) {
  GraphEditor ed(model.graph, refresh_types(model));
  const int64_t opset = model.opset("");
  int64_t folded = 0;
  for (size_t i = 0; i < ed.size(); ++i)
    if (fold_node(ed, i, opset, options)) ++folded;
  ed.commit();
  return folded;
}

}  // namespace ledge
