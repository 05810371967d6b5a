// Tensor-manipulation operators: behaviour the ONNX backend tests do not reach (shape-only
// evaluation, static inference with unknown dimensions, bad indices).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "ops/kernel.h"
#include "runtime/run_node.h"

namespace ledge {
namespace {

Node make_node(const std::string& op, size_t num_inputs, size_t num_outputs = 1) {
  Node n;
  n.op_type = op;
  for (size_t i = 0; i < num_inputs; ++i) n.inputs.push_back("in" + std::to_string(i));
  for (size_t i = 0; i < num_outputs; ++i) n.outputs.push_back("out" + std::to_string(i));
  return n;
}

Expected<std::vector<Tensor>> run(const Node& node, const std::vector<const Tensor*>& inputs,
                                  int64_t opset = 13) {
  const OpKernel* op = find_op("", node.op_type);
  if (!op) return unsupported(node.op_type + " is not registered");
  return run_node(*op, node, opset, inputs, nullptr);
}

Tensor ints(const std::vector<int64_t>& v) {
  return Tensor::from_vector<int64_t>(v, {static_cast<int64_t>(v.size())});
}

Tensor floats(const std::vector<float>& v, Shape shape) {
  return Tensor::from_vector<float>(v, std::move(shape));
}

// Static inference evaluates Shape and Size over a tensor that has a shape but no data.
TEST(ShapeOps, ReadOnlyTheShape) {
  const Tensor no_data = Tensor::borrow(DType::kFloat32, {2, 3, 4}, nullptr, nullptr);
  Node shape = make_node("Shape", 1);
  shape.attributes["start"] = int64_t{1};
  auto s = run(shape, {&no_data}, 15);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ((*s)[0].to_int64_vector(), (std::vector<int64_t>{3, 4}));
  auto n = run(make_node("Size", 1), {&no_data});
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ((*n)[0].as_int64(0), 24);
}

TEST(Reshape, InfersUnknownDimensionsStatically) {
  const OpKernel* op = find_op("", "Reshape");
  ASSERT_NE(op, nullptr);
  Node node = make_node("Reshape", 2);
  const TensorType data{DType::kFloat32, std::vector<int64_t>{-1, 3, 4}};
  const TensorType shape_type{DType::kInt64, std::vector<int64_t>{3}};
  const Tensor target = ints({0, -1, 2});
  InferContext c(node, 13, {&data, &shape_type}, {nullptr, &target}, 1);
  ASSERT_TRUE(op->infer(c).ok());
  // The batch dimension is copied (unknown); -1 cannot be resolved without it.
  EXPECT_EQ(*c.outputs()[0].shape, (std::vector<int64_t>{-1, -1, 2}));

  // Unknown target values of known length give the rank.
  InferContext c2(node, 13, {&data, &shape_type}, {nullptr, nullptr}, 1);
  ASSERT_TRUE(op->infer(c2).ok());
  EXPECT_EQ(*c2.outputs()[0].shape, (std::vector<int64_t>{-1, -1, -1}));
}

TEST(Slice, ClampsExtremeBounds) {
  const Tensor x = floats({0, 1, 2, 3, 4}, {5});
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const int64_t hi = std::numeric_limits<int64_t>::max();
  const Tensor starts = ints({hi}), ends = ints({lo}), axes = ints({0}), steps = ints({-2});
  auto y = run(make_node("Slice", 5), {&x, &starts, &ends, &axes, &steps});
  ASSERT_TRUE(y.ok()) << y.error().message();
  EXPECT_EQ((*y)[0].to_int64_vector(), (std::vector<int64_t>{4, 2, 0}));
}

// Indices come from data: out-of-range ones are errors, never out-of-bounds reads or writes.
TEST(IndexOps, RejectOutOfRangeIndices) {
  const Tensor x = floats({0, 1, 2, 3, 4, 5}, {2, 3});
  const Tensor bad = ints({3});
  const Tensor bad2 = Tensor::from_vector<int64_t>({0, 0, 7}, {1, 3});
  const Tensor upd = floats({1, 1, 1}, {1, 3});
  const Tensor nd = Tensor::from_vector<int64_t>({1, -4}, {1, 2});
  const Tensor nd_upd = floats({9}, {1});

  Node gather = make_node("Gather", 2);
  gather.attributes["axis"] = int64_t{1};
  Node elements = make_node("GatherElements", 2);
  elements.attributes["axis"] = int64_t{1};
  Node scatter = make_node("ScatterElements", 3);
  scatter.attributes["axis"] = int64_t{1};

  struct Case {
    Node node;
    std::vector<const Tensor*> inputs;
  };
  const Case cases[] = {
      {gather, {&x, &bad}},
      {make_node("Gather", 2), {&x, &bad}},
      {elements, {&x, &bad2}},
      {scatter, {&x, &bad2, &upd}},
      {make_node("GatherND", 2), {&x, &nd}},
      {make_node("ScatterND", 3), {&x, &nd, &nd_upd}},
  };
  for (const auto& k : cases) {
    auto y = run(k.node, k.inputs);
    ASSERT_FALSE(y.ok()) << k.node.op_type;
    EXPECT_EQ(y.error().code(), ErrorCode::kInvalidArgument) << k.node.op_type;
    EXPECT_NE(y.error().message().find("out of range"), std::string::npos) << y.error().message();
  }
}

TEST(OneHot, IgnoresIndicesOutsideDepth) {
  const Tensor ind = ints({1, 9, -1});
  const Tensor depth = ints({3});
  const Tensor values = floats({0, 5}, {2});
  auto y = run(make_node("OneHot", 3), {&ind, &depth, &values}, 11);
  ASSERT_TRUE(y.ok()) << y.error().message();
  EXPECT_EQ((*y)[0].shape(), (Shape{3, 3}));
  EXPECT_EQ((*y)[0].to_int64_vector(), (std::vector<int64_t>{0, 5, 0, 0, 0, 0, 0, 0, 5}));
}

TEST(TopK, KeepsLowerIndexFirstOnTies) {
  const Tensor x = floats({2, 7, 7, 1, 7}, {5});
  const Tensor k = ints({3});
  auto y = run(make_node("TopK", 2, 2), {&x, &k}, 11);
  ASSERT_TRUE(y.ok()) << y.error().message();
  EXPECT_EQ((*y)[1].to_int64_vector(), (std::vector<int64_t>{1, 2, 4}));
}

}  // namespace
}  // namespace ledge
