#include "onnx/export.h"

#include <onnx/onnx_pb.h>

#include <limits>
#include <set>

#include "core/file.h"

namespace ledge {

namespace {

// IR version written for models built in memory (no file to take it from): ONNX 1.12's,
// which covers opsets up to 17.
constexpr int64_t kDefaultIrVersion = 8;

Status fill_tensor(const Tensor& t, const std::string& name, onnx::TensorProto* p) {
  if (!dtype_is_storable(t.dtype()))
    return unsupported("tensor '" + name + "' has element type " +
                       std::string(dtype_name(t.dtype())) + ", which cannot be written");
  if (!name.empty()) p->set_name(name);
  p->set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.shape()) p->add_dims(d);
  // Little-endian raw bytes, as the importer reads them.
  if (t.nbytes() > 0) p->set_raw_data(t.raw(), t.nbytes());
  return Status();
}

void fill_type(const TensorType& type, const std::vector<std::string>& dim_names,
               onnx::TypeProto* p) {
  if (type.dtype == DType::kUndefined && !type.shape) return;  // no type at all
  auto* tt = p->mutable_tensor_type();
  tt->set_elem_type(static_cast<int32_t>(type.dtype));
  if (!type.shape) return;
  auto* shape = tt->mutable_shape();
  for (size_t i = 0; i < type.shape->size(); ++i) {
    auto* dim = shape->add_dim();
    const int64_t d = (*type.shape)[i];
    if (d >= 0)
      dim->set_dim_value(d);
    else if (i < dim_names.size() && !dim_names[i].empty())
      dim->set_dim_param(dim_names[i]);
  }
}

void fill_value_info(const ValueInfo& v, onnx::ValueInfoProto* p) {
  p->set_name(v.name);
  fill_type(v.type, v.dim_names, p->mutable_type());
}

Status fill_graph(const Graph& g, int64_t ir_version, onnx::GraphProto* p);

Status fill_attribute(const std::string& name, const AttributeValue& value,
                      onnx::AttributeProto* a) {
  using A = onnx::AttributeProto;
  a->set_name(name);
  return std::visit(
      [&](const auto& v) -> Status {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, int64_t>) {
          a->set_type(A::INT);
          a->set_i(v);
        } else if constexpr (std::is_same_v<V, float>) {
          a->set_type(A::FLOAT);
          a->set_f(v);
        } else if constexpr (std::is_same_v<V, std::string>) {
          a->set_type(A::STRING);
          a->set_s(v);
        } else if constexpr (std::is_same_v<V, Tensor>) {
          a->set_type(A::TENSOR);
          return fill_tensor(v, "", a->mutable_t());
        } else if constexpr (std::is_same_v<V, std::shared_ptr<Graph>>) {
          a->set_type(A::GRAPH);
          if (!v) return invalid_model("attribute '" + name + "' has no graph");
          // Subgraphs follow the IR rules of IR version 4+ (no initializers as inputs).
          return fill_graph(*v, kDefaultIrVersion, a->mutable_g());
        } else if constexpr (std::is_same_v<V, std::vector<int64_t>>) {
          a->set_type(A::INTS);
          for (int64_t x : v) a->add_ints(x);
        } else if constexpr (std::is_same_v<V, std::vector<float>>) {
          a->set_type(A::FLOATS);
          for (float x : v) a->add_floats(x);
        } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
          a->set_type(A::STRINGS);
          for (const auto& x : v) a->add_strings(x);
        } else if constexpr (std::is_same_v<V, std::vector<Tensor>>) {
          a->set_type(A::TENSORS);
          for (const auto& x : v) LEDGE_TRY(fill_tensor(x, "", a->add_tensors()));
        } else {
          static_assert(std::is_same_v<V, std::vector<std::shared_ptr<Graph>>>);
          a->set_type(A::GRAPHS);
          for (const auto& x : v) {
            if (!x) return invalid_model("attribute '" + name + "' has no graph");
            LEDGE_TRY(fill_graph(*x, kDefaultIrVersion, a->add_graphs()));
          }
        }
        return Status();
      },
      value);
}

Status fill_graph(const Graph& g, int64_t ir_version, onnx::GraphProto* p) {
  p->set_name(g.name);
  std::set<std::string> declared;  // inputs and outputs carry their own types
  for (const auto& v : g.inputs) {
    fill_value_info(v, p->add_input());
    declared.insert(v.name);
  }
  // Before IR version 4 every initializer must also be a graph input.
  if (ir_version < 4)
    for (const auto& [name, t] : g.initializers)
      if (!declared.count(name)) {
        ValueInfo v;
        v.name = name;
        v.type = TensorType{t.dtype(), t.shape()};
        fill_value_info(v, p->add_input());
        declared.insert(name);
      }
  for (const auto& v : g.outputs) {
    fill_value_info(v, p->add_output());
    declared.insert(v.name);
  }
  for (const auto& [name, t] : g.initializers) {
    auto st = fill_tensor(t, name, p->add_initializer());
    if (!st.ok()) return st;
  }
  for (const auto& n : g.nodes) {
    auto* np = p->add_node();
    if (!n.name.empty()) np->set_name(n.name);
    np->set_op_type(n.op_type);
    if (!n.domain.empty()) np->set_domain(n.domain);
    for (const auto& in : n.inputs) np->add_input(in);
    for (const auto& out : n.outputs) np->add_output(out);
    for (const auto& [name, value] : n.attributes) {
      Status st = fill_attribute(name, value, np->add_attribute());
      if (!st.ok()) return std::move(st).error().with_context("node " + n.label());
    }
  }
  // Known types of intermediate values.
  for (const auto& n : g.nodes)
    for (const auto& out : n.outputs) {
      if (out.empty() || declared.count(out)) continue;
      auto it = g.value_types.find(out);
      if (it == g.value_types.end() || it->second.dtype == DType::kUndefined) continue;
      ValueInfo v;
      v.name = out;
      v.type = it->second;
      fill_value_info(v, p->add_value_info());
    }
  return Status();
}

}  // namespace

Expected<std::string> export_onnx_bytes(const Model& model) {
  onnx::ModelProto m;
  const int64_t ir_version = model.ir_version > 0 ? model.ir_version : kDefaultIrVersion;
  m.set_ir_version(ir_version);
  m.set_producer_name(model.producer.empty() ? "ledge" : model.producer);
  for (const auto& [domain, version] : model.opsets) {
    auto* o = m.add_opset_import();
    o->set_domain(domain);
    o->set_version(version);
  }
  LEDGE_TRY(fill_graph(model.graph, ir_version, m.mutable_graph()));
  if (m.ByteSizeLong() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return resource_limit("the model is over 2 GiB, more than one ONNX file can hold inline");
  std::string bytes;
  if (!m.SerializeToString(&bytes)) return internal_error("cannot serialize the ONNX model");
  return bytes;
}

Status write_onnx_file(const Model& model, const std::string& path) {
  auto bytes = export_onnx_bytes(model);
  if (!bytes) return std::move(bytes).error().with_context(path);
  return write_file(path, bytes->data(), bytes->size());
}

}  // namespace ledge
