// Quantized models end to end: `quantize_qdq` output lowered to integer operators
// (src/lower/fuse_quantized.cpp) computes what the QDQ model computes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

#include "integer_test_util.h"
#include "lower/lower.h"
#include "model_builder.h"
#include "quant/calibrate.h"
#include "quant/quantize_qdq.h"
#include "runtime/infer_types.h"
#include "runtime/session.h"

namespace ledge {
namespace {

using testing::ModelBuilder;
using testing::random_tensor;
using testing::run_one;

// The largest difference between the integer path's output and the QDQ model's, and the
// largest magnitude of the latter (the tolerance is a fraction of it).
struct Deviation {
  double worst = 0, spread = 0;
};
Deviation deviation(const Tensor& want, const Tensor& got) {
  Deviation d;
  for (int64_t i = 0; i < want.numel(); ++i) {
    d.worst = std::max(d.worst, std::fabs(want.as_double(i) - got.as_double(i)));
    d.spread = std::max(d.spread, std::fabs(want.as_double(i)));
  }
  return d;
}

// `model` (input "x") calibrated on `samples` and quantized to QDQ with options `o`; the
// operators of that QDQ model after the CPU lowering, counted by type.
void quantize_and_lower(const std::shared_ptr<Model>& model, Tensor samples,
                        const QuantizeOptions& o, std::shared_ptr<Model>* qdq,
                        std::map<std::string, int>* lowered_ops) {
  Dataset calib;
  calib.samples = std::move(samples);
  auto ranges = calibrate(model, calib, "x", tensors_to_calibrate(*model, o), {}, {});
  ASSERT_TRUE(ranges.ok()) << ranges.error().message();
  auto q = quantize_qdq(*model, *ranges, o);
  ASSERT_TRUE(q.ok()) << q.error().message();
  Model lowered = **q;
  ASSERT_TRUE(prepare_for_cpu(lowered).ok());
  lowered_ops->clear();
  for (const Node& n : lowered.graph.nodes) ++(*lowered_ops)[n.op_type];
  *qdq = *q;
}

// Conv → Relu → MaxPool → Conv → Flatten → Gemm, quantized to QDQ: the lowered model runs on
// integer operators only (one QuantizeLinear for the input, float logits out of the last
// product) and computes the QDQ model's function to within a step of the output.
TEST(QuantizedModel, LowersToIntegerOperators) {
  ModelBuilder b(13);
  b.input("x", DType::kFloat32, {-1, 3, 10, 10});
  b.init("w1", random_tensor(DType::kFloat32, {8, 3, 3, 3}, 1));
  b.init("b1", random_tensor(DType::kFloat32, {8}, 2));
  b.init("w2", random_tensor(DType::kFloat32, {16, 8, 3, 3}, 3));
  b.init("b2", random_tensor(DType::kFloat32, {16}, 4));
  b.init("fc", random_tensor(DType::kFloat32, {5, 16 * 3 * 3}, 5));
  b.init("fcb", random_tensor(DType::kFloat32, {5}, 6));
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}).attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  b.node("Relu", {"c1"}, {"r1"});
  Node& pool = b.node("MaxPool", {"r1"}, {"p1"});
  pool.attributes["kernel_shape"] = std::vector<int64_t>{2, 2};
  pool.attributes["strides"] = std::vector<int64_t>{2, 2};
  b.node("Conv", {"p1", "w2", "b2"}, {"c2"});
  b.node("Relu", {"c2"}, {"r2"});
  b.node("Flatten", {"r2"}, {"f"});
  b.node("Gemm", {"f", "fc", "fcb"}, {"logits"}).attributes["transB"] = int64_t{1};
  b.output("logits");
  auto model = b.build();

  for (const bool unsigned_activations : {true, false}) {
    QuantizeOptions o;
    o.unsigned_activations = unsigned_activations;
    std::shared_ptr<Model> q;
    std::map<std::string, int> ops;
    ASSERT_NO_FATAL_FAILURE(
        quantize_and_lower(model, random_tensor(DType::kFloat32, {16, 3, 10, 10}, 9), o, &q, &ops));
    EXPECT_EQ(ops["NhwcQLinearConv"], 2);
    EXPECT_EQ(ops["QFullyConnected"], 1);
    EXPECT_EQ(ops["NhwcMaxPool"], 1);
    EXPECT_EQ(ops["QuantizeLinear"], 1);  // the float input
    EXPECT_EQ(ops["DequantizeLinear"], 0);
    EXPECT_EQ(ops["Conv"] + ops["Gemm"] + ops["NhwcConv"] + ops["FullyConnected"], 0);

    const Tensor x = random_tensor(DType::kFloat32, {2, 3, 10, 10}, 11);
    const Tensor want = run_one(q, {{"x", x}}, false);  // QDQ as written, float in between
    const Tensor got = run_one(q, {{"x", x}}, true);    // integer operators
    ASSERT_EQ(want.shape(), got.shape());
    // Integer and float accumulation round differently: at most a step of r2 or so
    // through the last product; far below the spread of the logits.
    const Deviation d = deviation(want, got);
    EXPECT_LT(d.worst, 0.02 * d.spread) << (unsigned_activations ? "uint8" : "int8");
  }
}

// An upsampling between two quantized convolutions: the linear Resize shares its input's
// parameters, and the lowering runs it on the integers as ledge.QResize (no float island).
// A linear Resize whose output leaves the graph stays float.
TEST(QuantizedModel, LinearResizeRunsOnTheIntegers) {
  for (const bool to_graph_output : {false, true}) {
    ModelBuilder b(13);
    b.input("x", DType::kFloat32, {1, 4, 6, 6});
    b.init("w1", random_tensor(DType::kFloat32, {8, 4, 3, 3}, 31));
    b.init("w2", random_tensor(DType::kFloat32, {6, 8, 3, 3}, 32));
    b.init("scales", Tensor::from_vector<float>({1, 1, 2, 2}, {4}));
    b.node("Conv", {"x", "w1"}, {"c1"}).attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
    b.node("Relu", {"c1"}, {"r1"});
    b.node("Resize", {"r1", "", "scales"}, {"up"}).attributes["mode"] = std::string("linear");
    b.init("fc", random_tensor(DType::kFloat32, {5, 6 * 12 * 12}, 35));
    b.node("Conv", {"up", "w2"}, {"c2"}).attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
    b.node("Relu", {"c2"}, {"r2"});
    b.node("Flatten", {"r2"}, {"f"});
    b.node("Gemm", {"f", "fc"}, {"y"}).attributes["transB"] = int64_t{1};
    b.output("y");
    if (to_graph_output) b.output("up");
    std::shared_ptr<Model> q;
    std::map<std::string, int> ops;
    ASSERT_NO_FATAL_FAILURE(quantize_and_lower(
        b.build(), random_tensor(DType::kFloat32, {8, 4, 6, 6}, 33), QuantizeOptions{}, &q, &ops));
    EXPECT_EQ(ops["QResize"], to_graph_output ? 0 : 1);
    EXPECT_EQ(ops["Resize"], to_graph_output ? 1 : 0);
    EXPECT_EQ(ops["NhwcQLinearConv"], 2);
    EXPECT_EQ(ops["QFullyConnected"], 1);
    // Integer end to end (one DQ/Q pair around the float Resize that leaves the graph).
    EXPECT_EQ(ops["DequantizeLinear"], to_graph_output ? 1 : 0);
    const Tensor x = random_tensor(DType::kFloat32, {1, 4, 6, 6}, 34);
    const Tensor want = run_one(q, {{"x", x}}, false);
    const Tensor got = run_one(q, {{"x", x}}, true);
    const Deviation d = deviation(want, got);
    EXPECT_LT(d.worst, 0.02 * d.spread) << (to_graph_output ? "Resize to the output" : "");
  }
}

// ledge.QResize rounds the interpolated integers half to even, as QuantizeLinear does (Resize
// truncates, like the ONNX reference): 3 and 4 halfway is 4, 4 and 5 halfway is 4.
TEST(QuantizedModel, QResizeRoundsHalfToEven) {
  for (const bool rounded : {true, false}) {
    ModelBuilder b(13);
    b.input("x", DType::kUInt8, {1, 1, 2, 2});
    b.init("scales", Tensor::from_vector<float>({1, 1, 1, 2}, {4}));
    Node& r = b.node("Resize", {"x", "", "scales"}, {"y"});
    r.attributes["mode"] = std::string("linear");
    r.attributes["coordinate_transformation_mode"] = std::string("asymmetric");
    if (rounded) {
      r.domain = "ledge";
      r.op_type = "QResize";
    }
    b.output("y");
    const Tensor y = run_one(
        b.build(), {{"x", Tensor::from_vector<uint8_t>({3, 4, 4, 5}, {1, 1, 2, 2})}}, false);
    ASSERT_EQ(y.shape(), (Shape{1, 1, 2, 4}));
    const std::vector<uint8_t> want = rounded ? std::vector<uint8_t>{3, 4, 4, 4, 4, 4, 5, 5}
                                              : std::vector<uint8_t>{3, 3, 4, 4, 4, 4, 5, 5};
    EXPECT_EQ(std::vector<uint8_t>(y.data<uint8_t>(), y.data<uint8_t>() + 8), want);
  }
}

// Resize's plane loop (rank 4, only height and width interpolated) computes what its general
// loop computes: the same tensor as rank 5 with a resized leading axis of 1 (general loop) gives
// the same integers and floats, for linear and cubic, QResize and Resize.
TEST(QuantizedModel, ResizePlaneLoopMatchesTheGeneralLoop) {
  for (const char* mode : {"linear", "cubic"}) {
    for (const bool integers : {true, false}) {
      Tensor out[2];
      for (int rank5 = 0; rank5 < 2; ++rank5) {
        ModelBuilder b(13);
        const Shape shape = rank5 ? Shape{1, 2, 3, 5, 7} : Shape{2, 3, 5, 7};
        b.input("x", integers ? DType::kUInt8 : DType::kFloat32, shape);
        b.init("scales", rank5 ? Tensor::from_vector<float>({1, 1, 1, 2.5f, 1.5f}, {5})
                               : Tensor::from_vector<float>({1, 1, 2.5f, 1.5f}, {4}));
        Node& r = b.node("Resize", {"x", "", "scales"}, {"y"});
        r.attributes["mode"] = std::string(mode);
        if (integers && std::string(mode) == "linear") {
          r.domain = "ledge";
          r.op_type = "QResize";
        }
        b.output("y");
        Tensor x = integers ? random_tensor(DType::kFloat32, {2 * 3 * 5 * 7}, 41)
                            : random_tensor(DType::kFloat32, shape, 41);
        if (integers) {
          Tensor u = *Tensor::make(DType::kUInt8, shape);
          for (int64_t i = 0; i < u.numel(); ++i)
            u.data<uint8_t>()[i] = static_cast<uint8_t>(std::fabs(x.data<float>()[i]) * 97);
          x = u;
        } else {
          x = *x.reshaped(shape);
        }
        out[rank5] = run_one(b.build(), {{"x", x}}, false);
      }
      ASSERT_EQ(out[0].nbytes(), out[1].nbytes());
      EXPECT_EQ(std::memcmp(out[0].raw(), out[1].raw(), out[0].nbytes()), 0)
          << mode << (integers ? " integers" : " floats");
    }
  }
}

// A residual block quantized to QDQ: the Add of two quantized activations becomes ledge.QAdd
// (which computes the QDQ arithmetic exactly).
TEST(QuantizedModel, ResidualAddBecomesQAdd) {
  ModelBuilder b(13);
  b.input("x", DType::kFloat32, {1, 8, 6, 6});
  b.init("w1", random_tensor(DType::kFloat32, {8, 8, 3, 3}, 21));
  b.init("w2", random_tensor(DType::kFloat32, {8, 8, 3, 3}, 22));
  b.init("w3", random_tensor(DType::kFloat32, {4, 8, 1, 1}, 23));
  b.node("Conv", {"x", "w1"}, {"c1"}).attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  b.node("Relu", {"c1"}, {"r1"});
  b.node("Conv", {"r1", "w2"}, {"c2"}).attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  b.node("Add", {"c2", "r1"}, {"s"});
  b.node("Relu", {"s"}, {"r2"});
  b.node("Conv", {"r2", "w3"}, {"y"});
  b.output("y");
  auto model = b.build();
  ASSERT_TRUE(infer_types(model->graph, 13).ok());  // the quantizer tells float Adds by type
  QuantizeOptions o;
  Dataset calib;
  calib.samples = random_tensor(DType::kFloat32, {8, 8, 6, 6}, 24);
  auto ranges = calibrate(model, calib, "x", tensors_to_calibrate(*model, o), {}, {});
  ASSERT_TRUE(ranges.ok()) << ranges.error().message();
  auto q = quantize_qdq(*model, *ranges, o);
  ASSERT_TRUE(q.ok()) << q.error().message();
  Model lowered = **q;
  ASSERT_TRUE(prepare_for_cpu(lowered).ok());
  int adds = 0;
  for (const Node& n : lowered.graph.nodes) adds += n.op_type == "QAdd";
  EXPECT_EQ(adds, 1);
  const Tensor x = random_tensor(DType::kFloat32, {1, 8, 6, 6}, 25);
  const Tensor want = run_one(*q, {{"x", x}}, false);
  const Tensor got = run_one(*q, {{"x", x}}, true);
  const Deviation d = deviation(want, got);
  EXPECT_LT(d.worst, 0.03 * d.spread);
}

// SqueezeNet's fire module: two quantized convolutions concatenated (then max-pooled, as
// before SqueezeNet's second and third stages, when `pooled`), then a third convolution
// (float: its output is the graph's). The quantizer gives the Concat's inputs and output one
// scale and zero point (the Concat's output need not have been calibrated: a MaxPool reads
// it), so the lowering concatenates and pools the integers, in NHWC like the convolutions:
// no QuantizeLinear, DequantizeLinear or Transpose is left between them, and the result is
// the QDQ model's.
void expect_integer_fire_module(bool pooled) {
  ModelBuilder b(13);
  b.input("x", DType::kFloat32, {1, 4, 6, 6});
  b.init("w1", random_tensor(DType::kFloat32, {6, 4, 1, 1}, 31));
  b.init("w3", random_tensor(DType::kFloat32, {5, 4, 3, 3}, 32));
  b.init("w4", random_tensor(DType::kFloat32, {3, 11, 1, 1}, 33));
  b.node("Conv", {"x", "w1"}, {"c1"});
  b.node("Relu", {"c1"}, {"e1"});
  b.node("Conv", {"x", "w3"}, {"c3"}).attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  b.node("Relu", {"c3"}, {"e3"});
  b.node("Concat", {"e1", "e3"}, {"cat"}).attributes["axis"] = int64_t{1};
  if (pooled) {
    Node& pool = b.node("MaxPool", {"cat"}, {"pool"});
    pool.attributes["kernel_shape"] = std::vector<int64_t>{2, 2};
    pool.attributes["strides"] = std::vector<int64_t>{2, 2};
  }
  b.node("Conv", {pooled ? "pool" : "cat", "w4"}, {"y"});
  b.output("y");
  auto model = b.build();
  QuantizeOptions o;
  Dataset calib;
  calib.samples = random_tensor(DType::kFloat32, {8, 4, 6, 6}, 34);
  auto ranges = calibrate(model, calib, "x", tensors_to_calibrate(*model, o), {}, {});
  ASSERT_TRUE(ranges.ok()) << ranges.error().message();
  // The ranges of the two branches differ (their weights do), so one shared pair is a choice.
  ASSERT_TRUE(ranges->count("e1") && ranges->count("e3"));
  ASSERT_EQ(ranges->count("cat"), pooled ? 0u : 1u);
  auto q = quantize_qdq(*model, *ranges, o);
  ASSERT_TRUE(q.ok()) << q.error().message();
  std::set<std::string> concat_scales;
  for (const Node& n : (*q)->graph.nodes)
    if (n.op_type == "QuantizeLinear" && (n.inputs[0] == "e1" || n.inputs[0] == "e3" ||
                                          n.inputs[0] == "cat" || n.inputs[0] == "pool"))
      concat_scales.insert(std::to_string((*q)->graph.initializers.at(n.inputs[1]).as_double(0)));
  EXPECT_EQ(concat_scales.size(), 1u);

  Model lowered = **q;
  ASSERT_TRUE(prepare_for_cpu(lowered).ok());
  std::map<std::string, int> ops;
  for (const Node& n : lowered.graph.nodes) ++ops[n.op_type];
  EXPECT_EQ(ops["NhwcQLinearConv"], 2);
  EXPECT_EQ(ops["Concat"], 1);
  EXPECT_EQ(ops["NhwcMaxPool"], pooled ? 1 : 0);
  EXPECT_EQ(ops["QuantizeLinear"], 1);    // the float input
  EXPECT_EQ(ops["DequantizeLinear"], 1);  // into the float convolution
  EXPECT_EQ(ops["Transpose"], 2);         // NCHW to NHWC at the input, back at the output
  for (const Node& n : lowered.graph.nodes)
    if (n.op_type == "Concat" || n.op_type == "NhwcMaxPool") {
      EXPECT_EQ(lowered.graph.value_types.at(n.outputs[0]).dtype, DType::kUInt8) << n.op_type;
    }
  const Tensor x = random_tensor(DType::kFloat32, {1, 4, 6, 6}, 35);
  const Tensor want = run_one(*q, {{"x", x}}, false);
  const Tensor got = run_one(*q, {{"x", x}}, true);
  const Deviation d = deviation(want, got);
  EXPECT_LT(d.worst, 0.03 * d.spread);
  // The two integer convolutions write their channels into the Concat's output.
  auto session = Session::create(*q);
  ASSERT_TRUE(session.ok());
  EXPECT_EQ((*session)->stats().concats_in_place, 1u);
}

TEST(QuantizedModel, ConcatOfQuantizedTensorsStaysInteger) { expect_integer_fire_module(false); }

TEST(QuantizedModel, MaxPoolOfAConcatStaysInteger) { expect_integer_fire_module(true); }

// `model` calibrated on `samples` (default options) and quantized to QDQ.
std::shared_ptr<Model> quantize_on(const std::shared_ptr<Model>& model, Tensor samples) {
  EXPECT_TRUE(infer_types(model->graph, 13).ok());
  QuantizeOptions o;
  Dataset calib;
  calib.samples = std::move(samples);
  auto ranges = calibrate(model, calib, "x", tensors_to_calibrate(*model, o), {}, {});
  EXPECT_TRUE(ranges.ok()) << ranges.error().message();
  if (!ranges.ok()) return nullptr;
  auto q = quantize_qdq(*model, *ranges, o);
  EXPECT_TRUE(q.ok()) << q.error().message();
  return q.ok() ? *q : nullptr;
}

// The operators of `q` after prepare_for_cpu, with counts.
std::map<std::string, int> lowered_ops(const Model& q) {
  Model lowered = q;
  EXPECT_TRUE(prepare_for_cpu(lowered).ok());
  std::map<std::string, int> ops;
  for (const Node& n : lowered.graph.nodes) ++ops[n.op_type];
  return ops;
}

// ShuffleNet's unit: the channels split by two Slices, one half through a convolution, the
// halves concatenated; then the next split. The quantizer gives the Concat's float input a
// pair too, so the Slices and the Concat move integers (a lookup requantizes where the
// parameters differ), and the lowered model keeps only the input's Q and the DQ into the
// float convolution at the end.
TEST(QuantizedModel, ChannelSplitAndConcatRunOnTheIntegers) {
  ModelBuilder b(13);
  b.input("x", DType::kFloat32, {1, 8, 6, 6});
  b.init("w0", random_tensor(DType::kFloat32, {8, 8, 1, 1}, 51));
  b.init("w1", random_tensor(DType::kFloat32, {4, 4, 1, 1}, 52));
  b.init("w2", random_tensor(DType::kFloat32, {3, 4, 1, 1}, 53));
  b.init("lo", Tensor::from_vector<int64_t>({0}, {1}));
  b.init("mid", Tensor::from_vector<int64_t>({4}, {1}));
  b.init("hi", Tensor::from_vector<int64_t>({8}, {1}));
  b.init("axis", Tensor::from_vector<int64_t>({1}, {1}));
  b.node("Conv", {"x", "w0"}, {"c0"});
  b.node("Relu", {"c0"}, {"r0"});
  b.node("Slice", {"r0", "lo", "mid", "axis"}, {"a"});
  b.node("Slice", {"r0", "mid", "hi", "axis"}, {"bb"});
  b.node("Conv", {"bb", "w1"}, {"c1"});
  b.node("Relu", {"c1"}, {"r1"});
  b.node("Concat", {"a", "r1"}, {"cat"}).attributes["axis"] = int64_t{1};
  b.node("Slice", {"cat", "mid", "hi", "axis"}, {"half"});
  b.node("Conv", {"half", "w2"}, {"y"});
  b.output("y");
  auto model = b.build();
  auto q = quantize_on(model, random_tensor(DType::kFloat32, {8, 8, 6, 6}, 54));
  ASSERT_TRUE(q);
  auto ops = lowered_ops(*q);
  EXPECT_EQ(ops["NhwcQLinearConv"], 2);
  EXPECT_EQ(ops["Slice"], 3);
  EXPECT_EQ(ops["Concat"], 1);
  EXPECT_EQ(ops["QuantizeLinear"], 1);
  EXPECT_EQ(ops["DequantizeLinear"], 1);
  EXPECT_EQ(ops["Transpose"], 2);
  Model lowered = *q;
  ASSERT_TRUE(prepare_for_cpu(lowered).ok());
  for (const Node& n : lowered.graph.nodes)
    if (n.op_type == "Slice" || n.op_type == "Concat") {
      EXPECT_EQ(lowered.graph.value_types.at(n.outputs[0]).dtype, DType::kUInt8) << n.op_type;
    }
  const Tensor x = random_tensor(DType::kFloat32, {1, 8, 6, 6}, 55);
  const Tensor want = run_one(q, {{"x", x}}, false);
  const Tensor got = run_one(q, {{"x", x}}, true);
  const Deviation d = deviation(want, got);
  EXPECT_LT(d.worst, 0.03 * d.spread);
}

// A squeeze-and-excitation block after a HardSwish written as x * HardSigmoid(x) (the
// opset-13 export of mobilenet_v3): the quantizer gives the channel-scaling Mul and the
// GlobalAveragePool pairs (but not x * HardSigmoid(x), whose shapes are equal), and the
// lowering runs all of it on the integers: two lookups (the HardSwish, the HardSigmoid of the
// scale), QGlobalAveragePool, QMul, between NHWC integer convolutions.
TEST(QuantizedModel, SqueezeAndExcitationRunsOnTheIntegers) {
  ModelBuilder b(13);
  b.input("x", DType::kFloat32, {1, 8, 6, 6});
  b.init("w1", random_tensor(DType::kFloat32, {8, 8, 1, 1}, 41));
  b.init("w2", random_tensor(DType::kFloat32, {4, 8, 1, 1}, 42));
  b.init("w3", random_tensor(DType::kFloat32, {8, 4, 1, 1}, 43));
  b.init("w4", random_tensor(DType::kFloat32, {3, 8, 1, 1}, 44));
  b.node("Conv", {"x", "w1"}, {"c1"});
  Node& h = b.node("HardSigmoid", {"c1"}, {"h"});
  h.attributes["alpha"] = 1.f / 6;
  h.attributes["beta"] = 0.5f;
  b.node("Mul", {"c1", "h"}, {"hs"});
  b.node("GlobalAveragePool", {"hs"}, {"g"});
  b.node("Conv", {"g", "w2"}, {"c2"});
  b.node("Relu", {"c2"}, {"r2"});
  b.node("Conv", {"r2", "w3"}, {"c3"});
  Node& hs = b.node("HardSigmoid", {"c3"}, {"s"});
  hs.attributes["alpha"] = 1.f / 6;
  hs.attributes["beta"] = 0.5f;
  b.node("Mul", {"hs", "s"}, {"m"});
  b.node("Conv", {"m", "w4"}, {"y"});
  b.output("y");
  auto model = b.build();
  ASSERT_TRUE(infer_types(model->graph, 13).ok());
  const auto names = tensors_to_calibrate(*model, QuantizeOptions{});
  EXPECT_TRUE(names.count("hs") && names.count("s") && names.count("g") && names.count("m"));
  EXPECT_FALSE(names.count("h"));  // inside x * HardSigmoid(x)
  auto q = quantize_on(model, random_tensor(DType::kFloat32, {8, 8, 6, 6}, 45));
  ASSERT_TRUE(q);
  auto ops = lowered_ops(*q);
  EXPECT_EQ(ops["NhwcQLinearConv"], 3);
  EXPECT_EQ(ops["QLookup"], 2);
  EXPECT_EQ(ops["QGlobalAveragePool"], 1);
  EXPECT_EQ(ops["QMul"], 1);
  EXPECT_EQ(ops["QuantizeLinear"], 1);    // the float input
  EXPECT_EQ(ops["DequantizeLinear"], 1);  // into the float convolution
  EXPECT_EQ(ops["Transpose"], 2);
  const Tensor x = random_tensor(DType::kFloat32, {1, 8, 6, 6}, 46);
  const Tensor want = run_one(q, {{"x", x}}, false);
  const Tensor got = run_one(q, {{"x", x}}, true);
  const Deviation d = deviation(want, got);
  EXPECT_LT(d.worst, 0.05 * d.spread);
}

// A windowed AveragePool between quantized convolutions (DenseNet's transitions, Inception's
// pooling branches) gets pairs, and runs on the integers in NHWC.
TEST(QuantizedModel, AveragePoolRunsOnTheIntegers) {
  ModelBuilder b(13);
  b.input("x", DType::kFloat32, {1, 8, 9, 9});
  b.init("w1", random_tensor(DType::kFloat32, {8, 8, 3, 3}, 51));
  b.init("w2", random_tensor(DType::kFloat32, {4, 8, 1, 1}, 52));
  b.node("Conv", {"x", "w1"}, {"c1"}).attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  b.node("Relu", {"c1"}, {"r1"});
  Node& p = b.node("AveragePool", {"r1"}, {"p"});
  p.attributes["kernel_shape"] = std::vector<int64_t>{3, 3};
  p.attributes["strides"] = std::vector<int64_t>{2, 2};
  p.attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  b.node("Conv", {"p", "w2"}, {"y"});
  b.output("y");
  auto model = b.build();
  auto q = quantize_on(model, random_tensor(DType::kFloat32, {8, 8, 9, 9}, 53));
  ASSERT_TRUE(q);
  auto ops = lowered_ops(*q);
  EXPECT_EQ(ops["NhwcQLinearConv"], 1);  // the last convolution stays float, as by default
  EXPECT_EQ(ops["NhwcQAveragePool"], 1);
  EXPECT_EQ(ops["NhwcAveragePool"], 0);
  EXPECT_EQ(ops["QuantizeLinear"], 1);    // the float input
  EXPECT_EQ(ops["DequantizeLinear"], 1);  // into the float convolution
  const Tensor x = random_tensor(DType::kFloat32, {1, 8, 9, 9}, 54);
  const Deviation d = deviation(run_one(q, {{"x", x}}, false), run_one(q, {{"x", x}}, true));
  EXPECT_LT(d.worst, 0.05 * d.spread);
}

}  // namespace
}  // namespace ledge
