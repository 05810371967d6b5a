// Quantization into QDQ form (src/quant/quantize_qdq.h): the structure it writes, the
// integer values of weights and bias, and that the quantized model computes nearly what the
// float one does.
#include "quant/quantize_qdq.h"

#include <gtest/gtest.h>

#include <cmath>

#include "model_builder.h"
#include "quant/calibrate.h"
#include "runtime/session.h"

namespace ledge {
namespace {

using testing::ModelBuilder;
using testing::random_tensor;

// Conv(3x3, bias) -> Relu -> Conv(1x1) -> Flatten -> Gemm(transB) -> logits.
std::shared_ptr<Model> small_cnn() {
  ModelBuilder b(13);
  b.input("x", DType::kFloat32, {-1, 2, 6, 6});
  b.init("w1", random_tensor(DType::kFloat32, {4, 2, 3, 3}, 1));
  b.init("b1", random_tensor(DType::kFloat32, {4}, 2));
  b.init("w2", random_tensor(DType::kFloat32, {3, 4, 1, 1}, 3));
  b.init("fc", random_tensor(DType::kFloat32, {5, 3 * 4 * 4}, 4));
  b.init("fcb", random_tensor(DType::kFloat32, {5}, 5));
  b.node("Conv", {"x", "w1", "b1"}, {"c1"});
  b.node("Relu", {"c1"}, {"r1"});
  b.node("Conv", {"r1", "w2"}, {"c2"});
  b.node("Flatten", {"c2"}, {"f"});
  b.node("Gemm", {"f", "fc", "fcb"}, {"logits"}).attributes["transB"] = int64_t{1};
  b.output("logits");
  return b.build();
}

Dataset random_data(int64_t n) {
  Dataset d;
  d.samples = random_tensor(DType::kFloat32, {n, 2, 6, 6}, 9);
  d.source = "random";
  return d;
}

TEST(QuantizeQdq, WritesQdqPairsIntegerWeightsAndBias) {
  auto model = small_cnn();
  QuantizeOptions o;
  const auto names = tensors_to_calibrate(*model, o);
  // Activation inputs and outputs of the three quantized nodes; the first Conv's pair
  // follows its Relu (r1, not c1); the graph output stays float.
  EXPECT_EQ(names, (std::set<std::string>{"x", "r1", "c2", "f"}));
  auto ranges = calibrate(model, random_data(16), "x", names, {}, {});
  ASSERT_TRUE(ranges.ok()) << ranges.error().message();
  auto q = quantize_qdq(*model, *ranges, o);
  ASSERT_TRUE(q.ok()) << q.error().message();

  std::map<std::string, int> ops;
  for (const Node& n : (*q)->graph.nodes) ++ops[n.op_type];
  EXPECT_EQ(ops["Conv"], 2);
  EXPECT_EQ(ops["Gemm"], 1);
  EXPECT_EQ(ops["QuantizeLinear"], 4);  // x, r1, c2, f
  // 4 activation pairs + 3 weights + 2 biases
  EXPECT_EQ(ops["DequantizeLinear"], 9);
  for (const Node& n : (*q)->graph.nodes) {
    if (n.op_type == "Relu") {
      EXPECT_EQ(n.inputs[0], "c1");  // Conv -> Relu stays one unit
    }
  }

  // Per-channel int8 weights: every channel's largest magnitude maps to +-127, and each
  // dequantized weight is within half a step of the float one.
  const Graph& g = (*q)->graph;
  const Tensor& w = model->graph.initializers.at("w1");
  const Tensor& wq = g.initializers.at("w1_quantized");
  const Tensor& ws = g.initializers.at("w1_scale");
  ASSERT_EQ(wq.dtype(), DType::kInt8);
  ASSERT_EQ(ws.shape(), (Shape{4}));
  for (int64_t i = 0; i < w.numel(); ++i) {
    const float s = ws.data<float>()[i / 18];
    EXPECT_LE(std::fabs(wq.data<int8_t>()[i] * s - w.data<float>()[i]), s / 2 + 1e-7f);
  }
  // int32 bias with scale = input scale x weight scale.
  const Tensor& bq = g.initializers.at("b1_quantized");
  ASSERT_EQ(bq.dtype(), DType::kInt32);
  const float sx = g.initializers.at("x_scale").data<float>()[0];
  EXPECT_FLOAT_EQ(g.initializers.at("b1_scale").data<float>()[2], sx * ws.data<float>()[2]);

  // The quantized model computes nearly the float model's logits.
  auto fs = Session::create(model);
  auto qs = Session::create(*q);
  ASSERT_TRUE(fs.ok() && qs.ok());
  const Tensor x = random_tensor(DType::kFloat32, {4, 2, 6, 6}, 11);
  auto want = (*fs)->run({{"x", x}});
  auto got = (*qs)->run({{"x", x}});
  ASSERT_TRUE(want.ok() && got.ok()) << (got.ok() ? "" : got.error().message());
  double worst = 0, largest = 0;
  for (int64_t i = 0; i < (*want)[0].numel(); ++i) {
    worst = std::max(worst, std::fabs((*want)[0].as_double(i) - (*got)[0].as_double(i)));
    largest = std::max(largest, std::fabs((*want)[0].as_double(i)));
  }
  EXPECT_LT(worst, 0.05 * largest);
  EXPECT_GT(worst, 0.0);  // it did quantize
}

TEST(QuantizeQdq, KeepFloatAndPerTensor) {
  auto model = small_cnn();
  QuantizeOptions o;
  o.per_channel = false;
  o.unsigned_activations = false;
  o.keep_float = {"c2"};
  const auto names = tensors_to_calibrate(*model, o);
  EXPECT_FALSE(names.count("c2"));  // neither c2 nor its input are needed by c2 itself
  auto ranges = calibrate(model, random_data(8), "x", names, {}, {});
  ASSERT_TRUE(ranges.ok()) << ranges.error().message();
  auto q = quantize_qdq(*model, *ranges, o);
  ASSERT_TRUE(q.ok()) << q.error().message();
  int convs_reading_float_weights = 0;
  for (const Node& n : (*q)->graph.nodes)
    if (n.op_type == "Conv" && n.inputs[1] == "w2") ++convs_reading_float_weights;
  EXPECT_EQ(convs_reading_float_weights, 1);
  const Tensor& ws = (*q)->graph.initializers.at("w1_scale");
  EXPECT_EQ(ws.rank(), 0);  // one scale for the tensor
  EXPECT_EQ((*q)->graph.initializers.at("x_zero_point").dtype(), DType::kInt8);
}

TEST(QuantizeQdq, MissingRangeIsAnError) {
  auto model = small_cnn();
  auto q = quantize_qdq(*model, {}, {});
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message().find("no calibrated range"), std::string::npos);
}

}  // namespace
}  // namespace ledge
