#include "onnx/import.h"

#include <fcntl.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <onnx/onnx_pb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/file.h"
#include "ir/verifier.h"

namespace ledge {

namespace {

namespace fs = std::filesystem;

// Newest default-domain opset whose semantics ledge implements (ONNX 1.12).
constexpr int64_t kMaxOpset = 17;

struct ImportContext {
  std::string base_dir;  // for external data; empty refuses it
};

Expected<DType> convert_dtype(int32_t t) {
  const DType d = static_cast<DType>(t);
  if (t == onnx::TensorProto::STRING) return unsupported("string tensors are not supported");
  if (!dtype_is_storable(d))
    return unsupported("element type " + std::to_string(t) + " is not supported");
  return d;
}

// Copies little-endian raw bytes (ledge targets little-endian machines only).
Status copy_raw(const std::string& raw, Tensor& t) {
  if (raw.size() != t.nbytes())
    return invalid_model("raw_data has " + std::to_string(raw.size()) + " bytes, shape " +
                         shape_to_string(t.shape()) + " needs " + std::to_string(t.nbytes()));
  if (!raw.empty()) std::memcpy(t.raw(), raw.data(), raw.size());
  return Status();
}

template <class Field>
Status check_count(const Field& field, const Tensor& t, const char* name) {
  if (static_cast<int64_t>(field.size()) != t.numel())
    return invalid_model(std::string(name) + " has " + std::to_string(field.size()) +
                         " values, shape " + shape_to_string(t.shape()) + " needs " +
                         std::to_string(t.numel()));
  return Status();
}

Status read_external(const onnx::TensorProto& p, const ImportContext& ctx, Tensor& t) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : p.external_data()) {
    try {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset")
        offset = std::stoll(kv.value());
      else if (kv.key() == "length")
        length = std::stoll(kv.value());
    } catch (...) {
      return invalid_model("external data entry '" + kv.key() + "' is not a number");
    }
  }
  if (ctx.base_dir.empty()) return invalid_model("external data is not allowed here");
  if (location.empty()) return invalid_model("external data without a location");
  const fs::path rel(location);
  if (rel.is_absolute()) return invalid_model("external data path '" + location + "' is absolute");
  for (const auto& part : rel)
    if (part == "..")
      return invalid_model("external data path '" + location + "' leaves the model's folder");
  const std::string path = (fs::path(ctx.base_dir) / rel).string();
  if (offset < 0) return invalid_model("negative external data offset");
  const int64_t need = static_cast<int64_t>(t.nbytes());
  if (length >= 0 && length != need)
    return invalid_model("external data length " + std::to_string(length) + " does not match " +
                         std::to_string(need) + " bytes of shape " + shape_to_string(t.shape()));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return io_error("cannot open external data file " + path);
  bool ok = std::fseek(f, static_cast<long>(offset), SEEK_SET) == 0 &&
            std::fread(t.raw(), 1, t.nbytes(), f) == t.nbytes();
  std::fclose(f);
  if (!ok) return invalid_model("external data file " + path + " is shorter than declared");
  return Status();
}

Expected<Tensor> convert_tensor(const onnx::TensorProto& p, const ImportContext& ctx) {
  if (p.has_segment()) return unsupported("segmented tensors are not supported");
  LEDGE_ASSIGN(DType dtype, convert_dtype(p.data_type()));
  Shape shape(p.dims().begin(), p.dims().end());
  LEDGE_ASSIGN(Tensor t, Tensor::make(dtype, shape));
  if (p.data_location() == onnx::TensorProto::EXTERNAL) {
    LEDGE_TRY(read_external(p, ctx, t));
    return t;
  }
  if (p.has_raw_data()) {
    LEDGE_TRY(copy_raw(p.raw_data(), t));
    return t;
  }
  const int64_t n = t.numel();
  switch (dtype) {
    case DType::kFloat32:
      LEDGE_TRY(check_count(p.float_data(), t, "float_data"));
      for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = p.float_data(static_cast<int>(i));
      break;
    case DType::kFloat64:
      LEDGE_TRY(check_count(p.double_data(), t, "double_data"));
      for (int64_t i = 0; i < n; ++i) t.data<double>()[i] = p.double_data(static_cast<int>(i));
      break;
    case DType::kInt64:
      LEDGE_TRY(check_count(p.int64_data(), t, "int64_data"));
      for (int64_t i = 0; i < n; ++i) t.data<int64_t>()[i] = p.int64_data(static_cast<int>(i));
      break;
    case DType::kUInt32:
    case DType::kUInt64:
      LEDGE_TRY(check_count(p.uint64_data(), t, "uint64_data"));
      for (int64_t i = 0; i < n; ++i) {
        const uint64_t v = p.uint64_data(static_cast<int>(i));
        if (dtype == DType::kUInt32)
          t.data<uint32_t>()[i] = static_cast<uint32_t>(v);
        else
          t.data<uint64_t>()[i] = v;
      }
      break;
    default: {
      // int32_data carries int32 and every narrower type (16-bit floats as their bits).
      LEDGE_TRY(check_count(p.int32_data(), t, "int32_data"));
      Status st = dispatch(dtype, [&]<class T>() {
        for (int64_t i = 0; i < n; ++i) {
          const int32_t v = p.int32_data(static_cast<int>(i));
          if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>)
            t.data<T>()[i] = T::from_bits(static_cast<uint16_t>(v));
          else if constexpr (std::is_same_v<T, bool>)
            t.data<bool>()[i] = v != 0;
          else
            t.data<T>()[i] = static_cast<T>(v);
        }
      });
      LEDGE_TRY(st);
    }
  }
  return t;
}

Expected<TensorType> convert_type(const onnx::TypeProto& tp, std::vector<std::string>* dim_names) {
  if (!tp.has_tensor_type()) {
    if (tp.value_case() == onnx::TypeProto::VALUE_NOT_SET) return TensorType{};
    return unsupported("only tensor values are supported (not sequences, maps or optionals)");
  }
  const auto& tt = tp.tensor_type();
  TensorType type;
  if (tt.elem_type() != 0) {
    LEDGE_ASSIGN(type.dtype, convert_dtype(tt.elem_type()));
  }
  if (tt.has_shape()) {
    std::vector<int64_t> dims;
    for (const auto& d : tt.shape().dim()) {
      const bool known = d.has_dim_value() && d.dim_value() >= 0;
      dims.push_back(known ? d.dim_value() : -1);
      if (dim_names) dim_names->push_back(d.has_dim_param() ? d.dim_param() : "");
    }
    type.shape = std::move(dims);
  }
  return type;
}

Expected<ValueInfo> convert_value_info(const onnx::ValueInfoProto& v) {
  ValueInfo info;
  info.name = v.name();
  auto t = convert_type(v.type(), &info.dim_names);
  if (!t) return std::move(t).error().with_context("value '" + v.name() + "'");
  info.type = std::move(*t);
  return info;
}

Expected<std::shared_ptr<Graph>> convert_graph(const onnx::GraphProto& g, const ImportContext& ctx,
                                               onnx::GraphProto* owned = nullptr);

Expected<AttributeValue> convert_attribute(const onnx::AttributeProto& a,
                                           const ImportContext& ctx) {
  using A = onnx::AttributeProto;
  int type = a.type();
  if (type == A::UNDEFINED) {
    // Older exporters leave the type out; take it from the field that is set.
    if (a.has_f())
      type = A::FLOAT;
    else if (a.has_i())
      type = A::INT;
    else if (a.has_s())
      type = A::STRING;
    else if (a.has_t())
      type = A::TENSOR;
    else if (a.has_g())
      type = A::GRAPH;
    else if (a.floats_size())
      type = A::FLOATS;
    else if (a.ints_size())
      type = A::INTS;
    else if (a.strings_size())
      type = A::STRINGS;
    else if (a.tensors_size())
      type = A::TENSORS;
    else if (a.graphs_size())
      type = A::GRAPHS;
  }
  switch (type) {
    case A::FLOAT:
      return AttributeValue(a.f());
    case A::INT:
      return AttributeValue(static_cast<int64_t>(a.i()));
    case A::STRING:
      return AttributeValue(a.s());
    case A::TENSOR: {
      LEDGE_ASSIGN(Tensor t, convert_tensor(a.t(), ctx));
      return AttributeValue(std::move(t));
    }
    case A::GRAPH: {
      LEDGE_ASSIGN(auto g, convert_graph(a.g(), ctx));
      return AttributeValue(std::move(g));
    }
    case A::FLOATS:
      return AttributeValue(std::vector<float>(a.floats().begin(), a.floats().end()));
    case A::INTS:
      return AttributeValue(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    case A::STRINGS:
      return AttributeValue(std::vector<std::string>(a.strings().begin(), a.strings().end()));
    case A::TENSORS: {
      std::vector<Tensor> ts;
      for (const auto& t : a.tensors()) {
        LEDGE_ASSIGN(Tensor x, convert_tensor(t, ctx));
        ts.push_back(std::move(x));
      }
      return AttributeValue(std::move(ts));
    }
    case A::GRAPHS: {
      std::vector<std::shared_ptr<Graph>> gs;
      for (const auto& g : a.graphs()) {
        LEDGE_ASSIGN(auto x, convert_graph(g, ctx));
        gs.push_back(std::move(x));
      }
      return AttributeValue(std::move(gs));
    }
    case A::SPARSE_TENSOR:
      return unsupported("sparse tensor attributes are not supported");
    default:
      return invalid_model("attribute has no value");
  }
}

// Takes the raw bytes of a large little-endian initializer out of the parsed message
// instead of copying them: the tensor then owns the buffer the parser filled.
std::optional<Tensor> take_raw_data(onnx::TensorProto& p) {
  constexpr size_t kMinBytes = 4096;  // small tensors are cheaper to copy than to track
  if (!p.has_raw_data() || p.has_segment() || p.data_location() == onnx::TensorProto::EXTERNAL ||
      p.raw_data().size() < kMinBytes)
    return std::nullopt;
  auto dtype = convert_dtype(p.data_type());
  if (!dtype) return std::nullopt;
  Shape shape(p.dims().begin(), p.dims().end());
  auto n = checked_numel(shape);
  if (!n || static_cast<uint64_t>(*n) > tensor_byte_limit() / dtype_size(*dtype) ||
      static_cast<size_t>(*n) * dtype_size(*dtype) != p.raw_data().size())
    return std::nullopt;  // convert_tensor reports the problem
  if (reinterpret_cast<uintptr_t>(p.raw_data().data()) % 16 != 0) return std::nullopt;
  std::shared_ptr<std::string> bytes(p.release_raw_data());
  void* data = bytes->data();
  return Tensor::borrow(*dtype, std::move(shape), data, std::move(bytes));
}

Expected<std::shared_ptr<Graph>> convert_graph(const onnx::GraphProto& g, const ImportContext& ctx,
                                               onnx::GraphProto* owned) {
  auto graph = std::make_shared<Graph>();
  graph->name = g.name();
  if (g.sparse_initializer_size() > 0) return unsupported("sparse initializers are not supported");
  for (int i = 0; i < g.initializer_size(); ++i) {
    const auto& init = g.initializer(i);
    if (owned) {
      // The name first: taking the bytes leaves the rest of the message intact.
      if (auto t = take_raw_data(*owned->mutable_initializer(i))) {
        graph->initializers[init.name()] = std::move(*t);
        continue;
      }
    }
    auto t = convert_tensor(init, ctx);
    if (!t) return std::move(t).error().with_context("initializer '" + init.name() + "'");
    graph->initializers[init.name()] = std::move(*t);
  }
  for (const auto& in : g.input()) {
    LEDGE_ASSIGN(ValueInfo v, convert_value_info(in));
    graph->inputs.push_back(std::move(v));
  }
  for (const auto& out : g.output()) {
    LEDGE_ASSIGN(ValueInfo v, convert_value_info(out));
    graph->outputs.push_back(std::move(v));
  }
  for (const auto& vi : g.value_info()) {
    auto v = convert_type(vi.type(), nullptr);
    if (v && v->dtype != DType::kUndefined) graph->value_types[vi.name()] = std::move(*v);
  }
  for (const auto& n : g.node()) {
    Node node;
    node.name = n.name();
    node.op_type = n.op_type();
    node.domain = n.domain() == "ai.onnx" ? std::string() : n.domain();
    node.inputs.assign(n.input().begin(), n.input().end());
    node.outputs.assign(n.output().begin(), n.output().end());
    for (const auto& a : n.attribute()) {
      if (!a.ref_attr_name().empty())
        return invalid_model("node " + node.label() + ": attribute references outside a function");
      auto v = convert_attribute(a, ctx);
      if (!v)
        return std::move(v).error().with_context("node " + node.label() + ", attribute '" +
                                                 a.name() + "'");
      node.attributes[a.name()] = std::move(*v);
    }
    graph->nodes.push_back(std::move(node));
  }
  return graph;
}

Expected<std::shared_ptr<Model>> convert_model(onnx::ModelProto& m, const ImportContext& ctx) {
  auto model = std::make_shared<Model>();
  model->ir_version = m.ir_version();
  model->producer = m.producer_name();
  for (const auto& o : m.opset_import()) {
    const std::string domain = o.domain() == "ai.onnx" ? std::string() : o.domain();
    model->opsets[domain] = o.version();
  }
  // IR version 3 and later must declare opsets; older files imply opset 1.
  if (m.opset_import_size() == 0) model->opsets[""] = 1;
  const int64_t opset = model->opset("");
  if (opset > kMaxOpset)
    return unsupported("the model uses opset " + std::to_string(opset) +
                       "; ledge supports the default domain up to opset " +
                       std::to_string(kMaxOpset));
  if (!m.has_graph()) return invalid_model("the file has no graph");
  LEDGE_ASSIGN(auto graph, convert_graph(m.graph(), ctx, m.mutable_graph()));
  model->graph = std::move(*graph);
  LEDGE_TRY(sort_topologically(model->graph));
  LEDGE_TRY(verify_graph(model->graph));
  return model;
}

}  // namespace

Expected<std::shared_ptr<Model>> import_onnx_bytes(const void* data, size_t size,
                                                   const std::string& base_dir) {
  if (size > static_cast<size_t>(std::numeric_limits<int>::max()))
    return resource_limit("ONNX files over 2 GiB must keep weights in external data");
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size)))
    return invalid_model("not a valid ONNX model (protobuf parse failed)");
  ImportContext ctx{base_dir};
  return convert_model(proto, ctx);
}

Expected<std::shared_ptr<Model>> import_onnx_file(const std::string& path) {
  // Streamed through a small buffer rather than read or mapped whole: the parser keeps its
  // own copy of the weights, so the file's bytes never need to be resident at the same time.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return io_error(path + ": not a regular file");
  }
  if (st.st_size > std::numeric_limits<int>::max()) {
    ::close(fd);
    return resource_limit(path + ": ONNX files over 2 GiB must keep weights in external data");
  }
  onnx::ModelProto proto;
  bool parsed = false;
  {
    google::protobuf::io::FileInputStream stream(fd, 1 << 16);
    parsed = proto.ParseFromZeroCopyStream(&stream) && stream.GetErrno() == 0;
  }
  ::close(fd);
  if (!parsed) return invalid_model(path + ": not a valid ONNX model (protobuf parse failed)");
  std::string dir = fs::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  ImportContext ctx{dir};
  auto model = convert_model(proto, ctx);
  if (!model) return std::move(model).error().with_context(path);
  (*model)->source_path = path;
  return model;
}

Expected<Tensor> parse_tensor_pb(const void* data, size_t size) {
  if (size > static_cast<size_t>(std::numeric_limits<int>::max()))
    return resource_limit("tensor file over 2 GiB");
  onnx::TensorProto proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size)))
    return invalid_argument("not a valid ONNX TensorProto (protobuf parse failed)");
  return convert_tensor(proto, ImportContext{});
}

Expected<Tensor> read_tensor_pb(const std::string& path) {
  LEDGE_ASSIGN(std::string bytes, read_file(path));
  auto t = parse_tensor_pb(bytes.data(), bytes.size());
  if (!t) return std::move(t).error().with_context(path);
  return t;
}

Status write_tensor_pb(const std::string& path, const Tensor& t, const std::string& name) {
  onnx::TensorProto proto;
  proto.set_name(name);
  proto.set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.shape()) proto.add_dims(d);
  proto.set_raw_data(t.raw(), t.nbytes());
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) return io_error(path + ": cannot serialize tensor");
  return write_file(path, bytes.data(), bytes.size());
}

}  // namespace ledge
