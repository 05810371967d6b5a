// Bad input gets a clear error, never a crash: malformed models, inputs and files.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <random>

#include "core/file.h"
#include "onnx/import.h"
#include "runtime/session.h"

namespace ledge {
namespace {

namespace fs = std::filesystem;

// A model with one float input "x" [2,3] and the given nodes; outputs are named by caller.
onnx::ModelProto base_model(const std::vector<std::string>& outputs) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(2);
  tt->mutable_shape()->add_dim()->set_dim_value(3);
  for (const auto& o : outputs) g->add_output()->set_name(o);
  return m;
}

void add_node(onnx::ModelProto& m, const std::string& op, std::vector<std::string> ins,
              std::vector<std::string> outs) {
  auto* n = m.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + outs[0]);
  for (auto& i : ins) n->add_input(i);
  for (auto& o : outs) n->add_output(o);
}

Expected<std::shared_ptr<Model>> import(const onnx::ModelProto& m, const std::string& dir = "") {
  std::string bytes;
  m.SerializeToString(&bytes);
  return import_onnx_bytes(bytes.data(), bytes.size(), dir);
}

TEST(BadInput, GarbageIsNotAModel) {
  const std::string junk = "this is not a protobuf \xff\xff\xff\xff";
  auto m = import_onnx_bytes(junk.data(), junk.size(), "");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code(), ErrorCode::kInvalidModel);
}

TEST(BadInput, CycleIsNamed) {
  auto m = base_model({"a"});
  add_node(m, "Relu", {"b"}, {"a"});
  add_node(m, "Relu", {"a"}, {"b"});
  auto r = import(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("cycle"), std::string::npos) << r.error().message();
}

TEST(BadInput, UndefinedInputIsNamed) {
  auto m = base_model({"y"});
  add_node(m, "Add", {"x", "W"}, {"y"});
  auto r = import(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("'W'"), std::string::npos) << r.error().message();
}

TEST(BadInput, UnknownOperatorIsUnsupported) {
  auto m = base_model({"y"});
  add_node(m, "NoSuchOp", {"x"}, {"y"});
  auto r = import(m);
  ASSERT_TRUE(r.ok());
  auto s = Session::create(*r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(s.error().message().find("NoSuchOp"), std::string::npos);
}

TEST(BadInput, AbsurdInitializerDimsFailCleanly) {
  auto m = base_model({"y"});
  auto* init = m.mutable_graph()->add_initializer();
  init->set_name("W");
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(1LL << 40);
  init->add_dims(1LL << 40);
  add_node(m, "Add", {"x", "W"}, {"y"});
  auto r = import(m);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kResourceLimit) << r.error().message();
}

// A tiny constant can describe a huge tensor; loading must not materialize it, and running
// must stop at the allocation limit with a clear error.
TEST(BadInput, HugeTensorFromTinyConstantFailsAtRunNotLoad) {
  auto m = base_model({"y"});
  auto* shape = m.mutable_graph()->add_initializer();
  shape->set_name("shape");
  shape->set_data_type(onnx::TensorProto::INT64);
  shape->add_dims(2);
  shape->add_int64_data(1000000);
  shape->add_int64_data(1000000);
  add_node(m, "ConstantOfShape", {"shape"}, {"y"});
  auto r = import(m);
  ASSERT_TRUE(r.ok()) << r.error().message();
  auto s = Session::create(*r);
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto x = Tensor::make(DType::kFloat32, {2, 3});
  auto out = (*s)->run({{"x", *x}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::kResourceLimit) << out.error().message();
}

TEST(BadInput, RawDataSizeMismatch) {
  auto m = base_model({"y"});
  auto* init = m.mutable_graph()->add_initializer();
  init->set_name("W");
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(3);
  init->set_raw_data(std::string(5, '\0'));
  add_node(m, "Add", {"x", "W"}, {"y"});
  auto r = import(m);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("raw_data"), std::string::npos) << r.error().message();
}

TEST(BadInput, ExternalDataCannotLeaveTheModelFolder) {
  auto m = base_model({"y"});
  auto* init = m.mutable_graph()->add_initializer();
  init->set_name("W");
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(3);
  init->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = init->add_external_data();
  kv->set_key("location");
  kv->set_value("../../etc/passwd");
  add_node(m, "Add", {"x", "W"}, {"y"});
  auto r = import(m, fs::temp_directory_path().string());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("leaves"), std::string::npos) << r.error().message();
}

TEST(BadInput, ExternalDataIsRead) {
  const fs::path dir = fs::temp_directory_path() / "ledge_external";
  fs::create_directories(dir);
  const float w[3] = {1.f, 2.f, 3.f};
  ASSERT_TRUE(write_file((dir / "weights.bin").string(), w, sizeof w).ok());
  auto m = base_model({"y"});
  auto* init = m.mutable_graph()->add_initializer();
  init->set_name("W");
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(3);
  init->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = init->add_external_data();
  kv->set_key("location");
  kv->set_value("weights.bin");
  add_node(m, "Add", {"x", "W"}, {"y"});
  auto r = import(m, dir.string());
  ASSERT_TRUE(r.ok()) << r.error().message();
  auto s = Session::create(*r);
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto x = Tensor::make(DType::kFloat32, {2, 3});
  auto out = (*s)->run({{"x", *x}});
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ((*out)[0].data<float>()[4], 2.f);
}

TEST(BadInput, WrongFeedsAreRejected) {
  auto m = base_model({"y"});
  add_node(m, "Relu", {"x"}, {"y"});
  auto r = import(m);
  ASSERT_TRUE(r.ok());
  auto s = Session::create(*r);
  ASSERT_TRUE(s.ok());
  auto wrong_type = Tensor::make(DType::kInt32, {2, 3});
  auto wrong_shape = Tensor::make(DType::kFloat32, {3, 2});
  EXPECT_EQ((*s)->run({{"x", *wrong_type}}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((*s)->run({{"x", *wrong_shape}}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((*s)->run({}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((*s)->run({{"nope", *wrong_shape}}).error().code(), ErrorCode::kInvalidArgument);
}

// Every operator's infer and kernel is exercised by the mutated models below; a mutation
// may load or fail, but must never crash (the sanitizer build turns overruns into failures).
void load_and_run(const std::string& bytes) {
  auto m = import_onnx_bytes(bytes.data(), bytes.size(), "");
  if (!m) return;
  auto s = Session::create(*m);
  if (!s) return;
  std::map<std::string, Tensor> feeds;
  for (const auto& in : (*s)->inputs()) {
    if (!in.type.is_static() || !dtype_is_storable(in.type.dtype)) return;
    auto t = Tensor::make(in.type.dtype, *in.type.shape);
    if (!t) return;
    feeds[in.name] = *t;
  }
  (void)(*s)->run(feeds);
}

std::vector<std::string> sample_models() {
  std::vector<std::string> models;
  const fs::path root = "/usr/share/libonnx-testdata/data/node";
  for (const char* t :
       {"test_relu", "test_add_bcast", "test_conv_with_strides_padding", "test_gather_0",
        "test_slice", "test_reshape_reordered_all_dims", "test_maxpool_2d_pads",
        "test_gemm_default_single_elem_vector_bias", "test_if", "test_lstm_defaults"}) {
    auto bytes = read_file((root / t / "model.onnx").string());
    if (bytes) models.push_back(*bytes);
  }
  return models;
}

// Inputs the fuzzer once crashed on (tests/fuzz_regressions): each must now fail cleanly.
TEST(BadInput, FuzzRegressionsFailCleanly) {
  set_tensor_byte_limit(size_t{256} << 20);
  int seen = 0;
  for (const auto& e :
       fs::directory_iterator(fs::path(LEDGE_SOURCE_DIR) / "tests/fuzz_regressions")) {
    auto bytes = read_file(e.path().string());
    ASSERT_TRUE(bytes.ok());
    load_and_run(*bytes);
    ++seen;
  }
  EXPECT_GE(seen, 2);
}

TEST(BadInput, TruncatedModelsFailCleanly) {
  set_tensor_byte_limit(size_t{256} << 20);
  for (const auto& model : sample_models())
    for (size_t len = 0; len < model.size(); ++len) load_and_run(model.substr(0, len));
}

TEST(BadInput, BitFlippedModelsFailCleanly) {
  set_tensor_byte_limit(size_t{256} << 20);
  std::mt19937 rng(42);
  for (const auto& model : sample_models()) {
    for (int trial = 0; trial < 300; ++trial) {
      std::string m = model;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) m[rng() % m.size()] ^= static_cast<char>(1u << (rng() % 8));
      load_and_run(m);
    }
  }
}

}  // namespace
}  // namespace ledge
