#include "runtime/infer_types.h"

#include <set>

#include "ops/kernel.h"
#include "runtime/run_node.h"

namespace ledge {

namespace {

// Constants larger than this are not evaluated ahead of time: the goal is shape arithmetic,
// not constant folding (that is a pass of its own).
constexpr int64_t kMaxEvalElements = 1 << 16;

bool is_random(const std::string& op) {
  static const std::set<std::string> kRandom = {"RandomNormal",     "RandomUniform",
                                                "RandomNormalLike", "RandomUniformLike",
                                                "Multinomial",      "Bernoulli"};
  return kRandom.count(op) != 0;
}

}  // namespace

Status apply_shape_overrides(Graph& graph, const std::map<std::string, Shape>& overrides) {
  for (const auto& [name, shape] : overrides) {
    ValueInfo* info = nullptr;
    for (auto& v : graph.inputs)
      if (v.name == name) info = &v;
    if (!info || graph.initializers.count(name))
      return invalid_argument("--shape names '" + name + "', which is not an input of the model");
    if (info->type.shape) {
      const auto& declared = *info->type.shape;
      if (declared.size() != shape.size())
        return invalid_argument("--shape " + name + "=" + shape_to_string(shape) + " has rank " +
                                std::to_string(shape.size()) + ", the model declares rank " +
                                std::to_string(declared.size()));
      for (size_t i = 0; i < shape.size(); ++i)
        if (declared[i] >= 0 && declared[i] != shape[i])
          return invalid_argument("--shape " + name + "=" + shape_to_string(shape) +
                                  " contradicts the declared shape " + info->type.to_string());
    }
    info->type.shape = shape;
  }
  return Status();
}

Status infer_types(Graph& graph, int64_t opset, std::map<std::string, Tensor>* known) {
  std::map<std::string, TensorType>& types = graph.value_types;
  std::map<std::string, Tensor> values;  // known values: initializers and evaluated constants
  for (const auto& in : graph.inputs) types[in.name] = in.type;
  for (const auto& [name, t] : graph.initializers) {
    types[name] = TensorType{t.dtype(), t.shape()};
    values[name] = t;
  }
  for (const Node& node : graph.nodes) {
    const OpKernel* op = find_op(node.domain, node.op_type);
    if (!op) return unsupported("node " + node.label() + ": operator is not implemented");
    std::vector<const TensorType*> in_types;
    std::vector<const Tensor*> in_values;
    bool all_known = true;
    int64_t in_elements = 0;
    for (const auto& name : node.inputs) {
      if (name.empty()) {
        in_types.push_back(nullptr);
        in_values.push_back(nullptr);
        continue;
      }
      auto t = types.find(name);
      // Values from enclosing scopes have no static type here: leave the input unknown.
      static const TensorType kUnknown;
      in_types.push_back(t == types.end() ? &kUnknown : &t->second);
      auto v = values.find(name);
      in_values.push_back(v == values.end() ? nullptr : &v->second);
      if (v == values.end())
        all_known = false;
      else
        in_elements += v->second.numel();
    }
    InferContext ic(node, opset, in_types, in_values, node.outputs.size());
    Status st = op->infer(ic);
    if (ic.attr_error()) return *ic.attr_error();
    if (!st.ok()) return std::move(st).error();
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (!node.outputs[i].empty()) types[node.outputs[i]] = ic.outputs()[i];

    // Evaluate small constant expressions so later shape computations see values.
    std::vector<Tensor> shape_only;  // Shape/Size read only the shape of their input
    if (!all_known && (node.op_type == "Shape" || node.op_type == "Size") && node.domain.empty() &&
        !node.inputs.empty() && in_types[0] && in_types[0]->is_static() &&
        checked_numel(*in_types[0]->shape).ok()) {  // an overflowing shape stays unevaluated
      shape_only.push_back(
          Tensor::borrow(in_types[0]->dtype, *in_types[0]->shape, nullptr, nullptr));
      in_values[0] = &shape_only[0];
      all_known = true;
      in_elements = 0;
    }
    // Small outputs only: a tiny constant can describe a huge tensor (ConstantOfShape, Expand,
    // Range), which must not be materialized while a model loads.
    bool small_outputs = true;
    for (const auto& t : ic.outputs())
      if (t.dtype != DType::kUndefined && (!t.is_static() || !checked_numel(*t.shape).ok() ||
                                           *checked_numel(*t.shape) > kMaxEvalElements))
        small_outputs = false;
    if (all_known && small_outputs && in_elements <= kMaxEvalElements && !node.has_subgraph() &&
        !is_random(node.op_type)) {
      auto outs = run_node(*op, node, opset, in_values, nullptr);
      if (!outs) return std::move(outs).error();
      for (size_t i = 0; i < node.outputs.size(); ++i)
        if (!node.outputs[i].empty() && (*outs)[i].defined()) {
          values[node.outputs[i]] = (*outs)[i];
          if (known) (*known)[node.outputs[i]] = (*outs)[i];
          types[node.outputs[i]] = TensorType{(*outs)[i].dtype(), (*outs)[i].shape()};
        }
    }
  }
  return Status();
}

}  // namespace ledge
