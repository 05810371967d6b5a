// ONNX export: import(export(model)) is the same model, structurally and in its results.
#include "onnx/export.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>

#include "model_builder.h"
#include "onnx/import.h"

namespace ledge {
namespace {

using testing::ModelBuilder;
using testing::random_tensor;

void expect_same_graph(const Graph& a, const Graph& b, const std::string& where);

void expect_same_tensor(const Tensor& a, const Tensor& b, const std::string& where) {
  EXPECT_EQ(a.dtype(), b.dtype()) << where;
  EXPECT_EQ(a.shape(), b.shape()) << where;
  if (a.dtype() == b.dtype() && a.shape() == b.shape() && a.nbytes() > 0) {
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
    // Names of known dimensions are not kept (a dimension is a value or a name).
    if (a[i].type.shape)
      for (size_t d = 0; d < a[i].type.shape->size(); ++d)
        if ((*a[i].type.shape)[d] < 0) {
          EXPECT_EQ(a[i].dim_names[d], b[i].dim_names[d]) << where << " " << a[i].name;
        }
  }
}

void expect_same_attribute(const AttributeValue& a, const AttributeValue& b,
                           const std::string& where) {
  ASSERT_EQ(a.index(), b.index()) << where;
  if (auto t = std::get_if<Tensor>(&a)) {
    expect_same_tensor(*t, std::get<Tensor>(b), where);
  } else if (auto ts = std::get_if<std::vector<Tensor>>(&a)) {
    const auto& tb = std::get<std::vector<Tensor>>(b);
    ASSERT_EQ(ts->size(), tb.size()) << where;
    for (size_t i = 0; i < ts->size(); ++i) expect_same_tensor((*ts)[i], tb[i], where);
  } else if (auto g = std::get_if<std::shared_ptr<Graph>>(&a)) {
    expect_same_graph(**g, *std::get<std::shared_ptr<Graph>>(b), where);
  } else if (auto gs = std::get_if<std::vector<std::shared_ptr<Graph>>>(&a)) {
    const auto& gb = std::get<std::vector<std::shared_ptr<Graph>>>(b);
    ASSERT_EQ(gs->size(), gb.size()) << where;
    for (size_t i = 0; i < gs->size(); ++i) expect_same_graph(*(*gs)[i], *gb[i], where);
  } else {
    // Numbers, strings and lists of them compare directly.
    std::visit(
        [&](const auto& x) {
          using V = std::decay_t<decltype(x)>;
          if constexpr (!std::is_same_v<V, Tensor> && !std::is_same_v<V, std::vector<Tensor>> &&
                        !std::is_same_v<V, std::shared_ptr<Graph>> &&
                        !std::is_same_v<V, std::vector<std::shared_ptr<Graph>>>) {
            EXPECT_EQ(x, std::get<V>(b)) << where;
          }
        },
        a);
  }
}

void expect_same_graph(const Graph& a, const Graph& b, const std::string& where) {
  EXPECT_EQ(a.name, b.name) << where;
  expect_same_values(a.inputs, b.inputs, where + " inputs");
  expect_same_values(a.outputs, b.outputs, where + " outputs");
  ASSERT_EQ(a.initializers.size(), b.initializers.size()) << where;
  for (const auto& [name, t] : a.initializers) {
    ASSERT_TRUE(b.initializers.count(name)) << where << " initializer " << name;
    expect_same_tensor(t, b.initializers.at(name), where + " initializer " + name);
  }
  ASSERT_EQ(a.nodes.size(), b.nodes.size()) << where;
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const Node& x = a.nodes[i];
    const Node& y = b.nodes[i];
    const std::string at = where + " node " + x.label();
    EXPECT_EQ(x.name, y.name) << at;
    EXPECT_EQ(x.op_type, y.op_type) << at;
    EXPECT_EQ(x.domain, y.domain) << at;
    EXPECT_EQ(x.inputs, y.inputs) << at;
    EXPECT_EQ(x.outputs, y.outputs) << at;
    ASSERT_EQ(x.attributes.size(), y.attributes.size()) << at;
    for (const auto& [name, v] : x.attributes) {
      ASSERT_TRUE(y.attributes.count(name)) << at << " attribute " << name;
      expect_same_attribute(v, y.attributes.at(name), at + " attribute " + name);
    }
    // Types of node outputs travel as value_info.
    for (const auto& o : x.outputs) {
      auto t = a.value_types.find(o);
      if (t == a.value_types.end() || t->second.dtype == DType::kUndefined) continue;
      bool is_output = false;
      for (const auto& v : a.outputs) is_output = is_output || v.name == o;
      if (is_output) continue;
      ASSERT_TRUE(b.value_types.count(o)) << at << " value_info " << o;
      expect_same_type(t->second, b.value_types.at(o), at + " value_info " + o);
    }
  }
}

Expected<std::shared_ptr<Model>> round_trip(const Model& m) {
  LEDGE_ASSIGN(std::string bytes, export_onnx_bytes(m));
  return import_onnx_bytes(bytes.data(), bytes.size(), "");
}

// One initializer of every storable dtype, empty and scalar tensors, every attribute type
// (subgraphs and tensors included), a custom domain, symbolic and unknown dimensions.
std::shared_ptr<Model> everything_model() {
  ModelBuilder b(13);
  Model& m = b.model();
  m.opsets["com.example"] = 2;
  m.ir_version = 7;
  m.producer = "export_test";
  m.graph.name = "everything";
  b.input("x", DType::kFloat32, {-1, -1, 3});
  m.graph.inputs[0].dim_names = {"batch", "", ""};
  uint32_t seed = 1;
  for (DType t : {DType::kFloat32, DType::kFloat16, DType::kBFloat16, DType::kFloat64, DType::kInt8,
                  DType::kUInt8, DType::kInt16, DType::kUInt16, DType::kInt32, DType::kInt64,
                  DType::kUInt32, DType::kUInt64, DType::kBool})
    b.init("w_" + std::string(dtype_name(t)), random_tensor(t, {2, 3}, seed++));
  b.init("empty", Tensor::make(DType::kFloat32, {0, 4}).value());
  b.init("scalar", Tensor::from_vector<int64_t>({42}, {}));

  auto sub = std::make_shared<Graph>();
  sub->name = "body";
  sub->inputs.push_back(testing::typed_value("i", DType::kInt64, {}));
  sub->initializers["sub_w"] = random_tensor(DType::kFloat16, {3}, 99);
  sub->nodes.push_back(Node{"inner", "Neg", "", {"x"}, {"neg"}, {}});
  sub->value_types["neg"] = TensorType{DType::kFloat32, std::vector<int64_t>{-1, -1, 3}};
  sub->outputs.push_back(testing::untyped_value("neg"));

  Node& n = b.node("Everything", {"x", "", "w_float32"}, {"h", ""});
  n.domain = "com.example";
  n.attributes["i"] = int64_t{-7};
  n.attributes["f"] = 0.25f;
  n.attributes["s"] = std::string("text with \0 byte", 16);
  n.attributes["t"] = random_tensor(DType::kFloat16, {2, 2}, 7);
  n.attributes["g"] = sub;
  n.attributes["ints"] = std::vector<int64_t>{1, -2, 3};
  n.attributes["no_ints"] = std::vector<int64_t>{};
  n.attributes["floats"] = std::vector<float>{1.5f, -0.f};
  n.attributes["strings"] = std::vector<std::string>{"a", ""};
  n.attributes["tensors"] = std::vector<Tensor>{random_tensor(DType::kInt8, {3}, 8),
                                                Tensor::from_vector<bool>({true}, {})};
  n.attributes["graphs"] = std::vector<std::shared_ptr<Graph>>{sub, testing::clone_graph(*sub)};
  m.graph.value_types["h"] = TensorType{DType::kFloat32, std::vector<int64_t>{-1, 4}};
  b.node("Relu", {"h"}, {"y"});
  m.graph.outputs.push_back(testing::typed_value("y", DType::kFloat32, {-1, 4}));
  m.graph.outputs[0].dim_names = {"batch", ""};
  return b.build();
}

TEST(Export, RoundTripKeepsEverything) {
  auto original = everything_model();
  auto again = round_trip(*original);
  ASSERT_TRUE(again.ok()) << again.error().message();
  const Model& m = **again;
  EXPECT_EQ(m.ir_version, 7);
  EXPECT_EQ(m.producer, "export_test");
  EXPECT_EQ(m.opsets, original->opsets);
  expect_same_graph(original->graph, m.graph, "main");
}

// float16 weights cast up, an If whose branches read the outer scope, a Constant with a
// tensor attribute: the exported model computes the same.
std::shared_ptr<Model> runnable_model() {
  ModelBuilder b(13);
  b.input("x", DType::kFloat32, {2, 3}).input("cond", DType::kBool, {}).output("z");
  b.init("w16", random_tensor(DType::kFloat16, {3}, 3));
  b.node("Cast", {"w16"}, {"w"}).attributes["to"] = int64_t{1};
  b.node("Add", {"x", "w"}, {"h"});
  auto then_g = std::make_shared<Graph>();
  then_g->initializers["k"] = random_tensor(DType::kFloat32, {3}, 4);
  then_g->nodes.push_back(Node{"", "Mul", "", {"h", "k"}, {"t"}, {}});
  then_g->outputs.push_back(testing::untyped_value("t"));
  auto else_g = std::make_shared<Graph>();
  else_g->nodes.push_back(Node{"", "Neg", "", {"h"}, {"e"}, {}});
  else_g->outputs.push_back(testing::untyped_value("e"));
  Node& n = b.node("If", {"cond"}, {"y"});
  n.attributes["then_branch"] = then_g;
  n.attributes["else_branch"] = else_g;
  b.node("Constant", {}, {"c"}).attributes["value"] = random_tensor(DType::kFloat32, {3}, 5);
  b.node("Mul", {"y", "c"}, {"z"});
  return b.build();
}

TEST(Export, RoundTripComputesTheSame) {
  auto original = runnable_model();
  const std::string path =
      (std::filesystem::temp_directory_path() / "ledge_export_test.onnx").string();
  ASSERT_TRUE(write_onnx_file(*original, path).ok());
  auto again = import_onnx_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(again.ok()) << again.error().message();
  expect_same_graph(original->graph, (*again)->graph, "main");
  for (uint32_t seed : {1u, 2u}) {  // both branches, by chance of the seed
    auto feeds = testing::random_feeds(*original, seed);
    for (bool cond : {false, true}) {
      feeds["cond"] = Tensor::from_vector<bool>({cond}, {});
      auto want = testing::run_model(*original, feeds);
      auto got = testing::run_model(**again, feeds);
      ASSERT_TRUE(want.ok()) << want.error().message();
      ASSERT_TRUE(got.ok()) << got.error().message();
      testing::expect_same_outputs(*want, *got, 0, 0);
    }
  }
}

// Before IR version 4 every initializer must be a graph input; folding adds initializers.
TEST(Export, OldIrVersionsListInitializersAsInputs) {
  ModelBuilder b(9);
  b.model().ir_version = 3;
  b.input("x", DType::kFloat32, {3}).output("y");
  b.init("w", random_tensor(DType::kFloat32, {3}, 1));
  b.node("Add", {"x", "w"}, {"y"});
  auto bytes = export_onnx_bytes(b.model());
  ASSERT_TRUE(bytes.ok());
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(*bytes));
  ASSERT_EQ(proto.graph().input_size(), 2);
  EXPECT_EQ(proto.graph().input(1).name(), "w");
  EXPECT_EQ(proto.ir_version(), 3);
}

TEST(Export, WriteFailuresAreErrors) {
  auto m = runnable_model();
  Status st = write_onnx_file(*m, "/nonexistent-dir/model.onnx");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), ErrorCode::kIo);
}

}  // namespace
}  // namespace ledge
