// .ledge bytes → Model, checking everything: the bytes come from an untrusted file.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "artifact/artifact.h"
#include "artifact/format.h"
#include "artifact/ledge_model_generated.h"
#include "artifact/mapped_file.h"
#include "ir/verifier.h"

namespace ledge {

namespace {

namespace fbs = flatbuffers;

// Nesting of tables (Model → Graph → Node → Attribute → Graph ...): about 20 levels of
// subgraphs, far beyond real models, and it bounds the loader's recursion.
constexpr fbs::uoffset_t kMaxDepth = 64;

Status verify_flatbuffer(const uint8_t* payload, size_t size) {
  fbs::Verifier::Options opts;
  opts.max_depth = kMaxDepth;
  // A table takes at least 4 bytes, so an honest payload has fewer tables than this; the
  // limit bounds the Verifier's work on payloads whose tables are referenced many times.
  opts.max_tables = static_cast<fbs::uoffset_t>(size / 4 + 1);
  fbs::Verifier verifier(payload, size, opts);
  if (size < 8 || !fb::ModelBufferHasIdentifier(payload))
    return invalid_model("artifact payload is not a ledge model (FlatBuffer identifier)");
  if (!fb::VerifyModelBuffer(verifier))
    return invalid_model("artifact payload is malformed (FlatBuffers verification failed)");
  return Status();
}

// A large tensor's share of a file mapping. When the tensor goes (a kernel packed the
// weights and the plan freed them), its whole pages are handed back: on a private read-only
// file mapping MADV_DONTNEED drops them from the process (reading again would fetch them from
// the file), so packed weights do not stay resident twice.
constexpr uint64_t kReturnPagesBytes = 64 << 10;

struct FilePages {
  FilePages(std::shared_ptr<const void> mapping, const uint8_t* begin, uint64_t size)
      : mapping(std::move(mapping)), begin(begin), size(size) {}
  ~FilePages() { return_pages(begin, size); }
  FilePages(const FilePages&) = delete;
  FilePages& operator=(const FilePages&) = delete;

  static void return_pages(const uint8_t* begin, uint64_t size) {
    const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const auto lo = (reinterpret_cast<uintptr_t>(begin) + page - 1) / page * page;
    const auto hi = (reinterpret_cast<uintptr_t>(begin) + size) / page * page;
    if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
  }

  std::shared_ptr<const void> mapping;
  const uint8_t* begin;
  uint64_t size;
};

// Builds IR from a verified FlatBuffer, checking what the Verifier cannot know: element
// types, shapes, the tensors' places in the data section, duplicate names.
class Reader {
 public:
  Reader(const uint8_t* data, uint64_t data_size, std::shared_ptr<const void> owner,
         uint64_t payload_size, bool file_pages = false)
      : data_(data),
        data_size_(data_size),
        owner_(std::move(owner)),
        file_pages_(file_pages),
        budget_(payload_size) {}

  Expected<std::shared_ptr<Model>> model(const fb::Model& m) {
    auto model = std::make_shared<Model>();
    model->ir_version = m.ir_version();
    LEDGE_ASSIGN(model->producer, checked_str(m.producer()));
    if (m.opsets())
      for (const auto* o : *m.opsets()) {
        LEDGE_TRY(charge(8));
        LEDGE_ASSIGN(const std::string domain, checked_str(o->domain()));
        if (!model->opsets.emplace(domain, o->version()).second)
          return invalid_model("artifact imports domain '" + domain + "' twice");
      }
    if (m.metadata())
      for (const auto* kv : *m.metadata()) {
        LEDGE_ASSIGN(const std::string key, checked_str(kv->key()));
        if (key != kPreparedKey) continue;
        LEDGE_ASSIGN(const std::string value, checked_str(kv->value()));
        model->prepared_for_cpu = value == "cpu";
      }
    if (!m.graph()) return invalid_model("artifact has no graph");
    LEDGE_TRY(graph(*m.graph(), model->graph));
    LEDGE_TRY(verify_graph(model->graph));
    return model;
  }

 private:
  const uint8_t* data_;
  uint64_t data_size_;
  std::shared_ptr<const void> owner_;
  bool file_pages_ = false;  // data_ is a read-only file mapping
  // What the IR may hold, in payload bytes: every table, string and vector element of an
  // honest FlatBuffer occupies at least what it is charged, so running out means tables
  // referenced many times, which would otherwise multiply the work and memory of loading.
  uint64_t budget_;

  Status charge(uint64_t bytes) {
    if (bytes > budget_)
      return invalid_model("artifact structure is larger than its payload (shared references)");
    budget_ -= bytes;
    return Status();
  }

  Expected<std::string> checked_str(const fbs::String* s) {
    if (!s) return std::string();
    LEDGE_TRY(charge(4 + uint64_t{s->size()}));
    return std::string(s->data(), s->size());
  }

  Expected<std::vector<std::string>> strings(const fbs::Vector<fbs::Offset<fbs::String>>* v) {
    std::vector<std::string> out;
    if (!v) return out;
    LEDGE_TRY(charge(4));
    out.reserve(v->size());
    for (const auto* s : *v) {
      LEDGE_ASSIGN(std::string x, checked_str(s));
      out.push_back(std::move(x));
    }
    return out;
  }

  template <class T>
  Expected<std::vector<T>> scalars(const fbs::Vector<T>* v) {
    if (!v) return std::vector<T>();
    // The Verifier of FlatBuffers 2.0 checks a vector's 4-byte length, not that 8-byte
    // elements are 8-byte aligned; a builder aligns them (empty vectors need not be), and
    // reading them misaligned is undefined behaviour (and a fault on some CPUs).
    if (v->size() > 0 && reinterpret_cast<uintptr_t>(v->data()) % alignof(T) != 0)
      return invalid_model("artifact payload has a misaligned vector");
    LEDGE_TRY(charge(4 + uint64_t{v->size()} * sizeof(T)));
    return std::vector<T>(v->begin(), v->end());
  }

  Expected<Tensor> tensor(const fb::Tensor* t) {
    if (!t) return invalid_model("tensor without a description");
    LEDGE_TRY(charge(4));
    const DType dtype = static_cast<DType>(t->dtype());
    LEDGE_ASSIGN(Shape shape, scalars(t->shape()));
    if (dtype == DType::kUndefined) {
      if (!shape.empty() || t->data_size() != 0)
        return invalid_model("tensor of undefined element type has a shape or data");
      return Tensor();
    }
    if (!dtype_is_storable(dtype))
      return invalid_model("tensor has unknown element type " + std::to_string(t->dtype()));
    auto n = checked_numel(shape);
    if (!n) return invalid_model("tensor shape: " + n.error().message());
    const uint64_t elem = dtype_size(dtype);
    const uint64_t offset = t->data_offset(), size = t->data_size();
    if (static_cast<uint64_t>(*n) > data_size_ / elem)
      return invalid_model("tensor of shape " + shape_to_string(shape) +
                           " is larger than the data section");
    const uint64_t need = static_cast<uint64_t>(*n) * elem;
    if (size != need)
      return invalid_model("tensor of shape " + shape_to_string(shape) + " (" +
                           std::string(dtype_name(dtype)) + ") declares " + std::to_string(size) +
                           " bytes, needs " + std::to_string(need));
    if (offset % artifact::kTensorAlignment != 0)
      return invalid_model("tensor data offset " + std::to_string(offset) + " is not " +
                           std::to_string(artifact::kTensorAlignment) + "-byte aligned");
    if (offset > data_size_ || size > data_size_ - offset)
      return invalid_model("tensor data [" + std::to_string(offset) + ", +" + std::to_string(size) +
                           ") lies outside the data section of " + std::to_string(data_size_) +
                           " bytes");
    const uint8_t* p = data_ + offset;
    // A bool byte other than 0 or 1 is not a valid C++ bool.
    if (dtype == DType::kBool)
      for (uint64_t i = 0; i < size; ++i)
        if (p[i] > 1) return invalid_model("bool tensor holds a byte other than 0 and 1");
    // The mapping is read-only; Tensor's interface is not const, so the cast is the contract
    // stated in artifact.h: weights are never written.
    if (file_pages_ && size >= kReturnPagesBytes)
      return Tensor::borrow(dtype, std::move(shape), const_cast<uint8_t*>(p),
                            std::make_shared<const FilePages>(owner_, p, size));
    return Tensor::borrow(dtype, std::move(shape), const_cast<uint8_t*>(p), owner_);
  }

  Expected<TensorType> type(const fb::TensorType* t) {
    TensorType out;
    if (!t) return out;
    LEDGE_TRY(charge(4));
    out.dtype = static_cast<DType>(t->dtype());
    if (out.dtype != DType::kUndefined && !dtype_is_storable(out.dtype))
      return invalid_model("value type has unknown element type " + std::to_string(t->dtype()));
    if (t->has_shape()) {
      LEDGE_ASSIGN(out.shape, scalars(t->shape()));
      for (int64_t d : *out.shape)
        if (d < -1) return invalid_model("value type has dimension " + std::to_string(d));
    }
    return out;
  }

  Expected<ValueInfo> value_info(const fb::ValueInfo* v) {
    LEDGE_TRY(charge(4));
    ValueInfo out;
    LEDGE_ASSIGN(out.name, checked_str(v->name()));
    LEDGE_ASSIGN(out.type, type(v->type()));
    LEDGE_ASSIGN(out.dim_names, strings(v->dim_names()));
    return out;
  }

  Expected<std::shared_ptr<Graph>> subgraph(const fb::Graph* g) {
    if (!g) return invalid_model("subgraph attribute without a graph");
    auto out = std::make_shared<Graph>();
    LEDGE_TRY(graph(*g, *out));
    return out;
  }

  Expected<AttributeValue> attribute(const fb::Attribute& a) {
    using K = fb::AttributeKind;
    switch (a.kind()) {
      case K::Int:
        return AttributeValue(a.i());
      case K::Float:
        return AttributeValue(a.f());
      case K::String: {
        LEDGE_ASSIGN(std::string s, checked_str(a.s()));
        return AttributeValue(std::move(s));
      }
      case K::Tensor: {
        if (!a.t()) return invalid_model("tensor attribute without a tensor");
        LEDGE_ASSIGN(Tensor t, tensor(a.t()));
        return AttributeValue(std::move(t));
      }
      case K::Graph: {
        LEDGE_ASSIGN(auto g, subgraph(a.g()));
        return AttributeValue(std::move(g));
      }
      case K::Ints: {
        LEDGE_ASSIGN(auto v, scalars(a.ints()));
        return AttributeValue(std::move(v));
      }
      case K::Floats: {
        LEDGE_ASSIGN(auto v, scalars(a.floats()));
        return AttributeValue(std::move(v));
      }
      case K::Strings: {
        LEDGE_ASSIGN(auto v, strings(a.strings()));
        return AttributeValue(std::move(v));
      }
      case K::Tensors: {
        std::vector<Tensor> ts;
        if (a.tensors())
          for (const auto* t : *a.tensors()) {
            LEDGE_ASSIGN(Tensor x, tensor(t));
            ts.push_back(std::move(x));
          }
        return AttributeValue(std::move(ts));
      }
      case K::Graphs: {
        std::vector<std::shared_ptr<Graph>> gs;
        if (a.graphs())
          for (const auto* g : *a.graphs()) {
            LEDGE_ASSIGN(auto x, subgraph(g));
            gs.push_back(std::move(x));
          }
        return AttributeValue(std::move(gs));
      }
    }
    return invalid_model("attribute of unknown kind " + std::to_string(static_cast<int>(a.kind())));
  }

  Expected<Node> node(const fb::Node& n) {
    LEDGE_TRY(charge(4));
    Node out;
    LEDGE_ASSIGN(out.name, checked_str(n.name()));
    LEDGE_ASSIGN(out.op_type, checked_str(n.op_type()));
    LEDGE_ASSIGN(out.domain, checked_str(n.domain()));
    LEDGE_ASSIGN(out.inputs, strings(n.inputs()));
    LEDGE_ASSIGN(out.outputs, strings(n.outputs()));
    if (n.attributes())
      for (const auto* a : *n.attributes()) {
        LEDGE_TRY(charge(4));
        LEDGE_ASSIGN(std::string name, checked_str(a->name()));
        auto v = attribute(*a);
        if (!v)
          return std::move(v).error().with_context("node " + out.label() + ", attribute '" + name +
                                                   "'");
        if (!out.attributes.emplace(name, std::move(*v)).second)
          return invalid_model("node " + out.label() + " has attribute '" + name + "' twice");
      }
    return out;
  }

  Status graph(const fb::Graph& g, Graph& out) {
    LEDGE_TRY(charge(4));
    LEDGE_ASSIGN(out.name, checked_str(g.name()));
    if (g.inputs())
      for (const auto* v : *g.inputs()) {
        LEDGE_ASSIGN(ValueInfo x, value_info(v));
        out.inputs.push_back(std::move(x));
      }
    if (g.outputs())
      for (const auto* v : *g.outputs()) {
        LEDGE_ASSIGN(ValueInfo x, value_info(v));
        out.outputs.push_back(std::move(x));
      }
    if (g.initializers())
      for (const auto* init : *g.initializers()) {
        LEDGE_TRY(charge(4));
        LEDGE_ASSIGN(std::string name, checked_str(init->name()));
        auto t = tensor(init->tensor());
        if (!t) return std::move(t).error().with_context("initializer '" + name + "'");
        if (!out.initializers.emplace(name, std::move(*t)).second)
          return invalid_model("initializer '" + name + "' is stored twice");
      }
    if (g.nodes()) {
      out.nodes.reserve(g.nodes()->size());
      for (const auto* n : *g.nodes()) {
        LEDGE_ASSIGN(Node x, node(*n));
        out.nodes.push_back(std::move(x));
      }
    }
    if (g.value_types())
      for (const auto* v : *g.value_types()) {
        LEDGE_TRY(charge(4));
        LEDGE_ASSIGN(std::string name, checked_str(v->name()));
        LEDGE_ASSIGN(TensorType t, type(v->type()));
        if (!out.value_types.emplace(name, std::move(t)).second)
          return invalid_model("value '" + name + "' has two types");
      }
    return Status();
  }
};

struct Sections {
  artifact::Header header;
  const uint8_t* payload;
  const uint8_t* data;
};

Expected<Sections> open_sections(const uint8_t* bytes, size_t size, bool check_sum) {
  LEDGE_ASSIGN(artifact::Header h, artifact::parse_header(bytes, size));
  if (reinterpret_cast<uintptr_t>(bytes) % artifact::kTensorAlignment != 0)
    return invalid_argument("artifact bytes must start at a 64-byte aligned address");
  if (check_sum) LEDGE_TRY(artifact::verify_checksum(h, bytes, size));
  const uint8_t* payload = bytes + h.payload_offset;
  LEDGE_TRY(verify_flatbuffer(payload, h.payload_size));
  return Sections{h, payload, bytes + h.data_offset};
}

void free_aligned(const void* p) { std::free(const_cast<void*>(p)); }

}  // namespace

Expected<std::shared_ptr<Model>> load_artifact_memory(const void* data, size_t size,
                                                      std::shared_ptr<const void> owner,
                                                      const LoadOptions& options) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  LEDGE_ASSIGN(Sections s, open_sections(bytes, size, options.verify_checksum));
  Reader reader(s.data, s.header.data_size, std::move(owner), s.header.payload_size);
  return reader.model(*fb::GetModel(s.payload));
}

Expected<std::shared_ptr<Model>> load_artifact_bytes(const void* data, size_t size,
                                                     const LoadOptions& options) {
  const size_t rounded = (size / artifact::kTensorAlignment + 1) * artifact::kTensorAlignment;
  void* copy = std::aligned_alloc(artifact::kTensorAlignment, rounded);
  if (!copy) return resource_limit("out of memory copying " + std::to_string(size) + " bytes");
  std::shared_ptr<const void> owner(copy, free_aligned);
  if (size) std::memcpy(copy, data, size);
  return load_artifact_memory(copy, size, std::move(owner), options);
}

Expected<std::shared_ptr<Model>> load_artifact(const std::string& path,
                                               const LoadOptions& options) {
  LEDGE_ASSIGN(auto file, artifact::MappedFile::open(path));
  const uint8_t* bytes = file->data();
  const size_t size = file->size();
  auto model = [&]() -> Expected<std::shared_ptr<Model>> {
    LEDGE_ASSIGN(Sections s, open_sections(bytes, size, options.verify_checksum));
    // The checksum read every page; what no tensor reads again need not stay resident.
    if (options.verify_checksum) FilePages::return_pages(s.data, s.header.data_size);
    Reader reader(s.data, s.header.data_size, std::move(file), s.header.payload_size, true);
    return reader.model(*fb::GetModel(s.payload));
  }();
  if (!model) return std::move(model).error().with_context(path);
  (*model)->source_path = path;
  return model;
}

bool is_artifact_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char magic[sizeof artifact::kMagic];
  const size_t n = std::fread(magic, 1, sizeof magic, f);
  std::fclose(f);
  return artifact::has_magic(magic, n);
}

Expected<ArtifactInfo> read_artifact_info(const std::string& path) {
  LEDGE_ASSIGN(auto file, artifact::MappedFile::open(path));
  auto sections = open_sections(file->data(), file->size(), false);
  if (!sections) return std::move(sections).error().with_context(path);
  const artifact::Header& h = sections->header;
  ArtifactInfo info;
  info.format_version = h.format_version;
  info.file_bytes = h.file_size;
  info.graph_bytes = h.payload_size;
  info.data_bytes = h.data_size;
  const fb::Model* m = fb::GetModel(sections->payload);
  if (m->metadata())
    for (const auto* kv : *m->metadata()) {
      const auto text = [](const fbs::String* s) {
        return s ? std::string(s->data(), s->size()) : std::string();
      };
      info.metadata[text(kv->key())] = text(kv->value());
    }
  return info;
}

}  // namespace ledge
