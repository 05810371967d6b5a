// Graph passes: each test builds a small graph, runs one pass, checks that the rewrite
// happened (or did not, where it would be wrong) and that the outputs are unchanged on
// random inputs.
#include "passes/passes.h"

#include <gtest/gtest.h>

#include <functional>

#include "model_builder.h"
#include "passes/optimize.h"

namespace ledge {
namespace {

using testing::count_ops;
using testing::ModelBuilder;
using testing::random_tensor;

using PassFn = std::function<Expected<int64_t>(Model&)>;

struct Rewritten {
  std::shared_ptr<Model> model;
  int64_t count = -1;
};

// Runs `pass` on a copy of `original`, checks the copy is valid and computes the same outputs
// as the original on random inputs.
Rewritten apply_pass(const std::shared_ptr<Model>& original, const PassFn& pass, double rtol = 1e-5,
                     double atol = 1e-6) {
  Rewritten r;
  r.model = testing::clone_model(*original);
  auto n = pass(*r.model);
  EXPECT_TRUE(n.ok()) << n.error().message();
  if (!n) return r;
  r.count = *n;
  Status valid = verify_graph(r.model->graph);
  EXPECT_TRUE(valid.ok()) << valid.error().message();
  const auto feeds = testing::random_feeds(*original);
  auto want = testing::run_model(*original, feeds);
  EXPECT_TRUE(want.ok()) << want.error().message();
  auto got = testing::run_model(*r.model, feeds);
  EXPECT_TRUE(got.ok()) << got.error().message();
  if (want && got) testing::expect_same_outputs(*want, *got, rtol, atol);
  return r;
}

Tensor floats(const std::vector<float>& v, Shape shape) {
  return Tensor::from_vector<float>(v, std::move(shape));
}
Tensor ints(const std::vector<int64_t>& v) {
  return Tensor::from_vector<int64_t>(v, {static_cast<int64_t>(v.size())});
}
// Positive values, for variances.
Tensor positive(Shape shape, uint32_t seed, DType dtype = DType::kFloat32) {
  Tensor t = random_tensor(dtype, shape, seed);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = std::fabs(t.as_double(i)) + 0.1;
    if (dtype == DType::kFloat64)
      t.data<double>()[i] = v;
    else
      t.data<float>()[i] = static_cast<float>(v);
  }
  return t;
}

PassFn fold = [](Model& m) { return fold_constants(m); };
PassFn dce = [](Model& m) { return eliminate_dead_code(m); };
PassFn identities = [](Model& m) { return remove_identities(m); };
PassFn bn = [](Model& m) { return fold_batch_norm(m); };
PassFn mul_add = [](Model& m) { return fold_mul_add(m); };
PassFn matmul_add = [](Model& m) { return fuse_matmul_add(m); };
PassFn pad = [](Model& m) { return fold_pad(m); };
PassFn transposes = [](Model& m) { return cancel_transposes(m); };
PassFn reshapes = [](Model& m) { return merge_reshapes(m); };

// --- fold_constants -----------------------------------------------------------------------

TEST(PassesFoldConstants, EvaluatesConstantSubexpressions) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {2, 3}).output("y");
  b.init("w", floats({1, 2, 3}, {3}));
  b.node("Constant", {}, {"c"}).attributes["value"] = floats({0.5f, -1, 4}, {3});
  b.node("Add", {"w", "c"}, {"wc"});
  b.node("Neg", {"wc"}, {"nwc"});
  b.node("Mul", {"x", "nwc"}, {"y"});
  auto r = apply_pass(b.build(), fold);
  EXPECT_EQ(r.count, 3);
  ASSERT_EQ(r.model->graph.nodes.size(), 1u);
  EXPECT_EQ(r.model->graph.nodes[0].op_type, "Mul");
  ASSERT_TRUE(r.model->graph.initializers.count("nwc"));
  EXPECT_EQ(r.model->graph.initializers.at("nwc").data<float>()[2], -7.f);
}

// x.reshape(x.shape[0], -1), as exporters write it.
std::shared_ptr<Model> flatten_by_shape(std::vector<int64_t> x_shape) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, std::move(x_shape)).output("y");
  b.init("zero", Tensor::from_vector<int64_t>({0}, {}));
  b.init("axes", ints({0}));
  b.init("minus1", ints({-1}));
  b.node("Shape", {"x"}, {"s"});
  b.node("Gather", {"s", "zero"}, {"n"});
  b.node("Unsqueeze", {"n", "axes"}, {"n1"});
  b.node("Concat", {"n1", "minus1"}, {"shape"}).attributes["axis"] = int64_t{0};
  b.node("Reshape", {"x", "shape"}, {"y"});
  return b.build();
}

TEST(PassesFoldConstants, FoldsShapesOfStaticValuesOnly) {
  auto r = apply_pass(flatten_by_shape({2, 3, 4}), fold);
  EXPECT_EQ(r.count, 4);
  ASSERT_EQ(r.model->graph.nodes.size(), 1u);
  EXPECT_EQ(r.model->graph.initializers.at("shape").to_int64_vector(),
            (std::vector<int64_t>{2, -1}));
  // With a dynamic batch the shape is known only at run time.
  auto dynamic = apply_pass(flatten_by_shape({-1, 3, 4}), fold);
  EXPECT_EQ(dynamic.count, 0);
  EXPECT_EQ(dynamic.model->graph.nodes.size(), 5u);
}

TEST(PassesFoldConstants, LeavesLargeExpansionsAsNodes) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {64, 64}).output("y");
  b.init("shape", ints({64, 64}));
  b.node("ConstantOfShape", {"shape"}, {"ones"}).attributes["value"] = floats({1}, {1});
  b.node("Add", {"x", "ones"}, {"y"});
  // 16 KiB of output from 16 bytes of input: over a 1 KiB growth budget, within 64 KiB.
  auto kept = apply_pass(b.build(), [](Model& m) {
    FoldConstantsOptions o;
    o.max_growth_bytes = 1024;
    return fold_constants(m, o);
  });
  EXPECT_EQ(kept.count, 0);
  EXPECT_EQ(count_ops(kept.model->graph, "ConstantOfShape"), 1);
  auto folded = apply_pass(b.build(), fold);
  EXPECT_EQ(folded.count, 1);
  EXPECT_EQ(count_ops(folded.model->graph, "ConstantOfShape"), 0);
}

TEST(PassesFoldConstants, KeepsOverridableInitializersRandomOpsAndOutputs) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {3}).output("y").output("c");
  // An initializer that is also an input is a default the caller may replace.
  b.input("w", DType::kFloat32, {3}).init("w", floats({1, 2, 3}, {3}));
  b.node("Neg", {"w"}, {"nw"});
  b.node("Add", {"x", "nw"}, {"y"});
  b.node("Constant", {}, {"c"}).attributes["value"] = floats({1}, {1});
  auto r = apply_pass(b.build(), fold);
  EXPECT_EQ(r.count, 0);
  EXPECT_EQ(r.model->graph.nodes.size(), 3u);

  ModelBuilder rnd;
  rnd.input("x", DType::kFloat32, {3}).output("y");
  rnd.node("RandomUniform", {}, {"r"}).attributes["shape"] = std::vector<int64_t>{3};
  rnd.node("Add", {"x", "r"}, {"y"});
  auto m = rnd.build();
  ASSERT_EQ(*fold_constants(*m), 0);
  EXPECT_EQ(count_ops(m->graph, "RandomUniform"), 1);
}

TEST(PassesFoldConstants, FoldedValuesStayVisibleToSubgraphs) {
  ModelBuilder b;
  b.input("cond", DType::kBool, {}).input("x", DType::kFloat32, {3}).output("y");
  b.node("Constant", {}, {"c"}).attributes["value"] = floats({1, 2, 3}, {3});
  b.node("Neg", {"c"}, {"nc"});
  auto branch = std::make_shared<Graph>();
  branch->nodes.push_back(Node{"", "Add", "", {"x", "nc"}, {"out"}, {}});
  branch->outputs.push_back(testing::untyped_value("out"));
  Node& n = b.node("If", {"cond"}, {"y"});
  n.attributes["then_branch"] = branch;
  n.attributes["else_branch"] = testing::clone_graph(*branch);
  auto r = apply_pass(b.build(), fold);
  EXPECT_EQ(r.count, 2);
  EXPECT_EQ(r.model->graph.nodes.size(), 1u);
  EXPECT_TRUE(r.model->graph.initializers.count("nc"));
  // Dead code elimination keeps what only the subgraphs read.
  auto d = apply_pass(r.model, dce);
  EXPECT_TRUE(d.model->graph.initializers.count("nc"));
  EXPECT_FALSE(d.model->graph.initializers.count("c"));
}

// --- eliminate_dead_code ------------------------------------------------------------------

TEST(PassesDeadCode, RemovesUnreadNodesAndInitializers) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {4}).output("y");
  b.input("v", DType::kFloat32, {1}).init("v", floats({1}, {1}));  // interface: stays
  b.init("u", floats({1}, {1}));
  b.node("Relu", {"x"}, {"y"});
  b.node("Neg", {"x"}, {"dead1"});
  b.node("Add", {"dead1", "u"}, {"dead2"});
  auto r = apply_pass(b.build(), dce);
  EXPECT_EQ(r.count, 2);
  ASSERT_EQ(r.model->graph.nodes.size(), 1u);
  EXPECT_FALSE(r.model->graph.initializers.count("u"));
  EXPECT_TRUE(r.model->graph.initializers.count("v"));
}

// If(cond) { Identity(t) ; Abs(t) unused } else { Identity(x) }, with t = Neg(x) outside.
std::shared_ptr<Model> if_reading_outer_value() {
  ModelBuilder b;
  b.input("cond", DType::kBool, {}).input("x", DType::kFloat32, {3}).output("y");
  b.node("Neg", {"x"}, {"t"});
  auto then_g = std::make_shared<Graph>();
  then_g->nodes.push_back(Node{"", "Identity", "", {"t"}, {"then_out"}, {}});
  then_g->nodes.push_back(Node{"", "Abs", "", {"t"}, {"then_dead"}, {}});
  then_g->outputs.push_back(testing::untyped_value("then_out"));
  auto else_g = std::make_shared<Graph>();
  else_g->nodes.push_back(Node{"", "Identity", "", {"x"}, {"else_out"}, {}});
  else_g->outputs.push_back(testing::untyped_value("else_out"));
  Node& n = b.node("If", {"cond"}, {"y"});
  n.attributes["then_branch"] = then_g;
  n.attributes["else_branch"] = else_g;
  return b.build();
}

TEST(PassesDeadCode, KeepsValuesSubgraphsReadAndCleansSubgraphs) {
  auto r = apply_pass(if_reading_outer_value(), dce);
  EXPECT_EQ(r.count, 1);  // the Abs inside then_branch
  EXPECT_EQ(count_ops(r.model->graph, "Neg"), 1);
  const auto& then_g =
      std::get<std::shared_ptr<Graph>>(r.model->graph.nodes.back().attributes.at("then_branch"));
  EXPECT_EQ(then_g->nodes.size(), 1u);
}

// --- remove_identities --------------------------------------------------------------------

TEST(PassesRemoveIdentities, RemovesEveryKind) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {2, 3}).output("y");
  b.init("shape", ints({2, 3}));
  b.node("Identity", {"x"}, {"a"});
  b.node("Dropout", {"a"}, {"b", "unused_mask"});
  b.node("Cast", {"b"}, {"c"}).attributes["to"] = int64_t{1};
  b.node("Transpose", {"c"}, {"d"}).attributes["perm"] = std::vector<int64_t>{0, 1};
  b.node("Reshape", {"d", "shape"}, {"e"});
  b.node("Relu", {"e"}, {"y"});
  auto r = apply_pass(b.build(), identities);
  EXPECT_EQ(r.count, 5);
  ASSERT_EQ(r.model->graph.nodes.size(), 1u);
  EXPECT_EQ(r.model->graph.nodes[0].inputs[0], "x");
}

TEST(PassesRemoveIdentities, KeepsGraphOutputNames) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {3}).output("y").output("z");
  b.node("Relu", {"x"}, {"r"});
  b.node("Identity", {"r"}, {"y"});  // the producer takes the output's name
  b.node("Identity", {"x"}, {"z"});  // input to output: needs the node
  auto r = apply_pass(b.build(), identities);
  EXPECT_EQ(r.count, 1);
  ASSERT_EQ(r.model->graph.nodes.size(), 2u);
  EXPECT_EQ(r.model->graph.nodes[0].op_type, "Relu");
  EXPECT_EQ(r.model->graph.nodes[0].outputs[0], "y");
  EXPECT_EQ(r.model->graph.outputs[0].name, "y");
}

TEST(PassesRemoveIdentities, KeepsRealConversionsMasksAndSubgraphReads) {
  ModelBuilder b;
  b.input("x", DType::kInt32, {4}).output("y").output("mask_out").output("w");
  b.input("f", DType::kFloat32, {4}).input("cond", DType::kBool, {});
  b.node("Cast", {"x"}, {"same"}).attributes["to"] = int64_t{6};  // int32 → int32
  b.node("Cast", {"same"}, {"y"}).attributes["to"] = int64_t{7};  // int32 → int64
  b.node("Dropout", {"f"}, {"d", "mask_out"});                    // mask is read
  b.node("Identity", {"d"}, {"captured"});
  auto branch = std::make_shared<Graph>();
  branch->nodes.push_back(Node{"", "Neg", "", {"captured"}, {"branch_out"}, {}});
  branch->outputs.push_back(testing::untyped_value("branch_out"));
  Node& n = b.node("If", {"cond"}, {"w"});
  n.attributes["then_branch"] = branch;
  n.attributes["else_branch"] = testing::clone_graph(*branch);
  auto r = apply_pass(b.build(), identities);
  EXPECT_EQ(r.count, 1);  // only the int32 → int32 Cast
  EXPECT_EQ(count_ops(r.model->graph, "Cast"), 1);
  EXPECT_EQ(count_ops(r.model->graph, "Dropout"), 1);
  EXPECT_EQ(count_ops(r.model->graph, "Identity"), 1);
}

// --- fold_batch_norm ----------------------------------------------------------------------

void add_bn(ModelBuilder& b, const std::string& in, const std::string& out, int64_t c,
            uint32_t seed, DType dtype = DType::kFloat32) {
  b.init(out + "_scale", random_tensor(dtype, {c}, seed));
  b.init(out + "_bias", random_tensor(dtype, {c}, seed + 1));
  b.init(out + "_mean", random_tensor(dtype, {c}, seed + 2));
  b.init(out + "_var", positive({c}, seed + 3, dtype));
  b.node("BatchNormalization", {in, out + "_scale", out + "_bias", out + "_mean", out + "_var"},
         {out})
      .attributes["epsilon"] = 1e-3f;
}

TEST(PassesFoldBatchNorm, FoldsIntoGroupedConvWithBias) {
  for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
    ModelBuilder b;
    b.input("x", dtype, {1, 4, 5, 5}).output("y");
    b.init("w", random_tensor(dtype, {6, 2, 3, 3}, 1));
    b.init("b", random_tensor(dtype, {6}, 2));
    Node& conv = b.node("Conv", {"x", "w", "b"}, {"c"});
    conv.attributes["group"] = int64_t{2};
    conv.attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
    add_bn(b, "c", "y", 6, 10, dtype);
    auto r = apply_pass(b.build(), bn, 1e-4, 1e-5);
    EXPECT_EQ(r.count, 1) << dtype_name(dtype);
    EXPECT_EQ(count_ops(r.model->graph, "BatchNormalization"), 0);
    ASSERT_EQ(r.model->graph.nodes.size(), 1u);
    EXPECT_EQ(r.model->graph.nodes[0].outputs[0], "y");
  }
}

TEST(PassesFoldBatchNorm, FoldsIntoGroupedConvTranspose) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {1, 4, 3, 3}).output("y");
  b.init("w", random_tensor(DType::kFloat32, {4, 3, 2, 2}, 1));  // 6 output channels
  Node& conv = b.node("ConvTranspose", {"x", "w"}, {"c"});
  conv.attributes["group"] = int64_t{2};
  conv.attributes["strides"] = std::vector<int64_t>{2, 2};
  add_bn(b, "c", "y", 6, 20);
  auto r = apply_pass(b.build(), bn, 1e-4, 1e-5);
  EXPECT_EQ(r.count, 1);
  EXPECT_EQ(count_ops(r.model->graph, "BatchNormalization"), 0);
}

TEST(PassesFoldBatchNorm, FoldsIntoGemmEitherLayout) {
  for (int64_t trans_b : {0, 1}) {
    ModelBuilder b;
    b.input("x", DType::kFloat32, {3, 5}).output("y");
    b.init("w", random_tensor(DType::kFloat32, trans_b ? Shape{4, 5} : Shape{5, 4}, 1));
    b.init("bias", random_tensor(DType::kFloat32, trans_b ? Shape{4} : Shape{1, 4}, 2));
    Node& gemm = b.node("Gemm", {"x", "w", "bias"}, {"g"});
    gemm.attributes["transB"] = trans_b;
    gemm.attributes["alpha"] = 2.0f;
    gemm.attributes["beta"] = 0.5f;
    add_bn(b, "g", "y", 4, 30);
    auto r = apply_pass(b.build(), bn, 1e-4, 1e-5);
    EXPECT_EQ(r.count, 1) << "transB " << trans_b;
    EXPECT_EQ(count_ops(r.model->graph, "BatchNormalization"), 0);
  }
}

TEST(PassesFoldBatchNorm, SkipsSharedOutputsAndHalfPrecision) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {1, 2, 4, 4}).output("y").output("c");  // c read twice
  b.init("w", random_tensor(DType::kFloat32, {3, 2, 1, 1}, 1));
  b.node("Conv", {"x", "w"}, {"c"});
  add_bn(b, "c", "y", 3, 40);
  auto r = apply_pass(b.build(), bn);
  EXPECT_EQ(r.count, 0);
  EXPECT_EQ(count_ops(r.model->graph, "BatchNormalization"), 1);

  ModelBuilder h;
  h.input("x", DType::kFloat16, {1, 2, 4, 4}).output("y");
  h.init("w", random_tensor(DType::kFloat16, {3, 2, 1, 1}, 1));
  h.node("Conv", {"x", "w"}, {"c"});
  for (const char* p : {"s", "b", "m"}) h.init(p, random_tensor(DType::kFloat16, {3}, 2));
  h.init("v", Tensor::from_vector<Float16>({Float16(1.f), Float16(2.f), Float16(.5f)}, {3}));
  h.node("BatchNormalization", {"c", "s", "b", "m", "v"}, {"y"});
  auto m = h.build();
  ASSERT_EQ(*fold_batch_norm(*m), 0);
}

// --- fold_mul_add -------------------------------------------------------------------------

TEST(PassesFoldMulAdd, PerChannelScaleAndShiftFoldIntoConv) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {2, 3, 4, 4}).output("y");
  b.init("w", random_tensor(DType::kFloat32, {5, 3, 3, 3}, 1));
  b.init("scale", random_tensor(DType::kFloat32, {1, 5, 1, 1}, 2));
  b.init("shift", random_tensor(DType::kFloat32, {5, 1, 1}, 3));
  b.init("one", floats({0.5f}, {}));
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("Mul", {"scale", "c"}, {"m"});
  b.node("Add", {"m", "shift"}, {"a"});
  b.node("Sub", {"a", "one"}, {"s"});
  b.node("Relu", {"s"}, {"y"});
  auto r = apply_pass(b.build(), mul_add, 1e-5, 1e-5);
  EXPECT_EQ(r.count, 3);
  std::vector<std::string> ops;
  for (const auto& n : r.model->graph.nodes) ops.push_back(n.op_type);
  EXPECT_EQ(ops, (std::vector<std::string>{"Conv", "Relu"}));
}

TEST(PassesFoldMulAdd, BiasAddFoldsIntoGemmAndConvTranspose) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {3, 4}).input("z", DType::kFloat32, {1, 4, 3, 3});
  b.output("y").output("t");
  b.init("w", random_tensor(DType::kFloat32, {4, 6}, 1));
  b.init("bias", random_tensor(DType::kFloat32, {6}, 2));
  b.init("wt", random_tensor(DType::kFloat32, {4, 1, 2, 2}, 3));
  b.init("scale", random_tensor(DType::kFloat32, {4, 1, 1}, 4));
  b.node("Gemm", {"x", "w"}, {"g"});
  b.node("Add", {"g", "bias"}, {"y"});
  Node& ct = b.node("ConvTranspose", {"z", "wt"}, {"ct"});
  ct.attributes["group"] = int64_t{4};
  b.node("Mul", {"ct", "scale"}, {"t"});
  auto r = apply_pass(b.build(), mul_add, 1e-5, 1e-5);
  EXPECT_EQ(r.count, 2);
  EXPECT_EQ(r.model->graph.nodes.size(), 2u);
}

TEST(PassesFoldMulAdd, KeepsSpatialConstantsReversedSubAndSharedOutputs) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {1, 2, 4, 4}).output("y1").output("y2").output("y3").output("c3");
  b.init("w", random_tensor(DType::kFloat32, {3, 2, 1, 1}, 1));
  b.init("spatial", random_tensor(DType::kFloat32, {1, 1, 1, 4}, 2));
  b.init("k", random_tensor(DType::kFloat32, {3, 1, 1}, 3));
  b.node("Conv", {"x", "w"}, {"c1"});
  b.node("Mul", {"c1", "spatial"}, {"y1"});  // varies along width
  b.node("Conv", {"x", "w"}, {"c2"});
  b.node("Sub", {"k", "c2"}, {"y2"});  // k - conv is not conv + constant
  b.node("Conv", {"x", "w"}, {"c3"});
  b.node("Add", {"c3", "k"}, {"y3"});  // c3 is also an output
  auto r = apply_pass(b.build(), mul_add);
  EXPECT_EQ(r.count, 0);
  EXPECT_EQ(r.model->graph.nodes.size(), 6u);
}

// --- fuse_matmul_add ----------------------------------------------------------------------

TEST(PassesFuseMatMulAdd, BecomesGemmWithBiasOnEitherSide) {
  for (int side = 0; side < 2; ++side) {
    ModelBuilder b;
    b.input("x", DType::kFloat32, {3, 4}).output("y");
    b.init("w", random_tensor(DType::kFloat32, {4, 5}, 1));
    b.init("bias", random_tensor(DType::kFloat32, {5}, 2));
    b.node("MatMul", {"x", "w"}, {"m"});
    b.node("Add",
           side ? std::vector<std::string>{"bias", "m"} : std::vector<std::string>{"m", "bias"},
           {"y"});
    auto r = apply_pass(b.build(), matmul_add);
    EXPECT_EQ(r.count, 1);
    ASSERT_EQ(r.model->graph.nodes.size(), 1u);
    EXPECT_EQ(r.model->graph.nodes[0].op_type, "Gemm");
    EXPECT_EQ(r.model->graph.nodes[0].outputs[0], "y");
  }
}

TEST(PassesFuseMatMulAdd, SkipsBatchedFullBiasAndIntegerProducts) {
  ModelBuilder b;
  b.input("x3", DType::kFloat32, {2, 3, 4}).input("x", DType::kFloat32, {3, 4});
  b.input("i", DType::kInt32, {3, 4}).output("y1").output("y2").output("y3");
  b.init("w", random_tensor(DType::kFloat32, {4, 5}, 1));
  b.init("bias", random_tensor(DType::kFloat32, {5}, 2));
  b.init("full", random_tensor(DType::kFloat32, {3, 5}, 3));
  b.init("wi", random_tensor(DType::kInt32, {4, 5}, 4));
  b.init("bi", random_tensor(DType::kInt32, {5}, 5));
  b.node("MatMul", {"x3", "w"}, {"m1"});
  b.node("Add", {"m1", "bias"}, {"y1"});
  b.node("MatMul", {"x", "w"}, {"m2"});
  b.node("Add", {"m2", "full"}, {"y2"});
  b.node("MatMul", {"i", "wi"}, {"m3"});
  b.node("Add", {"m3", "bi"}, {"y3"});
  auto r = apply_pass(b.build(), matmul_add);
  EXPECT_EQ(r.count, 0);
  EXPECT_EQ(count_ops(r.model->graph, "Gemm"), 0);
}

// --- fold_pad -----------------------------------------------------------------------------

std::shared_ptr<Model> pad_conv(int64_t opset, std::vector<int64_t> pads, float value,
                                const std::string& mode = "constant") {
  ModelBuilder b(opset);
  b.input("x", DType::kFloat32, {1, 2, 5, 5}).output("y");
  b.init("w", random_tensor(DType::kFloat32, {3, 2, 3, 3}, 1));
  Node* p;
  if (opset >= 11) {
    b.init("pads", ints(pads)).init("value", floats({value}, {}));
    p = &b.node("Pad", {"x", "pads", "value"}, {"padded"});
  } else {
    p = &b.node("Pad", {"x"}, {"padded"});
    p->attributes["pads"] = pads;
    p->attributes["value"] = value;
  }
  p->attributes["mode"] = mode;
  b.node("Conv", {"padded", "w"}, {"y"}).attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  return b.build();
}

TEST(PassesFoldPad, ZeroSpatialPadBecomesConvPadding) {
  for (int64_t opset : {9, 13}) {
    auto r = apply_pass(pad_conv(opset, {0, 0, 1, 2, 0, 0, 2, 1}, 0.f), pad);
    EXPECT_EQ(r.count, 1) << "opset " << opset;
    ASSERT_EQ(r.model->graph.nodes.size(), 1u);
    EXPECT_EQ(std::get<std::vector<int64_t>>(r.model->graph.nodes[0].attributes.at("pads")),
              (std::vector<int64_t>{2, 3, 3, 2}));
  }
}

TEST(PassesFoldPad, KeepsOtherPads) {
  EXPECT_EQ(apply_pass(pad_conv(13, {0, 0, 1, 1, 0, 0, 1, 1}, 0.5f), pad).count, 0);  // value
  EXPECT_EQ(apply_pass(pad_conv(13, {0, 0, 1, 1, 0, 0, 1, 1}, 0.f, "reflect"), pad).count, 0);
  EXPECT_EQ(apply_pass(pad_conv(13, {1, 0, 1, 1, 0, 0, 1, 1}, 0.f), pad).count, 0);   // batch
  EXPECT_EQ(apply_pass(pad_conv(13, {0, 0, 1, -1, 0, 0, 1, 1}, 0.f), pad).count, 0);  // crop
}

// --- cancel_transposes --------------------------------------------------------------------

TEST(PassesCancelTransposes, InversePairVanishes) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {2, 3, 4}).output("y");
  b.node("Transpose", {"x"}, {"t1"}).attributes["perm"] = std::vector<int64_t>{0, 2, 1};
  b.node("Transpose", {"t1"}, {"t2"}).attributes["perm"] = std::vector<int64_t>{0, 2, 1};
  b.node("Relu", {"t2"}, {"y"});
  auto r = apply_pass(b.build(), transposes);
  EXPECT_EQ(r.count, 1);
  ASSERT_EQ(r.model->graph.nodes.size(), 1u);
  EXPECT_EQ(r.model->graph.nodes[0].inputs[0], "x");
}

TEST(PassesCancelTransposes, PairComposesIntoOne) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {2, 3, 4}).output("y");
  b.node("Transpose", {"x"}, {"t1"}).attributes["perm"] = std::vector<int64_t>{1, 0, 2};
  b.node("Transpose", {"t1"}, {"y"}).attributes["perm"] = std::vector<int64_t>{0, 2, 1};
  auto r = apply_pass(b.build(), transposes);
  EXPECT_EQ(r.count, 1);
  ASSERT_EQ(r.model->graph.nodes.size(), 1u);
  EXPECT_EQ(std::get<std::vector<int64_t>>(r.model->graph.nodes[0].attributes.at("perm")),
            (std::vector<int64_t>{1, 2, 0}));
}

TEST(PassesCancelTransposes, SharedFirstTransposeStaysUnlessPairCancels) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {2, 3}).output("y").output("t1");
  b.node("Transpose", {"x"}, {"t1"});  // default perm: reverse
  b.node("Transpose", {"t1"}, {"y"});
  // The pair cancels, but both y and x must keep their names: an identity Transpose stays.
  auto r = apply_pass(b.build(), transposes);
  EXPECT_EQ(r.count, 1);
  EXPECT_EQ(r.model->graph.nodes.size(), 2u);
  EXPECT_EQ(r.model->graph.nodes[1].inputs[0], "x");
}

// --- merge_reshapes -----------------------------------------------------------------------

TEST(PassesMergeReshapes, CancellingPairVanishes) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {2, 3, 4}).output("y");
  b.init("axes", ints({0}));
  b.node("Unsqueeze", {"x", "axes"}, {"u"});
  b.node("Squeeze", {"u", "axes"}, {"s"});
  b.node("Relu", {"s"}, {"y"});
  auto r = apply_pass(b.build(), reshapes);
  EXPECT_EQ(r.count, 1);
  ASSERT_EQ(r.model->graph.nodes.size(), 1u);
  EXPECT_EQ(r.model->graph.nodes[0].inputs[0], "x");
}

TEST(PassesMergeReshapes, ChainBecomesOneReshape) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {2, 3, 4}).output("y");
  b.init("s1", ints({6, 4})).init("s2", ints({4, 6}));
  b.node("Reshape", {"x", "s1"}, {"r1"});
  b.node("Reshape", {"r1", "s2"}, {"y"});
  auto r = apply_pass(b.build(), reshapes);
  EXPECT_EQ(r.count, 1);
  ASSERT_EQ(r.model->graph.nodes.size(), 1u);
  EXPECT_EQ(r.model->graph.nodes[0].inputs[0], "x");
}

TEST(PassesMergeReshapes, DynamicShapesNeedAStandaloneTarget) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {-1, 3, 4}).output("y").output("z");
  b.init("target", ints({-1, 2, 6})).init("copy0", ints({0, 12})).init("copy0b", ints({0, 3, 4}));
  b.node("Flatten", {"x"}, {"f"});
  b.node("Reshape", {"f", "target"}, {"y"});  // merges: the target does not read f's shape
  b.node("Reshape", {"x", "copy0"}, {"r"});
  b.node("Reshape", {"r", "copy0b"}, {"z"});  // 0 copies a dimension of r: stays
  auto r = apply_pass(b.build(), reshapes);
  EXPECT_EQ(r.count, 1);
  EXPECT_EQ(count_ops(r.model->graph, "Flatten"), 0);
  EXPECT_EQ(count_ops(r.model->graph, "Reshape"), 3);
}

// --- the pipeline -------------------------------------------------------------------------

// NHWC input wrapped in transposes, a Conv with BatchNorm and an explicit Pad, an Identity,
// a fully connected layer as MatMul + Add: everything the passes know.
std::shared_ptr<Model> converter_style_model() {
  ModelBuilder b;
  b.input("image", DType::kFloat32, {1, 6, 6, 2}).output("logits");
  b.init("w", random_tensor(DType::kFloat32, {4, 2, 3, 3}, 1));
  b.init("pads", ints({0, 0, 1, 1, 0, 0, 1, 1}));
  b.init("fc", random_tensor(DType::kFloat32, {144, 3}, 2));
  b.init("fc_bias", random_tensor(DType::kFloat32, {3}, 3));
  b.init("flat", ints({1, -1}));
  b.node("Transpose", {"image"}, {"nchw"}).attributes["perm"] = std::vector<int64_t>{0, 3, 1, 2};
  b.node("Pad", {"nchw", "pads"}, {"padded"});
  b.node("Conv", {"padded", "w"}, {"conv"});
  add_bn(b, "conv", "bn", 4, 50);
  b.node("Relu", {"bn"}, {"relu"});
  b.node("Transpose", {"relu"}, {"nhwc"}).attributes["perm"] = std::vector<int64_t>{0, 2, 3, 1};
  b.node("Transpose", {"nhwc"}, {"back"}).attributes["perm"] = std::vector<int64_t>{0, 3, 1, 2};
  b.node("Identity", {"back"}, {"same"});
  b.node("Reshape", {"same", "flat"}, {"flat_out"});
  b.node("MatMul", {"flat_out", "fc"}, {"mm"});
  b.node("Add", {"mm", "fc_bias"}, {"logits"});
  return b.build();
}

TEST(PassesOptimize, RunsEveryPassToAFixedPoint) {
  auto original = converter_style_model();
  OptimizeOptions options;
  options.check = true;
  auto r = apply_pass(
      original,
      [&](Model& m) -> Expected<int64_t> {
        LEDGE_ASSIGN(OptimizeReport report, optimize_model(m, options));
        EXPECT_EQ(report.nodes_before, 11);
        EXPECT_EQ(report.nodes_after, 5);
        int64_t total = 0;
        for (const auto& p : report.passes) total += p.nodes_removed;
        EXPECT_EQ(total, report.nodes_before - report.nodes_after);
        return report.nodes_before - report.nodes_after;
      },
      1e-4, 1e-5);
  std::vector<std::string> ops;
  for (const auto& n : r.model->graph.nodes) ops.push_back(n.op_type);
  EXPECT_EQ(ops, (std::vector<std::string>{"Transpose", "Conv", "Relu", "Reshape", "Gemm"}));
}

TEST(PassesOptimize, RejectsUnknownPassNames) {
  auto m = converter_style_model();
  OptimizeOptions options;
  options.skip = {"fold_everything"};
  auto r = optimize_model(*m, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  options.skip = {"fold_batch_norm"};
  auto kept = optimize_model(*m, options);
  ASSERT_TRUE(kept.ok()) << kept.error().message();
  EXPECT_EQ(count_ops(m->graph, "BatchNormalization"), 1);
}

}  // namespace
}  // namespace ledge
