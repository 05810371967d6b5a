#include "ops/control_flow_common.h"

#include <cstring>
#include <map>

namespace ledge::cf {

TensorType merge_types(const TensorType& a, const TensorType& b) {
  TensorType t;
  if (a.dtype == b.dtype || b.dtype == DType::kUndefined)
    t.dtype = a.dtype;
  else if (a.dtype == DType::kUndefined)
    t.dtype = b.dtype;
  if (a.shape && b.shape && a.shape->size() == b.shape->size()) {
    std::vector<int64_t> dims(a.shape->size());
    for (size_t i = 0; i < dims.size(); ++i)
      dims[i] = (*a.shape)[i] == (*b.shape)[i] ? (*a.shape)[i] : -1;
    t.shape = std::move(dims);
  }
  return t;
}

std::vector<TensorType> subgraph_output_types(const Graph& g,
                                              const std::vector<TensorType>& input_types,
                                              int64_t opset, bool shapes) {
  std::vector<TensorType> out;
  bool all_declared = true;
  for (const auto& o : g.outputs) {
    out.push_back(o.type);
    if (o.type.dtype == DType::kUndefined || (shapes && !o.type.shape)) all_declared = false;
  }
  if (all_declared) return out;

  // A best effort that never fails: an operator whose infer rejects the partial information
  // just leaves its outputs unknown.
  static const TensorType kUnknown;
  std::map<std::string, TensorType> types;
  std::map<std::string, const Tensor*> values;
  for (size_t i = 0; i < g.inputs.size(); ++i)
    types[g.inputs[i].name] = i < input_types.size() && input_types[i].dtype != DType::kUndefined
                                  ? input_types[i]
                                  : g.inputs[i].type;
  for (const auto& [name, t] : g.initializers) {
    types[name] = TensorType{t.dtype(), t.shape()};
    values[name] = &t;
  }
  for (const Node& node : g.nodes) {
    const OpKernel* op = find_op(node.domain, node.op_type);
    std::vector<const TensorType*> in_types;
    std::vector<const Tensor*> in_values;
    for (const auto& name : node.inputs) {
      if (name.empty()) {
        in_types.push_back(nullptr);
        in_values.push_back(nullptr);
        continue;
      }
      auto t = types.find(name);
      in_types.push_back(t == types.end() ? &kUnknown : &t->second);
      auto v = values.find(name);
      in_values.push_back(v == values.end() ? nullptr : v->second);
    }
    InferContext ic(node, opset, in_types, in_values, node.outputs.size());
    const bool ok = op && op->infer(ic).ok() && !ic.attr_error();
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (!node.outputs[i].empty())
        types[node.outputs[i]] = !ok      ? kUnknown
                                 : shapes ? ic.outputs()[i]
                                          : TensorType{ic.outputs()[i].dtype, std::nullopt};
  }
  for (size_t i = 0; i < out.size(); ++i) {
    auto t = types.find(g.outputs[i].name);
    if (t == types.end()) continue;
    if (out[i].dtype == DType::kUndefined) out[i].dtype = t->second.dtype;
    if (!out[i].shape && out[i].dtype == t->second.dtype) out[i].shape = t->second.shape;
  }
  return out;
}

Status check_output(const NodeContext& c, const Tensor& t, const TensorType& want,
                    const std::string& what, size_t index) {
  bool ok = want.dtype == DType::kUndefined || t.dtype() == want.dtype;
  if (ok && want.shape) {
    ok = want.shape->size() == t.shape().size();
    for (size_t i = 0; ok && i < t.shape().size(); ++i)
      ok = (*want.shape)[i] < 0 || (*want.shape)[i] == t.shape()[i];
  }
  if (ok) return Status();
  return c.fail(what + " output " + std::to_string(index) + " is " +
                TensorType{t.dtype(), t.shape()}.to_string() + ", which does not match " +
                want.to_string());
}

Expected<Tensor> take(const Tensor& t, int64_t axis, int64_t index) {
  if (axis < 0 || axis >= t.rank() || index < 0 || index >= t.dim(axis))
    return internal_error("take: index out of range");
  Shape shape = t.shape();
  shape.erase(shape.begin() + axis);
  LEDGE_ASSIGN(Tensor out, Tensor::make(t.dtype(), shape));
  int64_t outer = 1, inner = static_cast<int64_t>(dtype_size(t.dtype()));
  for (int64_t i = 0; i < axis; ++i) outer *= t.dim(i);
  for (int64_t i = axis + 1; i < t.rank(); ++i) inner *= t.dim(i);
  if (out.nbytes() == 0) return out;
  const auto* src = static_cast<const char*>(t.raw());
  auto* dst = static_cast<char*>(out.raw());
  const int64_t n = t.dim(axis);
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(dst + o * inner, src + (o * n + index) * inner, static_cast<size_t>(inner));
  return out;
}

Expected<Tensor> stack(const std::vector<Tensor>& elems, int64_t axis, bool reverse,
                       const TensorType& elem, int64_t pad_to) {
  const int64_t n = static_cast<int64_t>(elems.size());
  const int64_t len = std::max(n, pad_to);
  DType dt = elem.dtype;
  Shape es;
  if (n > 0) {
    dt = elems[0].dtype();
    es = elems[0].shape();
  } else if (elem.shape) {
    // No element to take the shape from: unknown dimensions of the declared type count as 0.
    for (int64_t d : *elem.shape) es.push_back(std::max<int64_t>(d, 0));
  }
  if (dt == DType::kUndefined)
    return unsupported("the element type of an empty stacked output is unknown");
  const int64_t rank = static_cast<int64_t>(es.size());
  if (axis < 0 || axis > rank) return internal_error("stack: axis out of range");
  for (const Tensor& e : elems)
    if (e.dtype() != dt || e.shape() != es)
      return invalid_model(
          "stacked values differ in type or shape: " + TensorType{dt, es}.to_string() + " and " +
          TensorType{e.dtype(), e.shape()}.to_string());
  Shape shape = es;
  shape.insert(shape.begin() + axis, len);
  LEDGE_ASSIGN(Tensor out, Tensor::make(dt, shape));
  if (out.nbytes() == 0) return out;
  int64_t outer = 1, inner = static_cast<int64_t>(dtype_size(dt));
  for (int64_t i = 0; i < axis; ++i) outer *= es[static_cast<size_t>(i)];
  for (int64_t i = axis; i < rank; ++i) inner *= es[static_cast<size_t>(i)];
  auto* dst = static_cast<char*>(out.raw());
  for (int64_t k = 0; k < n; ++k) {
    const int64_t pos = reverse ? n - 1 - k : k;
    const auto* src = static_cast<const char*>(elems[static_cast<size_t>(k)].raw());
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + (o * len + pos) * inner, src + o * inner, static_cast<size_t>(inner));
  }
  return out;
}

bool is_single_element(const TensorType& t) {
  if (!t.shape) return true;
  for (int64_t d : *t.shape)
    if (d > 1 || d == 0) return false;
  return true;
}

}  // namespace ledge::cf
