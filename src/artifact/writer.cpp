// Model → .ledge bytes: the graph into a FlatBuffer, tensors' bytes into the data section.
#include <cstring>
#include <map>
#include <utility>

#include "artifact/artifact.h"
#include "artifact/format.h"
#include "artifact/ledge_model_generated.h"
#include "core/file.h"

namespace ledge {

namespace {

namespace fbs = flatbuffers;

using StringVector = fbs::Offset<fbs::Vector<fbs::Offset<fbs::String>>>;

class Writer {
 public:
  Expected<std::string> write(const Model& model, const WriteOptions& options) {
    LEDGE_ASSIGN(auto graph, write_graph(model.graph));
    std::vector<fbs::Offset<fb::OpsetImport>> opsets;
    for (const auto& [domain, version] : model.opsets)
      opsets.push_back(fb::CreateOpsetImport(fbb_, str(domain), version));
    std::vector<fbs::Offset<fb::KeyValue>> metadata;
    auto all_metadata = options.metadata;
    if (model.prepared_for_cpu) all_metadata[std::string(kPreparedKey)] = "cpu";
    for (const auto& [key, value] : all_metadata)
      metadata.push_back(fb::CreateKeyValue(fbb_, str(key), str(value)));
    const auto opsets_vec = fbb_.CreateVector(opsets);
    const auto producer = str(model.producer);
    const auto metadata_vec = fbb_.CreateVector(metadata);
    fb::ModelBuilder m(fbb_);
    m.add_ir_version(model.ir_version);
    m.add_opsets(opsets_vec);
    m.add_producer(producer);
    m.add_graph(graph);
    m.add_metadata(metadata_vec);
    fb::FinishModelBuffer(fbb_, m.Finish());
    const std::string_view payload(reinterpret_cast<const char*>(fbb_.GetBufferPointer()),
                                   fbb_.GetSize());
    return artifact::assemble(payload, data_);
  }

 private:
  fbs::FlatBufferBuilder fbb_{1 << 16};
  std::string data_;  // the data section
  // Tensors that share storage (tied weights, repeated constants) share their bytes too.
  std::map<std::pair<const void*, size_t>, uint64_t> written_;

  fbs::Offset<fbs::String> str(const std::string& s) { return fbb_.CreateString(s); }

  StringVector strings(const std::vector<std::string>& v) {
    std::vector<fbs::Offset<fbs::String>> offsets;
    offsets.reserve(v.size());
    for (const auto& s : v) offsets.push_back(str(s));
    return fbb_.CreateVector(offsets);
  }

  // Appends the tensor's bytes at the next aligned offset of the data section.
  uint64_t place(const Tensor& t) {
    const size_t n = t.nbytes();
    if (n == 0) return 0;
    const auto key = std::make_pair(t.raw(), n);
    auto it = written_.find(key);
    if (it != written_.end()) return it->second;
    const uint64_t offset = data_.size();
    data_.append(static_cast<const char*>(t.raw()), n);
    const size_t padded = (data_.size() + artifact::kTensorAlignment - 1) /
                          artifact::kTensorAlignment * artifact::kTensorAlignment;
    data_.resize(padded, '\0');
    written_.emplace(key, offset);
    return offset;
  }

  Expected<fbs::Offset<fb::Tensor>> write_tensor(const Tensor& t) {
    if (t.defined() && !dtype_is_storable(t.dtype()))
      return unsupported("cannot store a tensor of element type " +
                         std::string(dtype_name(t.dtype())));
    if (t.nbytes() > 0 && !t.raw()) return invalid_argument("a tensor has no data");
    const uint64_t offset = place(t);
    const auto shape = fbb_.CreateVector(t.shape());
    return fb::CreateTensor(fbb_, static_cast<int32_t>(t.dtype()), shape, offset, t.nbytes());
  }

  fbs::Offset<fb::TensorType> write_type(const TensorType& type) {
    fbs::Offset<fbs::Vector<int64_t>> shape;
    if (type.shape) shape = fbb_.CreateVector(*type.shape);
    return fb::CreateTensorType(fbb_, static_cast<int32_t>(type.dtype), type.shape.has_value(),
                                shape);
  }

  fbs::Offset<fb::ValueInfo> write_value_info(const ValueInfo& v) {
    const auto name = str(v.name);
    const auto type = write_type(v.type);
    const auto dim_names = strings(v.dim_names);
    return fb::CreateValueInfo(fbb_, name, type, dim_names);
  }

  Expected<fbs::Offset<fb::Attribute>> write_attribute(const std::string& name,
                                                       const AttributeValue& value) {
    const auto name_off = str(name);
    // Children first: a FlatBuffers table is built after everything it points to.
    fbs::Offset<fbs::String> s;
    fbs::Offset<fb::Tensor> t;
    fbs::Offset<fb::Graph> g;
    fbs::Offset<fbs::Vector<int64_t>> ints;
    fbs::Offset<fbs::Vector<float>> floats;
    StringVector strs;
    fbs::Offset<fbs::Vector<fbs::Offset<fb::Tensor>>> tensors;
    fbs::Offset<fbs::Vector<fbs::Offset<fb::Graph>>> graphs;
    int64_t i = 0;
    float f = 0;
    fb::AttributeKind kind = fb::AttributeKind::Int;
    if (auto* v = std::get_if<int64_t>(&value)) {
      kind = fb::AttributeKind::Int;
      i = *v;
    } else if (auto* v = std::get_if<float>(&value)) {
      kind = fb::AttributeKind::Float;
      f = *v;
    } else if (auto* v = std::get_if<std::string>(&value)) {
      kind = fb::AttributeKind::String;
      s = str(*v);
    } else if (auto* v = std::get_if<Tensor>(&value)) {
      kind = fb::AttributeKind::Tensor;
      LEDGE_ASSIGN(t, write_tensor(*v));
    } else if (auto* v = std::get_if<std::shared_ptr<Graph>>(&value)) {
      kind = fb::AttributeKind::Graph;
      if (!*v) return invalid_argument("the subgraph is missing");
      LEDGE_ASSIGN(g, write_graph(**v));
    } else if (auto* v = std::get_if<std::vector<int64_t>>(&value)) {
      kind = fb::AttributeKind::Ints;
      ints = fbb_.CreateVector(*v);
    } else if (auto* v = std::get_if<std::vector<float>>(&value)) {
      kind = fb::AttributeKind::Floats;
      floats = fbb_.CreateVector(*v);
    } else if (auto* v = std::get_if<std::vector<std::string>>(&value)) {
      kind = fb::AttributeKind::Strings;
      strs = strings(*v);
    } else if (auto* v = std::get_if<std::vector<Tensor>>(&value)) {
      kind = fb::AttributeKind::Tensors;
      std::vector<fbs::Offset<fb::Tensor>> offs;
      for (const auto& x : *v) {
        LEDGE_ASSIGN(auto o, write_tensor(x));
        offs.push_back(o);
      }
      tensors = fbb_.CreateVector(offs);
    } else if (auto* v = std::get_if<std::vector<std::shared_ptr<Graph>>>(&value)) {
      kind = fb::AttributeKind::Graphs;
      std::vector<fbs::Offset<fb::Graph>> offs;
      for (const auto& x : *v) {
        if (!x) return invalid_argument("a subgraph is missing");
        LEDGE_ASSIGN(auto o, write_graph(*x));
        offs.push_back(o);
      }
      graphs = fbb_.CreateVector(offs);
    }
    return fb::CreateAttribute(fbb_, name_off, kind, i, f, s, t, g, ints, floats, strs, tensors,
                               graphs);
  }

  Expected<fbs::Offset<fb::Node>> write_node(const Node& node) {
    std::vector<fbs::Offset<fb::Attribute>> attrs;
    for (const auto& [name, value] : node.attributes) {
      auto a = write_attribute(name, value);
      if (!a)
        return std::move(a).error().with_context("node " + node.label() + ", attribute '" + name +
                                                 "'");
      attrs.push_back(*a);
    }
    const auto name = str(node.name);
    const auto op_type = str(node.op_type);
    const auto domain = str(node.domain);
    const auto inputs = strings(node.inputs);
    const auto outputs = strings(node.outputs);
    const auto attrs_vec = fbb_.CreateVector(attrs);
    return fb::CreateNode(fbb_, name, op_type, domain, inputs, outputs, attrs_vec);
  }

  Expected<fbs::Offset<fb::Graph>> write_graph(const Graph& graph) {
    std::vector<fbs::Offset<fb::ValueInfo>> inputs, outputs;
    for (const auto& v : graph.inputs) inputs.push_back(write_value_info(v));
    for (const auto& v : graph.outputs) outputs.push_back(write_value_info(v));
    std::vector<fbs::Offset<fb::Initializer>> inits;
    for (const auto& [name, t] : graph.initializers) {
      auto off = write_tensor(t);
      if (!off) return std::move(off).error().with_context("initializer '" + name + "'");
      const auto name_off = str(name);
      inits.push_back(fb::CreateInitializer(fbb_, name_off, *off));
    }
    std::vector<fbs::Offset<fb::Node>> nodes;
    for (const auto& n : graph.nodes) {
      LEDGE_ASSIGN(auto off, write_node(n));
      nodes.push_back(off);
    }
    std::vector<fbs::Offset<fb::ValueType>> types;
    for (const auto& [name, type] : graph.value_types) {
      const auto name_off = str(name);
      const auto type_off = write_type(type);
      types.push_back(fb::CreateValueType(fbb_, name_off, type_off));
    }
    const auto name = str(graph.name);
    const auto inputs_vec = fbb_.CreateVector(inputs);
    const auto outputs_vec = fbb_.CreateVector(outputs);
    const auto inits_vec = fbb_.CreateVector(inits);
    const auto nodes_vec = fbb_.CreateVector(nodes);
    const auto types_vec = fbb_.CreateVector(types);
    return fb::CreateGraph(fbb_, name, inputs_vec, outputs_vec, inits_vec, nodes_vec, types_vec);
  }
};

}  // namespace

Expected<std::string> serialize_artifact(const Model& model, const WriteOptions& options) {
  Writer w;
  return w.write(model, options);
}

Status write_artifact(const Model& model, const std::string& path, const WriteOptions& options) {
  LEDGE_ASSIGN(std::string bytes, serialize_artifact(model, options));
  return write_file(path, bytes.data(), bytes.size());
}

}  // namespace ledge
