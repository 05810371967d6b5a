// The .ledge artifact: round trips of the whole IR, weights served from the mapping without
// copies, and the same outputs as the ONNX model. Malformed files: artifact_corrupt_test.cpp.
#include "artifact/artifact.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>

#include "../common/temp_dir.h"
#include "artifact/crc32.h"
#include "core/file.h"
#include "io/npy.h"
#include "lower/lower.h"
#include "onnx/import.h"
#include "runtime/session.h"

namespace ledge {
namespace {

namespace fs = std::filesystem;

const std::string kExample = std::string(LEDGE_SOURCE_DIR) + "/examples/fashion_mnist/";
const std::string kNodeTests = "/usr/share/libonnx-testdata/data/node/";

using testing::TempDir;

// Deterministic bytes that are valid for the element type (bool holds only 0 and 1).
Tensor patterned(DType dtype, Shape shape, int seed) {
  auto t = Tensor::make(dtype, std::move(shape));
  EXPECT_TRUE(t.ok());
  auto* p = static_cast<uint8_t*>(t->raw());
  for (size_t i = 0; i < t->nbytes(); ++i)
    p[i] = dtype == DType::kBool ? static_cast<uint8_t>((i + static_cast<size_t>(seed)) % 2)
                                 : static_cast<uint8_t>(i * 37 + static_cast<size_t>(seed) * 11);
  return std::move(t).value();
}

ValueInfo value(const std::string& name, DType dtype, std::optional<Shape> shape,
                std::vector<std::string> dim_names = {}) {
  ValueInfo v;
  v.name = name;
  v.type.dtype = dtype;
  v.type.shape = std::move(shape);
  v.dim_names = std::move(dim_names);
  return v;
}

Node node(const std::string& name, const std::string& op, std::vector<std::string> inputs,
          std::vector<std::string> outputs) {
  Node n;
  n.name = name;
  n.op_type = op;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  return n;
}

// A body that reads the outer value "x" and holds a nested subgraph of its own.
std::shared_ptr<Graph> subgraph(const std::string& name, int depth) {
  auto g = std::make_shared<Graph>();
  g->name = name;
  g->inputs.push_back(value("a", DType::kFloat32, Shape{1}));
  g->initializers["sub_w"] = patterned(DType::kInt32, {2}, depth);
  Node n = node("", "Add", {"a", "x"}, {"b"});
  if (depth > 0) n.attributes["then_branch"] = subgraph(name + "_inner", depth - 1);
  g->nodes.push_back(std::move(n));
  g->outputs.push_back(value("b", DType::kFloat32, std::nullopt));
  return g;
}

const DType kAllTypes[] = {DType::kFloat32, DType::kUInt8,   DType::kInt8,   DType::kUInt16,
                           DType::kInt16,   DType::kInt32,   DType::kInt64,  DType::kBool,
                           DType::kFloat16, DType::kFloat64, DType::kUInt32, DType::kUInt64,
                           DType::kBFloat16};

// Every attribute type (including empty lists, which only the kind tells apart), every
// element type, unknown dimensions and ranks, symbolic dimensions, nested subgraphs.
Model everything_model() {
  Model m;
  m.ir_version = 8;
  m.opsets = {{"", 17}, {"com.example", 3}};
  m.producer = "artifact_test";
  Graph& g = m.graph;
  g.name = "main";
  g.inputs.push_back(value("x", DType::kFloat32, Shape{-1, 3}, {"batch", ""}));
  g.inputs.push_back(value("y", DType::kInt64, std::nullopt));
  g.inputs.push_back(value("z", DType::kUndefined, Shape{}));
  int seed = 0;
  for (DType d : kAllTypes)
    g.initializers["w_" + std::string(dtype_name(d))] = patterned(d, {2, 3}, ++seed);
  g.initializers["scalar"] = patterned(DType::kFloat64, {}, 7);
  g.initializers["empty"] = patterned(DType::kFloat32, {0, 4}, 0);

  Node n = node("all_attributes", "AllAttributes", {"x", "", "w_float32"}, {"h", ""});
  n.domain = "com.example";
  n.attributes["i"] = int64_t{-5};
  n.attributes["f"] = 1.5f;
  n.attributes["s"] = std::string("a\0b\xff", 4);
  n.attributes["t"] = patterned(DType::kFloat16, {3}, 9);
  n.attributes["g"] = subgraph("body", 2);
  n.attributes["ints"] = std::vector<int64_t>{1, -2, INT64_MAX};
  n.attributes["floats"] = std::vector<float>{0.5f, -1.0f};
  n.attributes["strings"] = std::vector<std::string>{"", "two"};
  n.attributes["tensors"] = std::vector<Tensor>{patterned(DType::kInt8, {2, 2}, 3),
                                                patterned(DType::kBool, {5}, 1), Tensor()};
  n.attributes["graphs"] =
      std::vector<std::shared_ptr<Graph>>{subgraph("first", 0), subgraph("second", 1)};
  n.attributes["no_ints"] = std::vector<int64_t>{};
  n.attributes["no_floats"] = std::vector<float>{};
  n.attributes["no_strings"] = std::vector<std::string>{};
  n.attributes["no_tensors"] = std::vector<Tensor>{};
  n.attributes["no_graphs"] = std::vector<std::shared_ptr<Graph>>{};
  g.nodes.push_back(std::move(n));
  g.nodes.push_back(node("", "Identity", {"h"}, {"out"}));
  g.outputs.push_back(value("out", DType::kFloat32, Shape{-1, 3}, {"batch", ""}));
  g.value_types["h"] = TensorType{DType::kFloat32, Shape{-1, 3}};
  g.value_types["unknown"] = TensorType{};
  return m;
}

// ---- deep comparison of models ----

void expect_same_tensor(const Tensor& a, const Tensor& b, const std::string& where) {
  ASSERT_EQ(a.dtype(), b.dtype()) << where;
  ASSERT_EQ(a.shape(), b.shape()) << where;
  ASSERT_EQ(a.nbytes(), b.nbytes()) << where;
  if (a.nbytes()) {
    EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0) << where;
  }
}

void expect_same_type(const TensorType& a, const TensorType& b, const std::string& where) {
  EXPECT_EQ(a.dtype, b.dtype) << where;
  EXPECT_EQ(a.shape, b.shape) << where;
}

void expect_same_values(const std::vector<ValueInfo>& a, const std::vector<ValueInfo>& b,
                        const std::string& where) {
  ASSERT_EQ(a.size(), b.size()) << where;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name) << where;
    expect_same_type(a[i].type, b[i].type, where + " " + a[i].name);
    EXPECT_EQ(a[i].dim_names, b[i].dim_names) << where;
  }
}

void expect_same_graph(const Graph& a, const Graph& b, const std::string& where);

void expect_same_attribute(const AttributeValue& a, const AttributeValue& b,
                           const std::string& where) {
  ASSERT_EQ(a.index(), b.index()) << where;
  if (auto* t = std::get_if<Tensor>(&a)) {
    expect_same_tensor(*t, std::get<Tensor>(b), where);
  } else if (auto* g = std::get_if<std::shared_ptr<Graph>>(&a)) {
    expect_same_graph(**g, *std::get<std::shared_ptr<Graph>>(b), where);
  } else if (auto* ts = std::get_if<std::vector<Tensor>>(&a)) {
    const auto& other = std::get<std::vector<Tensor>>(b);
    ASSERT_EQ(ts->size(), other.size()) << where;
    for (size_t i = 0; i < ts->size(); ++i) expect_same_tensor((*ts)[i], other[i], where);
  } else if (auto* gs = std::get_if<std::vector<std::shared_ptr<Graph>>>(&a)) {
    const auto& other = std::get<std::vector<std::shared_ptr<Graph>>>(b);
    ASSERT_EQ(gs->size(), other.size()) << where;
    for (size_t i = 0; i < gs->size(); ++i) expect_same_graph(*(*gs)[i], *other[i], where);
  } else {
    std::visit(  // scalars, strings and lists of them
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, float> ||
                        std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<int64_t>> ||
                        std::is_same_v<T, std::vector<float>> ||
                        std::is_same_v<T, std::vector<std::string>>) {
            EXPECT_TRUE(x == std::get<T>(b)) << where;
          }
        },
        a);
  }
}

void expect_same_graph(const Graph& a, const Graph& b, const std::string& where) {
  const std::string here = where + "/" + a.name;
  EXPECT_EQ(a.name, b.name) << here;
  expect_same_values(a.inputs, b.inputs, here + " inputs");
  expect_same_values(a.outputs, b.outputs, here + " outputs");
  ASSERT_EQ(a.initializers.size(), b.initializers.size()) << here;
  for (const auto& [name, t] : a.initializers) {
    ASSERT_TRUE(b.initializers.count(name)) << here << " " << name;
    expect_same_tensor(t, b.initializers.at(name), here + " initializer " + name);
  }
  ASSERT_EQ(a.nodes.size(), b.nodes.size()) << here;
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const Node &x = a.nodes[i], &y = b.nodes[i];
    EXPECT_EQ(x.name, y.name) << here;
    EXPECT_EQ(x.op_type, y.op_type) << here;
    EXPECT_EQ(x.domain, y.domain) << here;
    EXPECT_EQ(x.inputs, y.inputs) << here;
    EXPECT_EQ(x.outputs, y.outputs) << here;
    ASSERT_EQ(x.attributes.size(), y.attributes.size()) << here << " " << x.label();
    for (const auto& [name, v] : x.attributes) {
      ASSERT_TRUE(y.attributes.count(name)) << here << " " << name;
      expect_same_attribute(v, y.attributes.at(name), here + " " + x.label() + " " + name);
    }
  }
  ASSERT_EQ(a.value_types.size(), b.value_types.size()) << here;
  for (const auto& [name, t] : a.value_types) {
    ASSERT_TRUE(b.value_types.count(name)) << here << " " << name;
    expect_same_type(t, b.value_types.at(name), here + " value " + name);
  }
}

void expect_same_model(const Model& a, const Model& b) {
  EXPECT_EQ(a.ir_version, b.ir_version);
  EXPECT_EQ(a.opsets, b.opsets);
  EXPECT_EQ(a.producer, b.producer);
  expect_same_graph(a.graph, b.graph, "");
}

// ---- where a pointer lives: /proc/self/maps ----

struct Mapping {
  uintptr_t start = 0, end = 0;
  uint64_t file_offset = 0;
  std::string perms, path;
};

std::optional<Mapping> mapping_of(const void* p) {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, dev, inode;
    Mapping m;
    in >> range >> m.perms >> std::hex >> m.file_offset >> dev >> inode;
    std::getline(in >> std::ws, m.path);
    m.start = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    m.end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    if (addr >= m.start && addr < m.end) return m;
  }
  return std::nullopt;
}

// ---- tests ----

TEST(Artifact, RoundTripsEveryAttributeTypeElementTypeAndSubgraph) {
  const Model original = everything_model();
  auto bytes = serialize_artifact(original);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message();
  auto loaded = load_artifact_bytes(bytes->data(), bytes->size());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  expect_same_model(original, **loaded);
  // Written again, the loaded model gives the same bytes: nothing was lost or reordered.
  auto again = serialize_artifact(**loaded);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == *bytes);
}

TEST(Artifact, RoundTripsThroughAFileWithMetadata) {
  TempDir dir;
  const std::string path = dir.file("model.ledge");
  WriteOptions options;
  options.metadata["source"] = "model.onnx";
  const Model original = everything_model();
  ASSERT_TRUE(write_artifact(original, path, options).ok());
  EXPECT_TRUE(is_artifact_file(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  auto loaded = load_artifact(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  expect_same_model(original, **loaded);
  EXPECT_EQ((*loaded)->source_path, path);

  auto info = read_artifact_info(path);
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ(info->format_version, 2u);
  EXPECT_EQ(info->file_bytes, fs::file_size(path));
  EXPECT_EQ(info->metadata.at("source"), "model.onnx");
  EXPECT_EQ(info->data_bytes % 64, 0u);
  EXPECT_EQ(64 + info->graph_bytes <= info->file_bytes - info->data_bytes, true);
}

TEST(Artifact, TellsArtifactsFromOtherFiles) {
  EXPECT_FALSE(is_artifact_file(kExample + "model.onnx"));
  EXPECT_FALSE(is_artifact_file(kExample + "no_such_file"));
}

TEST(Artifact, InitializersPointIntoTheMappedFileWithoutCopies) {
  auto onnx = import_onnx_file(kExample + "model.onnx");
  ASSERT_TRUE(onnx.ok()) << onnx.error().message();
  TempDir dir;
  const std::string path = dir.file("example.ledge");
  ASSERT_TRUE(write_artifact(**onnx, path).ok());
  auto file = read_file(path);
  ASSERT_TRUE(file.ok());
  auto model = load_artifact(path);
  ASSERT_TRUE(model.ok()) << model.error().message();
  ASSERT_FALSE((*model)->graph.initializers.empty());
  for (const auto& [name, t] : (*model)->graph.initializers) {
    ASSERT_GT(t.nbytes(), 0u) << name;
    auto m = mapping_of(t.raw());
    ASSERT_TRUE(m.has_value()) << name;
    EXPECT_EQ(fs::path(m->path), fs::canonical(path)) << name;
    EXPECT_EQ(m->perms, "r--p") << name << ": weights must be a read-only private mapping";
    EXPECT_LE(reinterpret_cast<uintptr_t>(t.raw()) + t.nbytes(), m->end) << name;
    const uint64_t offset = reinterpret_cast<uintptr_t>(t.raw()) - m->start + m->file_offset;
    EXPECT_EQ(offset % 64, 0u) << name;
    ASSERT_LE(offset + t.nbytes(), file->size());
    EXPECT_EQ(std::memcmp(file->data() + offset, t.raw(), t.nbytes()), 0) << name;
    expect_same_tensor(t, (*onnx)->graph.initializers.at(name), name);
  }
}

TEST(Artifact, TensorsKeepTheMappingAlive) {
  TempDir dir;
  const std::string path = dir.file("model.ledge");
  ASSERT_TRUE(write_artifact(everything_model(), path).ok());
  auto model = load_artifact(path);
  ASSERT_TRUE(model.ok());
  Tensor kept = (*model)->graph.initializers.at("w_int64");
  const std::vector<uint8_t> bytes(static_cast<const uint8_t*>(kept.raw()),
                                   static_cast<const uint8_t*>(kept.raw()) + kept.nbytes());
  const void* where = kept.raw();
  model = invalid_argument("dropped");  // releases the model
  ASSERT_TRUE(mapping_of(where).has_value());
  EXPECT_EQ(std::memcmp(kept.raw(), bytes.data(), bytes.size()), 0);
  kept = Tensor();  // the last owner: the file is unmapped
  auto after = mapping_of(where);
  EXPECT_TRUE(!after.has_value() || fs::path(after->path) != fs::canonical(path));
}

TEST(Artifact, SharedStorageIsWrittenOnce) {
  Model m;
  m.opsets[""] = 17;
  const Tensor w = patterned(DType::kFloat32, {256}, 1);
  m.graph.initializers["a"] = w;
  m.graph.initializers["b"] = w;  // the same storage under two names (tied weights)
  m.graph.initializers["c"] = patterned(DType::kFloat32, {256}, 2);
  m.graph.outputs.push_back(value("a", DType::kFloat32, Shape{256}));
  auto bytes = serialize_artifact(m);
  ASSERT_TRUE(bytes.ok());
  auto loaded = load_artifact_bytes(bytes->data(), bytes->size());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  const auto& inits = (*loaded)->graph.initializers;
  EXPECT_EQ(inits.at("a").raw(), inits.at("b").raw());
  EXPECT_NE(inits.at("a").raw(), inits.at("c").raw());
  expect_same_tensor(inits.at("b"), w, "b");
}

TEST(Artifact, LoadsFromMemoryWithoutCopying) {
  auto bytes = serialize_artifact(everything_model());
  ASSERT_TRUE(bytes.ok());
  void* buffer = std::aligned_alloc(64, (bytes->size() + 63) / 64 * 64);
  ASSERT_NE(buffer, nullptr);
  std::memcpy(buffer, bytes->data(), bytes->size());
  std::shared_ptr<const void> owner(buffer, [](const void* p) { std::free(const_cast<void*>(p)); });
  auto model = load_artifact_memory(buffer, bytes->size(), owner);
  ASSERT_TRUE(model.ok()) << model.error().message();
  const auto* begin = static_cast<const uint8_t*>(buffer);
  for (const auto& [name, t] : (*model)->graph.initializers) {
    const auto* p = static_cast<const uint8_t*>(t.raw());
    EXPECT_TRUE(p >= begin && p + t.nbytes() <= begin + bytes->size()) << name;
  }
  EXPECT_GT(owner.use_count(), 1);  // the model's tensors share the buffer's ownership
}

TEST(Artifact, RefusesModelsItCannotHold) {
  Model m = everything_model();
  m.graph.nodes[0].attributes["g"] = std::shared_ptr<Graph>();
  auto bytes = serialize_artifact(m);
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.error().message().find("attribute 'g'"), std::string::npos)
      << bytes.error().message();
  TempDir dir;
  EXPECT_EQ(write_artifact(everything_model(), dir.file("missing/folder/m.ledge")).error().code(),
            ErrorCode::kIo);
}

// ---- the same outputs as the ONNX model ----

std::vector<Tensor> run(std::shared_ptr<Model> model, const std::map<std::string, Tensor>& feeds) {
  auto session = Session::create(std::move(model));
  EXPECT_TRUE(session.ok()) << session.error().message();
  if (!session) return {};
  auto out = (*session)->run(feeds);
  EXPECT_TRUE(out.ok()) << out.error().message();
  return out ? *out : std::vector<Tensor>();
}

void expect_same_outputs(const std::string& onnx_path, const std::map<std::string, Tensor>& feeds) {
  auto onnx = import_onnx_file(onnx_path);
  ASSERT_TRUE(onnx.ok()) << onnx.error().message();
  TempDir dir;
  const std::string path = dir.file("model.ledge");
  ASSERT_TRUE(write_artifact(**onnx, path).ok());
  auto artifact = load_artifact(path);
  ASSERT_TRUE(artifact.ok()) << artifact.error().message();
  const auto want = run(*onnx, feeds);
  const auto got = run(*artifact, feeds);
  ASSERT_FALSE(want.empty()) << onnx_path;
  ASSERT_EQ(got.size(), want.size()) << onnx_path;
  for (size_t i = 0; i < want.size(); ++i)
    expect_same_tensor(got[i], want[i], onnx_path + " output " + std::to_string(i));
}

TEST(Artifact, ExampleModelGivesTheOnnxOutputs) {
  auto image = read_npy(kExample + "sample_0.npy");
  ASSERT_TRUE(image.ok());
  expect_same_outputs(kExample + "model.onnx", {{"image", *image}});
}

// Conformance models with subgraphs (If, Loop, Scan), constants in attributes, float16.
TEST(Artifact, ConformanceModelsGiveTheOnnxOutputs) {
  for (const char* test : {"test_if", "test_loop11", "test_scan9_sum", "test_constant",
                           "test_cast_FLOAT_to_FLOAT16", "test_conv_with_strides_padding"}) {
    const std::string dir = kNodeTests + test;
    if (!fs::exists(dir)) GTEST_SKIP() << "no ONNX test data (libonnx-testdata)";
    auto onnx = import_onnx_file(dir + "/model.onnx");
    ASSERT_TRUE(onnx.ok()) << onnx.error().message();
    std::vector<std::string> names;
    for (const auto& in : (*onnx)->graph.inputs)
      if (!(*onnx)->graph.initializers.count(in.name)) names.push_back(in.name);
    std::map<std::string, Tensor> feeds;
    for (size_t i = 0; i < names.size(); ++i) {
      auto t = read_tensor_pb(dir + "/test_data_set_0/input_" + std::to_string(i) + ".pb");
      ASSERT_TRUE(t.ok()) << t.error().message();
      feeds[names[i]] = *t;
    }
    SCOPED_TRACE(test);
    expect_same_outputs(dir + "/model.onnx", feeds);
  }
}

}  // namespace
}  // namespace ledge

namespace ledge {
namespace {

bool has_plain_conv(const Graph& g) {
  for (const Node& n : g.nodes)
    if (n.domain.empty() && n.op_type == "Conv") return true;
  return false;
}

// `ledge compile` stores a prepared graph (passes and lowering done): the artifact says so, and
// a session over it does not prepare it again, with the ONNX model's outputs.
TEST(Artifact, PreparedGraphsAreMarkedAndNotPreparedAgain) {
  auto onnx = import_onnx_file(kExample + "model.onnx");
  ASSERT_TRUE(onnx.ok()) << onnx.error().message();
  auto image = read_npy(kExample + "sample_0.npy");
  ASSERT_TRUE(image.ok());
  auto prepared = std::make_shared<Model>(**onnx);
  ASSERT_TRUE(prepare_for_cpu(*prepared).ok());
  EXPECT_TRUE(prepared->prepared_for_cpu);
  EXPECT_FALSE((*onnx)->prepared_for_cpu);

  TempDir dir;
  ASSERT_TRUE(write_artifact(*prepared, dir.file("prepared.ledge")).ok());
  ASSERT_TRUE(write_artifact(**onnx, dir.file("plain.ledge")).ok());
  auto loaded = load_artifact(dir.file("prepared.ledge"));
  auto plain = load_artifact(dir.file("plain.ledge"));
  ASSERT_TRUE(loaded.ok() && plain.ok());
  EXPECT_TRUE((*loaded)->prepared_for_cpu);
  EXPECT_FALSE((*plain)->prepared_for_cpu);
  auto info = read_artifact_info(dir.file("prepared.ledge"));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->metadata[std::string(kPreparedKey)], "cpu");

  const auto want = run(*onnx, {{"image", *image}});
  const auto got = run(*loaded, {{"image", *image}});
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) expect_same_tensor(got[i], want[i], "prepared");

  // The flag is what the session goes by: on a graph that was never lowered it leaves the
  // plain Conv nodes alone (reference kernels); without it they are lowered.
  auto marked = std::make_shared<Model>(**onnx);
  marked->prepared_for_cpu = true;
  auto skipped = Session::create(marked);
  auto lowered = Session::create(std::make_shared<Model>(**onnx));
  ASSERT_TRUE(skipped.ok() && lowered.ok());
  EXPECT_TRUE(has_plain_conv((*skipped)->model().graph));
  EXPECT_FALSE(has_plain_conv((*lowered)->model().graph));
}

}  // namespace
}  // namespace ledge

namespace ledge::artifact {
namespace {

// The checksum's fast path (PCLMULQDQ folding on x86-64) against zlib's crc32: every length
// up to a few blocks, unaligned starts, running values other than 0, and one long buffer.
TEST(ArtifactChecksum, FastCrcEqualsZlibForEveryLengthAndStart) {
  std::mt19937 rng(5);
  std::vector<uint8_t> buf(3 << 20);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t n = 0; n < 700; ++n)
    for (uint32_t start : {0u, 0xdeadbeefu})
      ASSERT_EQ(crc32_update(start, buf.data() + n % 13, n),
                crc32_reference(start, buf.data() + n % 13, n))
          << n << " bytes from " << start;
  EXPECT_EQ(crc32_update(0, buf.data() + 3, buf.size() - 3),
            crc32_reference(0, buf.data() + 3, buf.size() - 3));
}

}  // namespace
}  // namespace ledge::artifact
