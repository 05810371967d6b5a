#include <gtest/gtest.h>

#include "ir/stats.h"
#include "ir/verifier.h"
#include "runtime/infer_types.h"
#include "runtime/session.h"

namespace ledge {
namespace {

Node make_node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.op_type = op;
  n.name = out.empty() ? op : out[0];
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

ValueInfo value(const std::string& name) {
  ValueInfo v;
  v.name = name;
  return v;
}

Graph chain_graph() {
  Graph g;
  ValueInfo x = value("x");
  x.type = {DType::kFloat32, std::vector<int64_t>{-1, 4}};
  x.dim_names = {"batch", ""};
  g.inputs.push_back(x);
  g.outputs.push_back(value("z"));
  // Deliberately out of order: z needs y.
  g.nodes.push_back(make_node("Abs", {"y"}, {"z"}));
  g.nodes.push_back(make_node("Relu", {"x"}, {"y"}));
  return g;
}

TEST(Verifier, RejectsUseBeforeDefinition) {
  Graph g = chain_graph();
  Status s = verify_graph(g);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("'y'"), std::string::npos);
}

TEST(Verifier, SortFixesOrder) {
  Graph g = chain_graph();
  ASSERT_TRUE(sort_topologically(g).ok());
  EXPECT_EQ(g.nodes[0].op_type, "Relu");
  EXPECT_TRUE(verify_graph(g).ok());
}

TEST(Verifier, RejectsDoubleDefinition) {
  Graph g = chain_graph();
  g.nodes.push_back(make_node("Relu", {"x"}, {"y"}));
  ASSERT_TRUE(sort_topologically(g).ok());
  EXPECT_FALSE(verify_graph(g).ok());
}

TEST(Verifier, SubgraphSeesOuterScope) {
  Graph g = chain_graph();
  ASSERT_TRUE(sort_topologically(g).ok());
  auto body = std::make_shared<Graph>();
  body->nodes.push_back(make_node("Relu", {"y"}, {"inner"}));  // reads outer 'y'
  body->outputs.push_back(value("inner"));
  Node n = make_node("If", {"x"}, {"w"});
  n.attributes["then_branch"] = body;
  g.nodes.push_back(n);
  EXPECT_TRUE(verify_graph(g).ok());
  EXPECT_EQ(outer_scope_reads(*body), std::set<std::string>{"y"});
  // Reading something nobody defines is caught inside the subgraph too.
  body->nodes[0].inputs[0] = "ghost";
  EXPECT_FALSE(verify_graph(g).ok());
}

TEST(InferTypes, PropagatesShapesAndOverrides) {
  Graph g = chain_graph();
  ASSERT_TRUE(sort_topologically(g).ok());
  ASSERT_TRUE(infer_types(g, 13).ok());
  EXPECT_EQ(g.value_types["z"].to_string(), "float32[?x4]");
  ASSERT_TRUE(apply_shape_overrides(g, {{"x", {8, 4}}}).ok());
  ASSERT_TRUE(infer_types(g, 13).ok());
  EXPECT_EQ(g.value_types["z"].to_string(), "float32[8x4]");
  EXPECT_FALSE(apply_shape_overrides(g, {{"x", {8, 5}}}).ok());  // contradicts 4
  EXPECT_FALSE(apply_shape_overrides(g, {{"x", {8}}}).ok());     // wrong rank
  EXPECT_FALSE(apply_shape_overrides(g, {{"nope", {8}}}).ok());
}

// A rank taken from a declared dimension: Reshape's target shape declared [2^40] long (a
// fuzzed file) is an error that names it, not an allocation of 2^40 dimensions.
TEST(InferTypes, AbsurdRankIsAnError) {
  Graph g;
  ValueInfo x = value("x"), shape = value("shape");
  x.type = TensorType{DType::kFloat32, Shape{2, 3}};
  shape.type = TensorType{DType::kInt64, Shape{int64_t{1} << 40}};
  g.inputs = {x, shape};
  g.nodes.push_back(make_node("Reshape", {"x", "shape"}, {"y"}));
  g.outputs.push_back(value("y"));
  const Status st = infer_types(g, 13);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("rank"), std::string::npos) << st.error().message();
  shape.type = TensorType{DType::kInt64, Shape{3}};
  g.inputs = {x, shape};
  ASSERT_TRUE(infer_types(g, 13).ok());
  EXPECT_EQ(g.value_types["y"].to_string(), "float32[?x?x?]");
}

TEST(Session, RunsAndReleasesIntermediates) {
  auto model = std::make_shared<Model>();
  model->opsets[""] = 13;
  model->graph = chain_graph();
  ASSERT_TRUE(sort_topologically(model->graph).ok());
  auto s = Session::create(model);
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto x = Tensor::from_vector<float>({-1, 2, -3, 4}, {1, 4});
  std::vector<std::string> seen;
  RunOptions opts;
  opts.observer = [&](const Node&, const std::string& name, const Tensor&) {
    seen.push_back(name);
  };
  auto out = (*s)->run({{"x", x}}, opts);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ((*out)[0].to_int64_vector(), (std::vector<int64_t>{0, 2, 0, 4}));
  EXPECT_EQ(seen, (std::vector<std::string>{"y", "z"}));
}

TEST(Stats, CountsOperatorsAndParameters) {
  Graph g = chain_graph();
  g.initializers["w"] = Tensor::from_vector<float>({1, 2, 3}, {3});
  const ModelStats s = compute_stats(g);
  EXPECT_EQ(s.op_histogram.at("Relu"), 1);
  EXPECT_EQ(s.parameter_count, 3);
  EXPECT_EQ(s.parameter_bytes, 12);
}

}  // namespace
}  // namespace ledge
