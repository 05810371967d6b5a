// Edge cases of the quantized operators that the ONNX backend tests do not reach: saturation at
// both ends, ties rounding to even, negative per-axis axes, zero points (absent, per row, per
// channel, in padding), int32 wrap-around, and NonMaxSuppression's thresholds and ties.
// Each test builds a one-node model and runs it through Session.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>

#include "ops/quant_common.h"
#include "runtime/session.h"

namespace ledge {
namespace {

using Attrs = std::map<std::string, AttributeValue>;
using Input = std::optional<Tensor>;

// Runs `op` on the given inputs (nullopt: absent optional input), fed as graph inputs.
Expected<std::vector<Tensor>> run_op(const std::string& op, const std::vector<Input>& inputs,
                                     Attrs attrs = {}, size_t num_outputs = 1, int64_t opset = 13) {
  auto model = std::make_shared<Model>();
  model->opsets[""] = opset;
  Graph& g = model->graph;
  Node node;
  node.op_type = op;
  node.attributes = std::move(attrs);
  std::map<std::string, Tensor> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) {
      node.inputs.push_back("");
      continue;
    }
    const std::string name = "in" + std::to_string(i);
    node.inputs.push_back(name);
    g.inputs.push_back(ValueInfo{name, TensorType{inputs[i]->dtype(), inputs[i]->shape()}, {}});
    feeds[name] = *inputs[i];
  }
  for (size_t i = 0; i < num_outputs; ++i) {
    node.outputs.push_back("out" + std::to_string(i));
    g.outputs.push_back(ValueInfo{"out" + std::to_string(i), TensorType{}, {}});
  }
  g.nodes.push_back(std::move(node));
  LEDGE_ASSIGN(auto session, Session::create(model));
  return session->run(feeds);
}

// Infers the output types of `op` on inputs declared with these (partly unknown) types.
Expected<std::vector<ValueInfo>> infer_op(const std::string& op,
                                          const std::vector<TensorType>& inputs, Attrs attrs = {},
                                          size_t num_outputs = 1, int64_t opset = 13) {
  auto model = std::make_shared<Model>();
  model->opsets[""] = opset;
  Graph& g = model->graph;
  Node node;
  node.op_type = op;
  node.attributes = std::move(attrs);
  for (size_t i = 0; i < inputs.size(); ++i) {
    node.inputs.push_back("in" + std::to_string(i));
    g.inputs.push_back(ValueInfo{node.inputs.back(), inputs[i], {}});
  }
  for (size_t i = 0; i < num_outputs; ++i) {
    node.outputs.push_back("out" + std::to_string(i));
    g.outputs.push_back(ValueInfo{node.outputs.back(), TensorType{}, {}});
  }
  g.nodes.push_back(std::move(node));
  LEDGE_ASSIGN(auto session, Session::create(model));
  return session->outputs();
}

template <class T>
Tensor vec(std::vector<T> v, Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  return Tensor::from_vector(v, std::move(shape));
}
template <class T>
Tensor scalar(T v) {
  return Tensor::from_vector(std::vector<T>{v}, {});
}
template <class T>
std::vector<T> values(const Tensor& t) {
  EXPECT_EQ(t.dtype(), dtype_of<T>());
  return {t.data<T>(), t.data<T>() + t.numel()};
}

// Runs a single-output op and returns output 0 as a vector of T.
template <class T>
std::vector<T> run1(const std::string& op, const std::vector<Input>& inputs, Attrs attrs = {},
                    int64_t opset = 13) {
  auto out = run_op(op, inputs, std::move(attrs), 1, opset);
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message());
  if (!out.ok()) return {};
  return values<T>((*out)[0]);
}

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// ---------------------------------------------------------------------------------------------
// The arithmetic helpers themselves

TEST(QuantCommon, RoundHalfToEven) {
  EXPECT_EQ(quant::round_half_even(0.5f), 0.f);
  EXPECT_EQ(quant::round_half_even(1.5f), 2.f);
  EXPECT_EQ(quant::round_half_even(2.5f), 2.f);
  EXPECT_EQ(quant::round_half_even(-0.5f), 0.f);
  EXPECT_EQ(quant::round_half_even(-1.5f), -2.f);
  EXPECT_EQ(quant::round_half_even(-2.5f), -2.f);
  EXPECT_EQ(quant::round_half_even(2.4999998f), 2.f);
  EXPECT_EQ(quant::round_half_even(2.5000002f), 3.f);
  EXPECT_EQ(quant::round_half_even(8388609.f), 8388609.f);  // 2^23 + 1: already an integer
  EXPECT_EQ(quant::round_half_even(-4.5), -4.0);
}

TEST(QuantCommon, SaturateRoundClampsBeforeConverting) {
  EXPECT_EQ(quant::saturate_round<int8_t>(1e30f, 0), 127);
  EXPECT_EQ(quant::saturate_round<int8_t>(-1e30f, 0), -128);
  EXPECT_EQ(quant::saturate_round<uint8_t>(kInf, 10), 255);
  EXPECT_EQ(quant::saturate_round<uint8_t>(-kInf, 10), 0);
  EXPECT_EQ(quant::saturate_round<uint8_t>(kNaN, 10), 10);  // NaN → the zero point
  EXPECT_EQ(quant::saturate_round<int8_t>(-130.f, 5), -125);
  EXPECT_EQ(quant::saturate_round<int8_t>(-140.f, 5), -128);
}

TEST(QuantCommon, WrapAddWrapsModulo2To32) {
  EXPECT_EQ(quant::wrap_add(std::numeric_limits<int32_t>::max(), 1),
            std::numeric_limits<int32_t>::min());
  EXPECT_EQ(quant::wrap_add(std::numeric_limits<int32_t>::min(), -1),
            std::numeric_limits<int32_t>::max());
}

// ---------------------------------------------------------------------------------------------
// QuantizeLinear

TEST(QuantQuantizeLinear, SaturatesAtBothEndsInt8) {
  const auto y = run1<int8_t>(
      "QuantizeLinear", {vec<float>({127.4f, 127.5f, 1e30f, kInf, -128.4f, -128.5f, -1e30f, -kInf}),
                         scalar(1.f), scalar<int8_t>(0)});
  EXPECT_EQ(y, (std::vector<int8_t>{127, 127, 127, 127, -128, -128, -128, -128}));
}

TEST(QuantQuantizeLinear, SaturatesAtBothEndsUInt8WithZeroPoint) {
  // zero point 200: representable reals are [-200, 55] (scale 1).
  const auto y = run1<uint8_t>(
      "QuantizeLinear", {vec<float>({54.f, 55.f, 56.f, -199.f, -200.f, -201.f, -1000.f, 1000.f}),
                         scalar(1.f), scalar<uint8_t>(200)});
  EXPECT_EQ(y, (std::vector<uint8_t>{254, 255, 255, 1, 0, 0, 0, 255}));
}

TEST(QuantQuantizeLinear, TiesRoundToEven) {
  // x / 2 lands exactly on .5: 1 → 0.5 → 0, 3 → 1.5 → 2, 5 → 2.5 → 2, 7 → 3.5 → 4, negatives alike.
  const auto y = run1<int8_t>(
      "QuantizeLinear", {vec<float>({1, 3, 5, 7, -1, -3, -5, -7}), scalar(2.f), scalar<int8_t>(0)});
  EXPECT_EQ(y, (std::vector<int8_t>{0, 2, 2, 4, 0, -2, -2, -4}));
  // The zero point is added after rounding: 2.5 → 2, + 1 = 3 (not round(3.5) = 4).
  const auto z =
      run1<uint8_t>("QuantizeLinear", {vec<float>({2.5f, 3.5f}), scalar(1.f), scalar<uint8_t>(1)});
  EXPECT_EQ(z, (std::vector<uint8_t>{3, 5}));
}

TEST(QuantQuantizeLinear, DividesRatherThanMultipliesByTheReciprocal) {
  // 0.0775f / 0.001f is exactly 77.5 in float (a tie, → 78), while 0.0775f * (1 / 0.001f) is
  // 77.49999 (→ 77): the reference divides, so fast kernels must too to match it bit for bit.
  const auto y = run1<int8_t>("QuantizeLinear", {vec<float>({0.0775f, -0.0775f, 0.035f}),
                                                 scalar(0.001f), scalar<int8_t>(0)});
  EXPECT_EQ(y, (std::vector<int8_t>{78, -78, 35}));
}

TEST(QuantQuantizeLinear, AbsentZeroPointGivesUInt8) {
  auto out = run_op("QuantizeLinear", {vec<float>({-3.f, 0.f, 3.f, 300.f}), scalar(1.f)});
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(values<uint8_t>((*out)[0]), (std::vector<uint8_t>{0, 0, 3, 255}));
}

TEST(QuantQuantizeLinear, NaNQuantizesToTheZeroPoint) {
  EXPECT_EQ(run1<int8_t>("QuantizeLinear", {vec<float>({kNaN}), scalar(1.f), scalar<int8_t>(-7)}),
            (std::vector<int8_t>{-7}));
}

TEST(QuantQuantizeLinear, Int32Input) {
  const auto y =
      run1<int8_t>("QuantizeLinear", {vec<int32_t>({std::numeric_limits<int32_t>::max(),
                                                    std::numeric_limits<int32_t>::min(), 5, -5, 7}),
                                      scalar(2.f), scalar<int8_t>(0)});
  EXPECT_EQ(y, (std::vector<int8_t>{127, -128, 2, -2, 4}));
}

TEST(QuantQuantizeLinear, PerAxisWithNegativeAxis) {
  // x is [2, 3, 2]; axis -2 is dimension 1 (3 channels).
  const Tensor x = vec<float>({10, 11, 20, 21, 40, 41, 10, 11, 20, 21, 40, 41}, {2, 3, 2});
  const auto y =
      run1<int8_t>("QuantizeLinear", {x, vec<float>({1.f, 2.f, 4.f}), vec<int8_t>({0, 100, -100})},
                   {{"axis", int64_t{-2}}});
  // channel 0: x / 1 + 0; channel 1: x / 2 + 100 (21 / 2 = 10.5 → 10); channel 2: x / 4 - 100.
  EXPECT_EQ(y, (std::vector<int8_t>{10, 11, 110, 110, -90, -90, 10, 11, 110, 110, -90, -90}));
  // axis -1 is dimension 2 (2 values).
  const auto z =
      run1<uint8_t>("QuantizeLinear", {x, vec<float>({1.f, 10.f}), vec<uint8_t>({0, 250})},
                    {{"axis", int64_t{-1}}});
  EXPECT_EQ(z, (std::vector<uint8_t>{10, 251, 20, 252, 40, 254, 10, 251, 20, 252, 40, 254}));
}

TEST(QuantQuantizeLinear, RejectsMismatchedPerAxisParameters) {
  const Tensor x = vec<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  // 2 scales along axis 1 of size 3.
  EXPECT_FALSE(run_op("QuantizeLinear", {x, vec<float>({1, 2}), vec<uint8_t>({0, 0})}).ok());
  // Axis out of range.
  EXPECT_FALSE(run_op("QuantizeLinear", {x, vec<float>({1, 2, 3}), vec<uint8_t>({0, 0, 0})},
                      {{"axis", int64_t{-3}}})
                   .ok());
  // Zero point and scale disagree.
  EXPECT_FALSE(run_op("QuantizeLinear", {x, vec<float>({1, 2, 3}), vec<uint8_t>({0, 0})}).ok());
  // A 2-D scale.
  EXPECT_FALSE(run_op("QuantizeLinear", {x, vec<float>({1, 2, 3, 4, 5, 6}, {2, 3})}).ok());
  // Wrong zero-point type.
  EXPECT_FALSE(run_op("QuantizeLinear", {x, scalar(1.f), scalar<int32_t>(0)}).ok());
}

// ---------------------------------------------------------------------------------------------
// DequantizeLinear

TEST(QuantDequantizeLinear, ZeroPointsAtTheExtremes) {
  EXPECT_EQ(run1<float>("DequantizeLinear",
                        {vec<uint8_t>({0, 255, 128}), scalar(0.5f), scalar<uint8_t>(255)}),
            (std::vector<float>{-127.5f, 0.f, -63.5f}));
  EXPECT_EQ(
      run1<float>("DequantizeLinear", {vec<int8_t>({-128, 127}), scalar(1.f), scalar<int8_t>(127)}),
      (std::vector<float>{-255.f, 0.f}));
  // Without a zero point it is 0.
  EXPECT_EQ(run1<float>("DequantizeLinear", {vec<int8_t>({-128, 127}), scalar(2.f)}),
            (std::vector<float>{-256.f, 254.f}));
}

TEST(QuantDequantizeLinear, Int32WithoutOverflow) {
  EXPECT_EQ(
      run1<float>("DequantizeLinear", {vec<int32_t>({std::numeric_limits<int32_t>::min(), -3, 5}),
                                       scalar(0.5f), scalar<int32_t>(0)}),
      (std::vector<float>{-1073741824.f, -1.5f, 2.5f}));
  // int32 has no zero point: a nonzero one is an error.
  EXPECT_FALSE(
      run_op("DequantizeLinear", {vec<int32_t>({1}), scalar(1.f), scalar<int32_t>(3)}).ok());
}

TEST(QuantDequantizeLinear, PerAxisWithNegativeAxis) {
  const Tensor x = vec<uint8_t>({0, 1, 2, 3, 4, 5}, {3, 2});
  EXPECT_EQ(run1<float>("DequantizeLinear", {x, vec<float>({1.f, 10.f}), vec<uint8_t>({1, 3})},
                        {{"axis", int64_t{-1}}}),
            (std::vector<float>{-1.f, -20.f, 1.f, 0.f, 3.f, 20.f}));
  EXPECT_EQ(
      run1<float>("DequantizeLinear", {x, vec<float>({1.f, 2.f, 3.f}), vec<uint8_t>({0, 2, 4})},
                  {{"axis", int64_t{-2}}}),
      (std::vector<float>{0.f, 1.f, 0.f, 2.f, 0.f, 3.f}));
}

TEST(QuantDequantizeLinear, Opset10PerTensor) {
  EXPECT_EQ(
      run1<float>("DequantizeLinear",
                  {vec<uint8_t>({0, 3, 128, 255}), scalar(2.f), scalar<uint8_t>(128)}, {}, 10),
      (std::vector<float>{-256.f, -250.f, 0.f, 254.f}));
}

// ---------------------------------------------------------------------------------------------
// DynamicQuantizeLinear

std::tuple<std::vector<uint8_t>, float, uint8_t> dynamic_quantize(const Tensor& x) {
  auto out = run_op("DynamicQuantizeLinear", {x}, {}, 3, 11);
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message());
  if (!out.ok()) return {};
  return {values<uint8_t>((*out)[0]), (*out)[1].data<float>()[0], (*out)[2].data<uint8_t>()[0]};
}

TEST(QuantDynamicQuantizeLinear, AllZeroInputUsesScaleOne) {
  auto [y, scale, zp] = dynamic_quantize(vec<float>({0.f, 0.f, 0.f}));
  EXPECT_EQ(scale, 1.f);
  EXPECT_EQ(zp, 0);
  EXPECT_EQ(y, (std::vector<uint8_t>{0, 0, 0}));
}

TEST(QuantDynamicQuantizeLinear, RangeIncludesZero) {
  // All positive: min is taken as 0, so the zero point is 0 and the max maps to 255.
  auto [y, scale, zp] = dynamic_quantize(vec<float>({2.55f, 1.f}));
  EXPECT_EQ(scale, 2.55f / 255.f);
  EXPECT_EQ(zp, 0);
  EXPECT_EQ(y[0], 255);
  // All negative: the zero point is 255 and the min maps to 0.
  auto [y2, scale2, zp2] = dynamic_quantize(vec<float>({-5.1f, -1.f}));
  EXPECT_EQ(scale2, 5.1f / 255.f);
  EXPECT_EQ(zp2, 255);
  EXPECT_EQ(y2[0], 0);
}

TEST(QuantDynamicQuantizeLinear, ZeroPointTieRoundsToEven) {
  // Range [-2.5, 252.5]: scale 1, zero point 2.5 → 2. And x = 0.5 → 0 + 2, x = 1.5 → 2 + 2.
  auto [y, scale, zp] = dynamic_quantize(vec<float>({-2.5f, 252.5f, 0.5f, 1.5f}));
  EXPECT_EQ(scale, 1.f);
  EXPECT_EQ(zp, 2);
  EXPECT_EQ(y, (std::vector<uint8_t>{0, 254, 2, 4}));
}

// ---------------------------------------------------------------------------------------------
// MatMulInteger

TEST(QuantMatMulInteger, PerRowAndPerColumnZeroPoints) {
  // A [2, 2] int8 with per-row zero points, B [2, 3] uint8 with per-column zero points.
  const Tensor a = vec<int8_t>({-128, 127, 0, 5}, {2, 2});
  const Tensor b = vec<uint8_t>({255, 0, 10, 1, 2, 3}, {2, 3});
  const auto y =
      run1<int32_t>("MatMulInteger", {a, b, vec<int8_t>({127, -128}), vec<uint8_t>({0, 255, 10})});
  // A - za = [[-255, 0], [128, 133]]; B - zb = [[255, -255, 0], [1, -253, -7]].
  EXPECT_EQ(y, (std::vector<int32_t>{-65025, 65025, 0, 128 * 255 + 133, -128 * 255 - 133 * 253,
                                     -133 * 7}));
}

TEST(QuantMatMulInteger, PerRowZeroPointsOfBatchedA) {
  // A [2, 2, 1] with zero points [2, 2, 1]; B [1, 1].
  const auto y = run1<int32_t>(
      "MatMulInteger", {vec<uint8_t>({10, 20, 30, 40}, {2, 2, 1}), vec<uint8_t>({2}, {1, 1}),
                        vec<uint8_t>({1, 2, 3, 4}, {2, 2, 1}), std::nullopt});
  EXPECT_EQ(y, (std::vector<int32_t>{18, 36, 54, 72}));
}

TEST(QuantMatMulInteger, AccumulationWrapsInInt32) {
  // Each product is (-128 - 127) * (255 - 0) = -65025; K of them overflow int32 and wrap.
  const int64_t K = 33100;
  const Tensor a = vec<int8_t>(std::vector<int8_t>(static_cast<size_t>(K), -128), {1, K});
  const Tensor b = vec<uint8_t>(std::vector<uint8_t>(static_cast<size_t>(K), 255), {K, 1});
  const auto y = run1<int32_t>("MatMulInteger", {a, b, scalar<int8_t>(127), scalar<uint8_t>(0)});
  ASSERT_EQ(y.size(), 1u);
  const int64_t exact = -65025 * K;
  EXPECT_LT(exact, std::numeric_limits<int32_t>::min());
  EXPECT_EQ(y[0], static_cast<int32_t>(static_cast<uint32_t>(exact)));
}

TEST(QuantMatMulInteger, RejectsMisshapedZeroPoints) {
  const Tensor a = vec<uint8_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = vec<uint8_t>({1, 2, 3}, {3, 1});
  EXPECT_FALSE(run_op("MatMulInteger", {a, b, vec<uint8_t>({1, 2, 3})}).ok());
  EXPECT_FALSE(run_op("MatMulInteger", {a, b, std::nullopt, vec<uint8_t>({1, 2})}).ok());
  EXPECT_FALSE(run_op("MatMulInteger", {a, vec<uint8_t>({1, 2}, {2, 1})}).ok());
}

// ---------------------------------------------------------------------------------------------
// QLinearMatMul

TEST(QuantQLinearMatMul, RequantizationTiesRoundToEvenAndSaturate) {
  // A [1, 1] x B [1, 6] with multiplier (1 * 1) / 2 = 0.5: acc 1, 3, 5, -1, -3 land on ties.
  const Tensor a = vec<int8_t>({1}, {1, 1});
  const Tensor b = vec<int8_t>({1, 3, 5, -1, -3, 127}, {1, 6});
  const auto y = run1<int8_t>("QLinearMatMul",
                              {a, scalar(1.f), scalar<int8_t>(0), b, scalar(1.f), scalar<int8_t>(0),
                               scalar(2.f), scalar<int8_t>(0)},
                              {}, 10);
  EXPECT_EQ(y, (std::vector<int8_t>{0, 2, 2, 0, -2, 64}));
  // Saturation at both ends with a large multiplier and a zero point.
  const auto z = run1<uint8_t>("QLinearMatMul",
                               {a, scalar(1.f), scalar<int8_t>(0), b, scalar(1.f),
                                scalar<int8_t>(0), scalar(0.01f), scalar<uint8_t>(100)},
                               {}, 10);
  EXPECT_EQ(z, (std::vector<uint8_t>{200, 255, 255, 0, 0, 255}));
}

TEST(QuantQLinearMatMul, PerRowAndPerColumnScales) {
  const Tensor a = vec<uint8_t>({3, 5}, {2, 1});
  const Tensor b = vec<uint8_t>({4, 6}, {1, 2});
  // Row scales [1, 2] with zero points [1, 1]; column scales [1, 3] with zero points [0, 2].
  const auto y =
      run1<uint8_t>("QLinearMatMul",
                    {a, vec<float>({1.f, 2.f}), vec<uint8_t>({1, 1}), b, vec<float>({1.f, 3.f}),
                     vec<uint8_t>({0, 2}), scalar(1.f), scalar<uint8_t>(0)},
                    {}, 10);
  // acc = [[2 * 4, 2 * 4], [4 * 4, 4 * 4]] scaled by [[1, 3], [2, 6]].
  EXPECT_EQ(y, (std::vector<uint8_t>{8, 24, 32, 96}));
}

// ---------------------------------------------------------------------------------------------
// ConvInteger / QLinearConv

TEST(QuantConvInteger, PaddingContributesNothingEvenWithAZeroPoint) {
  // 1x1x2x2 input with zero point 7, a 2x2 kernel of ones, padding 1: each output sums the
  // (x - 7) that the window covers; padded taps add nothing.
  const Tensor x = vec<uint8_t>({8, 9, 10, 11}, {1, 1, 2, 2});
  const Tensor w = vec<uint8_t>({1, 1, 1, 1}, {1, 1, 2, 2});
  const auto y = run1<int32_t>("ConvInteger", {x, w, scalar<uint8_t>(7)},
                               {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, 10);
  EXPECT_EQ(y, (std::vector<int32_t>{1, 3, 2, 4, 10, 6, 3, 7, 4}));
}

TEST(QuantConvInteger, PerChannelWeightZeroPointsAndGroups) {
  // Two groups of one channel each; the weight zero point differs per output channel.
  const Tensor x = vec<int8_t>({1, 2, 3, -128, 127, 0}, {1, 2, 3});
  const Tensor w = vec<int8_t>({5, 6, -128, 127}, {2, 1, 2});
  const auto y = run1<int32_t>("ConvInteger", {x, w, scalar<int8_t>(0), vec<int8_t>({5, -128})},
                               {{"group", int64_t{2}}}, 10);
  // channel 0: w - 5 = [0, 1] over x0 → [2, 3]; channel 1: w + 128 = [0, 255] over x1.
  EXPECT_EQ(y, (std::vector<int32_t>{2, 3, 127 * 255, 0}));
}

TEST(QuantConvInteger, SameLowerPutsTheOddPadFirst) {
  // 1-D, kernel 2, stride 1: total pad 1, which SAME_LOWER puts at the beginning.
  const Tensor x = vec<uint8_t>({1, 2, 3}, {1, 1, 3});
  const Tensor w = vec<uint8_t>({1, 10}, {1, 1, 2});
  EXPECT_EQ(run1<int32_t>("ConvInteger", {x, w}, {{"auto_pad", std::string("SAME_LOWER")}}, 10),
            (std::vector<int32_t>{10, 21, 32}));
  EXPECT_EQ(run1<int32_t>("ConvInteger", {x, w}, {{"auto_pad", std::string("SAME_UPPER")}}, 10),
            (std::vector<int32_t>{21, 32, 3}));
}

TEST(QuantConvInteger, RejectsBadGeometry) {
  const Tensor x = vec<uint8_t>({1, 2, 3}, {1, 1, 3});
  const Tensor w = vec<uint8_t>({1, 1, 1, 1}, {1, 1, 4});
  EXPECT_FALSE(run_op("ConvInteger", {x, w}).ok());  // kernel larger than the input
  const Tensor w2 = vec<uint8_t>({1}, {1, 1, 1});
  EXPECT_FALSE(run_op("ConvInteger", {x, w2}, {{"strides", std::vector<int64_t>{0}}}).ok());
  EXPECT_FALSE(run_op("ConvInteger", {x, w2}, {{"group", int64_t{2}}}).ok());
  EXPECT_FALSE(run_op("ConvInteger", {x, w2, vec<uint8_t>({1, 2})}).ok());  // x zp not scalar
}

TEST(QuantQLinearConv, BiasPerChannelScalesTiesAndSaturation) {
  // 1x1x1x1 input, two output channels of a 1x1 kernel: acc = (x - 1) * (w - 0) + bias.
  const Tensor x = vec<uint8_t>({2}, {1, 1, 1, 1});
  const Tensor w = vec<int8_t>({3, -1}, {2, 1, 1, 1});
  // Channel 0: (1 * 3 + 2) * (1 * 1 / 2) = 2.5 → 2; channel 1: (-1 - 400) * (1 * 4 / 2) → -802,
  // saturated to 0 - 10 → y = 0.
  const auto y =
      run1<uint8_t>("QLinearConv",
                    {x, scalar(1.f), scalar<uint8_t>(1), w, vec<float>({1.f, 4.f}),
                     scalar<int8_t>(0), scalar(2.f), scalar<uint8_t>(10), vec<int32_t>({2, -400})},
                    {}, 10);
  EXPECT_EQ(y, (std::vector<uint8_t>{12, 0}));
}

TEST(QuantQLinearConv, RejectsMisshapedParameters) {
  const Tensor x = vec<uint8_t>({2}, {1, 1, 1, 1});
  const Tensor w = vec<int8_t>({3, -1}, {2, 1, 1, 1});
  const auto run_with = [&](Input w_scale, Input bias) {
    return run_op("QLinearConv",
                  {x, scalar(1.f), scalar<uint8_t>(1), w, w_scale, scalar<int8_t>(0), scalar(2.f),
                   scalar<uint8_t>(10), bias},
                  {}, 1, 10);
  };
  EXPECT_FALSE(run_with(vec<float>({1.f, 2.f, 3.f}), std::nullopt).ok());
  EXPECT_FALSE(run_with(scalar(1.f), vec<int32_t>({1, 2, 3})).ok());
  EXPECT_TRUE(run_with(scalar(1.f), vec<int32_t>({1, 2})).ok());
}

// ---------------------------------------------------------------------------------------------
// NonMaxSuppression

// Three boxes of one class: 0 and 1 overlap heavily, 2 is apart.
Tensor nms_boxes() { return vec<float>({0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, 10, 1, 11}, {1, 3, 4}); }

std::vector<int64_t> nms(const Tensor& scores, Input max_out, Input iou, Input score_thr) {
  auto out = run_op("NonMaxSuppression", {nms_boxes(), scores, max_out, iou, score_thr}, {}, 1, 11);
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message());
  if (!out.ok()) return {};
  EXPECT_EQ((*out)[0].dim(1), 3);
  return values<int64_t>((*out)[0]);
}

TEST(QuantNonMaxSuppression, ScoreThresholdIsStrict) {
  const Tensor scores = vec<float>({0.9f, 0.5f, 0.4f}, {1, 1, 3});
  // Box 2 scores exactly the threshold: excluded.
  EXPECT_EQ(nms(scores, vec<int64_t>({10}), vec<float>({0.5f}), vec<float>({0.4f})),
            (std::vector<int64_t>{0, 0, 0}));
}

TEST(QuantNonMaxSuppression, MaxOutputZeroOrAbsentGivesAnEmptyResult) {
  const Tensor scores = vec<float>({0.9f, 0.5f, 0.4f}, {1, 1, 3});
  auto out = run_op("NonMaxSuppression", {nms_boxes(), scores}, {}, 1, 11);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ((*out)[0].shape(), (Shape{0, 3}));
  EXPECT_TRUE(nms(scores, vec<int64_t>({0}), std::nullopt, std::nullopt).empty());
  EXPECT_TRUE(nms(scores, vec<int64_t>({-5}), std::nullopt, std::nullopt).empty());
}

TEST(QuantNonMaxSuppression, EqualScoresKeepTheLowerIndexFirst) {
  // All scores equal, IoU threshold 1 (nothing is suppressed): order is by index.
  const Tensor scores = vec<float>({0.5f, 0.5f, 0.5f}, {1, 1, 3});
  EXPECT_EQ(nms(scores, vec<int64_t>({3}), vec<float>({1.f}), std::nullopt),
            (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 0, 0, 2}));
  // With IoU threshold 0.5, box 1 (IoU 0.82 with box 0) goes.
  EXPECT_EQ(nms(scores, vec<int64_t>({3}), vec<float>({0.5f}), std::nullopt),
            (std::vector<int64_t>{0, 0, 0, 0, 0, 2}));
}

TEST(QuantNonMaxSuppression, IouMustExceedTheThreshold) {
  // Box 1 lies inside box 0 and covers half of it: IoU exactly 0.5, which does not exceed
  // the threshold 0.5, so both are kept.
  const Tensor boxes = vec<float>({0, 0, 1, 2, 0, 0, 1, 1}, {1, 2, 4});
  const Tensor scores = vec<float>({0.9f, 0.8f}, {1, 1, 2});
  auto out =
      run_op("NonMaxSuppression",
             {boxes, scores, vec<int64_t>({5}), vec<float>({0.5f}), std::nullopt}, {}, 1, 11);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(values<int64_t>((*out)[0]), (std::vector<int64_t>{0, 0, 0, 0, 0, 1}));
}

TEST(QuantNonMaxSuppression, RejectsBadInputs) {
  const Tensor scores = vec<float>({0.9f, 0.5f, 0.4f}, {1, 1, 3});
  EXPECT_FALSE(run_op("NonMaxSuppression",
                      {nms_boxes(), scores, vec<int64_t>({1}), vec<float>({1.5f})}, {}, 1, 11)
                   .ok());
  EXPECT_FALSE(
      run_op("NonMaxSuppression", {nms_boxes(), vec<float>({0.9f, 0.5f}, {1, 1, 2})}, {}, 1, 11)
          .ok());
  EXPECT_FALSE(
      run_op("NonMaxSuppression", {nms_boxes(), scores}, {{"center_point_box", int64_t{2}}}, 1, 11)
          .ok());
}

// ---------------------------------------------------------------------------------------------
// Static inference with unknown dimensions

TEST(QuantStaticInference, KeepsKnownDimsAndMarksUnknownOnes) {
  const auto u8 = [](std::vector<int64_t> d) { return TensorType{DType::kUInt8, std::move(d)}; };
  const TensorType f32{DType::kFloat32, std::vector<int64_t>{}};
  auto conv = infer_op("ConvInteger", {u8({-1, 2, 5, -1}), u8({4, 1, 3, 3})},
                       {{"group", int64_t{2}}, {"strides", std::vector<int64_t>{2, 2}}}, 1, 10);
  ASSERT_TRUE(conv.ok()) << conv.error().message();
  EXPECT_EQ((*conv)[0].type.to_string(), (TensorType{DType::kInt32, {{-1, 4, 2, -1}}}).to_string());

  auto qconv = infer_op(
      "QLinearConv",
      {u8({1, 3, -1, 8}), f32, u8({}), TensorType{DType::kInt8, {{6, 3, 3, 3}}},
       TensorType{DType::kFloat32, {{6}}}, TensorType{DType::kInt8, {{6}}}, f32,
       TensorType{DType::kInt8, {{}}}},
      {{"auto_pad", std::string("SAME_UPPER")}, {"strides", std::vector<int64_t>{1, 3}}}, 1, 10);
  ASSERT_TRUE(qconv.ok()) << qconv.error().message();
  EXPECT_EQ((*qconv)[0].type.to_string(), (TensorType{DType::kInt8, {{1, 6, -1, 3}}}).to_string());

  auto mm =
      infer_op("MatMulInteger", {u8({-1, 3}), TensorType{DType::kInt8, {{2, 3, 4}}}}, {}, 1, 10);
  ASSERT_TRUE(mm.ok()) << mm.error().message();
  EXPECT_EQ((*mm)[0].type.to_string(), (TensorType{DType::kInt32, {{2, -1, 4}}}).to_string());

  auto q = infer_op("QuantizeLinear", {TensorType{DType::kFloat32, {{-1, 3}}}, f32});
  ASSERT_TRUE(q.ok()) << q.error().message();
  EXPECT_EQ((*q)[0].type.to_string(), (TensorType{DType::kUInt8, {{-1, 3}}}).to_string());

  auto nms = infer_op(
      "NonMaxSuppression",
      {TensorType{DType::kFloat32, {{-1, -1, 4}}}, TensorType{DType::kFloat32, std::nullopt}}, {},
      1, 11);
  ASSERT_TRUE(nms.ok()) << nms.error().message();
  EXPECT_EQ((*nms)[0].type.to_string(), (TensorType{DType::kInt64, {{-1, 3}}}).to_string());
}

TEST(QuantStaticInference, RejectsKnownMismatches) {
  const auto u8 = [](std::vector<int64_t> d) { return TensorType{DType::kUInt8, std::move(d)}; };
  // K mismatch, channel mismatch, wrong rank of boxes.
  EXPECT_FALSE(infer_op("MatMulInteger", {u8({-1, 3}), u8({4, 2})}, {}, 1, 10).ok());
  EXPECT_FALSE(infer_op("ConvInteger", {u8({1, 3, 5, 5}), u8({4, 2, 3, 3})}, {}, 1, 10).ok());
  EXPECT_FALSE(
      infer_op("NonMaxSuppression",
               {TensorType{DType::kFloat32, {{1, 4}}}, TensorType{DType::kFloat32, {{1, 1, 4}}}},
               {}, 1, 11)
          .ok());
  // A per-axis scale whose length disagrees with the (known) axis dimension.
  EXPECT_FALSE(infer_op("QuantizeLinear",
                        {TensorType{DType::kFloat32, {{2, 3}}}, TensorType{DType::kFloat32, {{2}}}})
                   .ok());
}

}  // namespace
}  // namespace ledge
