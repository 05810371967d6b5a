// Malformed .ledge files: each must fail with a specific error, none may crash (the sanitizer
// build and the artifact fuzzer check the "never crash" part more widely).
//
// Well-formed files with a bad field are crafted with the FlatBuffers API and sealed with a
// correct checksum, so that the check under test, not the checksum, rejects them; each
// family starts from a crafted file that loads, so a failure is caused by the one change.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "artifact/artifact.h"
#include "artifact/format.h"
#include "artifact/ledge_model_generated.h"
#include "core/file.h"

namespace ledge {
namespace {

namespace fbs = flatbuffers;

struct TensorSpec {
  int32_t dtype = 1;
  std::vector<int64_t> shape = {4};
  uint64_t offset = 0;
  uint64_t size = 16;
};

// A model whose only content is initializer "w" (also its output), described by `spec`,
// over a data section of `data`.
std::string craft(const TensorSpec& spec, std::string data = std::string(64, '\0')) {
  fbs::FlatBufferBuilder b;
  auto shape = b.CreateVector(spec.shape);
  auto tensor = fb::CreateTensor(b, spec.dtype, shape, spec.offset, spec.size);
  auto init = fb::CreateInitializer(b, b.CreateString("w"), tensor);
  auto out = fb::CreateValueInfo(b, b.CreateString("w"));
  auto inits = b.CreateVector(std::vector<fbs::Offset<fb::Initializer>>{init});
  auto outs = b.CreateVector(std::vector<fbs::Offset<fb::ValueInfo>>{out});
  auto graph = fb::CreateGraph(b, b.CreateString("g"), 0, outs, inits);
  auto opsets = b.CreateVector(
      std::vector<fbs::Offset<fb::OpsetImport>>{fb::CreateOpsetImport(b, b.CreateString(""), 17)});
  fb::FinishModelBuffer(b, fb::CreateModel(b, 8, opsets, 0, graph));
  return artifact::assemble(
      std::string_view(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()), data);
}

// A model with one node "n" reading "w" (a valid float32[4] initializer), whose node and
// attribute come from `make_node`.
std::string craft_node(
    const std::function<fbs::Offset<fb::Node>(fbs::FlatBufferBuilder&)>& make_node) {
  fbs::FlatBufferBuilder b;
  auto node = make_node(b);
  auto tensor = fb::CreateTensor(b, 1, b.CreateVector(std::vector<int64_t>{4}), 0, 16);
  auto init = fb::CreateInitializer(b, b.CreateString("w"), tensor);
  auto out = fb::CreateValueInfo(b, b.CreateString("y"));
  auto graph = fb::CreateGraph(b, b.CreateString("g"), 0,
                               b.CreateVector(std::vector<fbs::Offset<fb::ValueInfo>>{out}),
                               b.CreateVector(std::vector<fbs::Offset<fb::Initializer>>{init}),
                               b.CreateVector(std::vector<fbs::Offset<fb::Node>>{node}));
  fb::FinishModelBuffer(b, fb::CreateModel(b, 8, 0, 0, graph));
  return artifact::assemble(
      std::string_view(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize()),
      std::string(64, '\0'));
}

fbs::Offset<fb::Node> node_with(fbs::FlatBufferBuilder& b, fbs::Offset<fb::Attribute> attr,
                                const std::string& input = "w") {
  auto inputs = b.CreateVectorOfStrings({input});
  auto outputs = b.CreateVectorOfStrings({"y"});
  std::vector<fbs::Offset<fb::Attribute>> attrs;
  if (!attr.IsNull()) attrs.push_back(attr);
  return fb::CreateNode(b, b.CreateString("n"), b.CreateString("Op"), 0, inputs, outputs,
                        b.CreateVector(attrs));
}

// Overwrites a header field and stores a correct checksum again.
template <class T>
std::string with_field(std::string bytes, size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
  const uint32_t sum = artifact::compute_checksum(bytes.data(), bytes.size());
  std::memcpy(bytes.data() + artifact::kChecksumOffset, &sum, sizeof sum);
  return bytes;
}

Expected<std::shared_ptr<Model>> load(const std::string& bytes, bool verify = true) {
  LoadOptions options;
  options.verify_checksum = verify;
  return load_artifact_bytes(bytes.data(), bytes.size(), options);
}

// Fails with `code` and a message containing `text`.
void expect_error(const std::string& bytes, ErrorCode code, const std::string& text) {
  auto m = load(bytes);
  ASSERT_FALSE(m.ok()) << "expected an error containing: " << text;
  EXPECT_EQ(m.error().code(), code) << m.error().message();
  EXPECT_NE(m.error().message().find(text), std::string::npos) << m.error().message();
}

std::string valid_model_bytes() {
  Model m;
  m.opsets[""] = 17;
  m.graph.initializers["w"] = Tensor::from_vector<float>({1, 2, 3, 4}, {4});
  m.graph.initializers["b"] = Tensor::from_vector<bool>({true, false}, {2});
  ValueInfo out;
  out.name = "y";
  out.type.dtype = DType::kFloat32;
  m.graph.outputs.push_back(out);
  Node n;
  n.op_type = "Relu";
  n.inputs = {"w"};
  n.outputs = {"y"};
  n.attributes["alpha"] = 0.5f;
  m.graph.nodes.push_back(n);
  auto bytes = serialize_artifact(m);
  EXPECT_TRUE(bytes.ok());
  return *bytes;
}

TEST(ArtifactCorrupt, CraftedBaselinesLoad) {
  auto m = load(craft(TensorSpec{}));
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ((*m)->graph.initializers.at("w").shape(), (Shape{4}));
  auto n = load(craft_node([](fbs::FlatBufferBuilder& b) {
    return node_with(b, fb::CreateAttribute(b, b.CreateString("k"), fb::AttributeKind::Int, 3));
  }));
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(std::get<int64_t>((*n)->graph.nodes.at(0).attributes.at("k")), 3);
  ASSERT_TRUE(load(valid_model_bytes()).ok());
}

TEST(ArtifactCorrupt, EveryTruncationIsAnError) {
  const std::string bytes = valid_model_bytes();
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto m = load(bytes.substr(0, n), false);
    ASSERT_FALSE(m.ok()) << n;
    EXPECT_EQ(m.error().code(), ErrorCode::kInvalidModel) << n;
    EXPECT_NE(m.error().message().find("truncated"), std::string::npos)
        << n << ": " << m.error().message();
  }
  expect_error(bytes + "x", ErrorCode::kInvalidModel, "trailing bytes");
}

TEST(ArtifactCorrupt, EveryFlippedByteIsCaught) {
  const std::string bytes = valid_model_bytes();
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    auto m = load(bad);
    ASSERT_FALSE(m.ok()) << "byte " << i;
    // The header's fields have checks of their own; past them the checksum notices.
    if (i >= 56) {
      EXPECT_NE(m.error().message().find("checksum"), std::string::npos)
          << "byte " << i << ": " << m.error().message();
    }
    // Without the checksum the structure checks run on the flipped byte: no crash, and a
    // flipped weight may load (that is what the checksum is for).
    (void)load(bad, false);
  }
}

TEST(ArtifactCorrupt, HeaderErrorsAreNamed) {
  const std::string bytes = valid_model_bytes();
  std::string magic = bytes;
  magic[0] = 'X';
  expect_error(magic, ErrorCode::kInvalidModel, "not a .ledge artifact");
  expect_error(with_field<uint16_t>(bytes, 6, 3), ErrorCode::kUnsupported,
               "artifact format version 3, but this ledge reads format version 2");
  expect_error(with_field<uint16_t>(bytes, 6, 1), ErrorCode::kUnsupported,
               "artifact format version 1, but this ledge reads format version 2");
  expect_error(with_field<uint16_t>(bytes, 6, 0), ErrorCode::kUnsupported, "format version 0");
  expect_error(with_field<uint32_t>(bytes, 8, 1), ErrorCode::kUnsupported, "unknown flags");
  expect_error(with_field<uint32_t>(bytes, 12, 32), ErrorCode::kInvalidModel, "header size");
  expect_error(with_field<uint64_t>(bytes, 16, 0), ErrorCode::kInvalidModel, "payload offset");
  expect_error(with_field<uint64_t>(bytes, 16, 1u << 30), ErrorCode::kInvalidModel,
               "payload offset");
  expect_error(with_field<uint64_t>(bytes, 24, ~uint64_t{0}), ErrorCode::kInvalidModel,
               "payload size");
  expect_error(with_field<uint64_t>(bytes, 32, 100), ErrorCode::kInvalidModel, "data offset");
  expect_error(with_field<uint64_t>(bytes, 32, ~uint64_t{63}), ErrorCode::kInvalidModel,
               "data offset");
  expect_error(with_field<uint64_t>(bytes, 40, 0), ErrorCode::kInvalidModel, "data size");
  expect_error(with_field<uint64_t>(bytes, 48, bytes.size() + 64), ErrorCode::kInvalidModel,
               "truncated");
  std::string sum = bytes;
  sum[artifact::kChecksumOffset] ^= 1;
  expect_error(sum, ErrorCode::kInvalidModel, "checksum mismatch");
  // A payload that is not a ledge FlatBuffer, under a correct checksum.
  std::string garbage = bytes;
  for (size_t i = 64; i < 96; ++i) garbage[i] = static_cast<char>(i * 7);
  expect_error(with_field<uint32_t>(garbage, 56, 0), ErrorCode::kInvalidModel, "payload");
}

TEST(ArtifactCorrupt, TensorPlacesAreChecked) {
  expect_error(craft({1, {4}, 64, 16}), ErrorCode::kInvalidModel, "outside the data section");
  expect_error(craft({1, {4}, ~uint64_t{63}, 16}), ErrorCode::kInvalidModel,
               "outside the data section");
  expect_error(craft({1, {4}, 4, 16}), ErrorCode::kInvalidModel, "not 64-byte aligned");
  expect_error(craft({1, {4}, 0, 12}), ErrorCode::kInvalidModel, "declares 12 bytes, needs 16");
  expect_error(craft({1, {1 << 20}, 0, 4 << 20}), ErrorCode::kInvalidModel,
               "larger than the data section");
  expect_error(craft({1, {int64_t{1} << 62, int64_t{1} << 62}, 0, 0}), ErrorCode::kInvalidModel,
               "too many elements");
}

TEST(ArtifactCorrupt, ElementTypesAndShapesAreChecked) {
  expect_error(craft({8, {4}, 0, 16}), ErrorCode::kInvalidModel, "element type 8");
  expect_error(craft({99, {4}, 0, 16}), ErrorCode::kInvalidModel, "element type 99");
  expect_error(craft({-1, {4}, 0, 16}), ErrorCode::kInvalidModel, "element type -1");
  expect_error(craft({1, {-4}, 0, 16}), ErrorCode::kInvalidModel, "negative dimension");
  expect_error(craft({0, {4}, 0, 16}), ErrorCode::kInvalidModel, "undefined element type");
  std::string data(64, '\0');
  data[2] = 2;  // not a bool
  expect_error(craft({9, {4}, 0, 4}, data), ErrorCode::kInvalidModel, "bool");
}

TEST(ArtifactCorrupt, AttributesAndGraphsAreChecked) {
  expect_error(craft_node([](fbs::FlatBufferBuilder& b) {
                 return node_with(
                     b, fb::CreateAttribute(b, b.CreateString("t"), fb::AttributeKind::Tensor));
               }),
               ErrorCode::kInvalidModel, "tensor attribute without a tensor");
  expect_error(craft_node([](fbs::FlatBufferBuilder& b) {
                 return node_with(
                     b, fb::CreateAttribute(b, b.CreateString("g"), fb::AttributeKind::Graph));
               }),
               ErrorCode::kInvalidModel, "subgraph attribute without a graph");
  expect_error(craft_node([](fbs::FlatBufferBuilder& b) {
                 return node_with(b, fb::CreateAttribute(b, b.CreateString("x"),
                                                         static_cast<fb::AttributeKind>(42)));
               }),
               ErrorCode::kInvalidModel, "unknown kind 42");
  expect_error(craft_node([](fbs::FlatBufferBuilder& b) {
                 return node_with(b, fbs::Offset<fb::Attribute>(), "nowhere");
               }),
               ErrorCode::kInvalidModel, "reads 'nowhere', which is not defined");
  // Two attributes of the same name.
  expect_error(craft_node([](fbs::FlatBufferBuilder& b) {
                 auto a = fb::CreateAttribute(b, b.CreateString("k"), fb::AttributeKind::Int, 1);
                 auto c = fb::CreateAttribute(b, b.CreateString("k"), fb::AttributeKind::Int, 2);
                 return fb::CreateNode(
                     b, b.CreateString("n"), b.CreateString("Op"), 0,
                     b.CreateVectorOfStrings({"w"}), b.CreateVectorOfStrings({"y"}),
                     b.CreateVector(std::vector<fbs::Offset<fb::Attribute>>{a, c}));
               }),
               ErrorCode::kInvalidModel, "attribute 'k' twice");
}

// A FlatBuffer may point many times at one table or string; loading copies each reference,
// so a small file could ask for gigabytes. The loader stops at what the payload could hold.
TEST(ArtifactCorrupt, SharedReferencesCannotMultiplyTheWork) {
  expect_error(craft_node([](fbs::FlatBufferBuilder& b) {
                 auto big = b.CreateString(std::string(4096, 'w'));
                 std::vector<fbs::Offset<fbs::String>> many(20000, big);
                 auto strings = b.CreateVector(many);
                 auto a = fb::CreateAttribute(b, b.CreateString("s"), fb::AttributeKind::Strings, 0,
                                              0, 0, 0, 0, 0, 0, strings);
                 return node_with(b, a);
               }),
               ErrorCode::kInvalidModel, "larger than its payload");
}

// Artifacts the fuzzer once found undefined behaviour in (tests/fuzz_regressions/*.ledge),
// loaded as the fuzzer does, without the checksum: each must fail cleanly.
TEST(ArtifactCorrupt, FuzzRegressionsFailCleanly) {
  int seen = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(LEDGE_SOURCE_DIR) +
                                                           "/tests/fuzz_regressions")) {
    if (e.path().extension() != ".ledge") continue;
    auto bytes = read_file(e.path().string());
    ASSERT_TRUE(bytes.ok());
    auto m = load(*bytes, false);
    EXPECT_FALSE(m.ok()) << e.path();
    ++seen;
  }
  EXPECT_GE(seen, 1);
}

TEST(ArtifactCorrupt, FileErrors) {
  auto missing = load_artifact("/nonexistent/model.ledge");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIo);
  auto folder = load_artifact("/");
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.error().code(), ErrorCode::kIo);
  // Memory that is not 64-byte aligned would misalign every tensor.
  const std::string bytes = valid_model_bytes();
  std::string shifted(bytes.size() + 65, '\0');
  char* p = shifted.data() + (64 - reinterpret_cast<uintptr_t>(shifted.data()) % 64) + 1;
  std::memcpy(p, bytes.data(), bytes.size());
  auto m = load_artifact_memory(p, bytes.size(), nullptr);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ledge
