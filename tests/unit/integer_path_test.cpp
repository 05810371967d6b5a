// The integer operators of quantized models: their reference kernels against the ONNX ones,
// the fast integer kernels against the references, bit for bit, and what the lowering
// (src/lower/fuse_quantized.cpp) leaves alone. Whole quantized models:
// quantized_model_test.cpp. Needs no ONNX or quantizer code, so it runs on aarch64 too.
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "integer_test_util.h"
#include "lower/lower.h"
#include "lower/lower_util.h"
#include "model_builder.h"
#include "ops/qgemm_weight_layout.h"
#include "runtime/session.h"

namespace ledge {
namespace {

using testing::expect_same_bytes;
using testing::ModelBuilder;
using testing::random_ints;
using testing::random_tensor;
using testing::run_one;
using testing::scalar_f;

struct ConvCase {
  int64_t n, c, h, w, o, k, stride, dilation, pad, group;
};

// ledge.NhwcQLinearConv (reference) against ONNX QLinearConv (reference): the same integers.
TEST(IntegerPath, NhwcQLinearConvMatchesQLinearConv) {
  std::mt19937 rng(3);
  const ConvCase cases[] = {{1, 3, 7, 6, 4, 3, 1, 1, 1, 1},
                            {2, 4, 9, 9, 6, 3, 2, 1, 0, 2},
                            {1, 8, 6, 7, 8, 3, 1, 2, 2, 8},
                            {1, 5, 5, 5, 7, 1, 1, 1, 0, 1},
                            {1, 6, 8, 8, 4, 5, 2, 1, 2, 1}};
  for (const bool unsigned_x : {true, false}) {
    for (const ConvCase& cc : cases) {
      const std::string what = "c" + std::to_string(cc.c) + " o" + std::to_string(cc.o) + " k" +
                               std::to_string(cc.k) + " g" + std::to_string(cc.group) +
                               (unsigned_x ? " u8" : " s8");
      Tensor x = unsigned_x ? random_ints<uint8_t>({cc.n, cc.c, cc.h, cc.w}, rng, 0, 255)
                            : random_ints<int8_t>({cc.n, cc.c, cc.h, cc.w}, rng, -128, 127);
      Tensor w = random_ints<int8_t>({cc.o, cc.c / cc.group, cc.k, cc.k}, rng, -127, 127);
      std::vector<float> ws(static_cast<size_t>(cc.o));
      std::vector<int32_t> bias(static_cast<size_t>(cc.o));
      std::uniform_real_distribution<float> sd(0.001f, 0.02f);
      std::uniform_int_distribution<int32_t> bd(-2000, 2000);
      for (auto& s : ws) s = sd(rng);
      for (auto& b : bias) b = bd(rng);
      const Tensor xz = unsigned_x ? Tensor::from_vector<uint8_t>({17}, {})
                                   : Tensor::from_vector<int8_t>({-9}, {});
      const Tensor yz = Tensor::from_vector<uint8_t>({128}, {});
      auto build = [&](bool nhwc) {
        ModelBuilder b(13);
        b.input("x", x.dtype(),
                nhwc ? std::vector<int64_t>{cc.n, cc.h, cc.w, cc.c}
                     : std::vector<int64_t>{cc.n, cc.c, cc.h, cc.w});
        b.init("xs", scalar_f(0.05f)).init("xz", xz);
        b.init("w", nhwc ? *transpose_tensor(w, {0, 2, 3, 1}) : w);
        b.init("ws", Tensor::from_vector<float>(ws, {cc.o}));
        b.init("wz", Tensor::from_vector<int8_t>({0}, {}));
        b.init("ys", scalar_f(0.3f)).init("yz", yz);
        b.init("b", Tensor::from_vector<int32_t>(bias, {cc.o}));
        Node& n = b.node(nhwc ? "NhwcQLinearConv" : "QLinearConv",
                         {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"}, {"y"});
        if (nhwc) n.domain = "ledge";
        n.attributes["strides"] = std::vector<int64_t>{cc.stride, cc.stride};
        n.attributes["dilations"] = std::vector<int64_t>{cc.dilation, cc.dilation};
        n.attributes["pads"] = std::vector<int64_t>{cc.pad, cc.pad, cc.pad, cc.pad};
        n.attributes["group"] = cc.group;
        if (!nhwc) n.attributes["kernel_shape"] = std::vector<int64_t>{cc.k, cc.k};
        b.output("y");
        if (nhwc) b.model().opsets["ledge"] = 1;
        return b.build();
      };
      const Tensor want = run_one(build(false), {{"x", x}}, false);
      const Tensor got_nhwc =
          run_one(build(true), {{"x", *transpose_tensor(x, {0, 2, 3, 1})}}, false);
      ASSERT_TRUE(got_nhwc.rank() == 4) << what;
      expect_same_bytes(want, *transpose_tensor(got_nhwc, {0, 3, 1, 2}), what);
      // The same QLinearConv through the session's lowering (NHWC, fast kernels).
      expect_same_bytes(want, run_one(build(false), {{"x", x}}, true), what + " lowered");
    }
  }
}

// A pattern the integer operators cannot express stays QDQ: a Relu whose output zero point
// is not the lowest level (the clamp would differ), here from a hand-written QDQ model.
TEST(IntegerPath, ReluWithMidZeroPointIsNotFused) {
  ModelBuilder b(13);
  b.input("x", DType::kUInt8, {1, 2, 4, 4});
  b.init("s", scalar_f(0.1f)).init("z", Tensor::from_vector<uint8_t>({128}, {}));
  b.init("w", Tensor::from_vector<int8_t>(std::vector<int8_t>(2 * 2, 3), {2, 2, 1, 1}));
  b.init("ws", scalar_f(0.01f)).init("wz", Tensor::from_vector<int8_t>({0}, {}));
  b.node("DequantizeLinear", {"x", "s", "z"}, {"xf"});
  b.node("DequantizeLinear", {"w", "ws", "wz"}, {"wf"});
  b.node("Conv", {"xf", "wf"}, {"c"});
  b.node("Relu", {"c"}, {"r"});
  b.node("QuantizeLinear", {"r", "s", "z"}, {"y"});
  b.output("y");
  Model m = *b.build();
  ASSERT_TRUE(prepare_for_cpu(m).ok());
  for (const Node& n : m.graph.nodes) EXPECT_NE(n.op_type, "NhwcQLinearConv");
  // Without the Relu it fuses.
  ModelBuilder b2(13);
  b2.model() = *b.build();
  auto& nodes = b2.model().graph.nodes;
  nodes.erase(nodes.begin() + 3);
  nodes.back().inputs[0] = "c";
  Model m2 = b2.model();
  ASSERT_TRUE(prepare_for_cpu(m2).ok());
  int fused = 0;
  for (const Node& n : m2.graph.nodes) fused += n.op_type == "NhwcQLinearConv";
  EXPECT_EQ(fused, 1);
}

// The fast QuantizeLinear / DequantizeLinear against the reference kernels, bit for bit:
// ties, values past the range, infinities and NaN included.
TEST(IntegerPath, FastQuantizeAndDequantizeMatchTheReference) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> d(-40.f, 40.f);
  std::vector<float> xs(1000);
  for (size_t i = 0; i < xs.size(); ++i)
    xs[i] = i % 3 == 0 ? static_cast<float>(static_cast<int>(d(rng))) * 0.25f : d(rng);
  xs[0] = INFINITY, xs[1] = -INFINITY, xs[2] = NAN, xs[3] = 1e30f, xs[4] = -0.f;
  for (const bool is_unsigned : {true, false}) {
    const Tensor zero = is_unsigned ? Tensor::from_vector<uint8_t>({100}, {})
                                    : Tensor::from_vector<int8_t>({-3}, {});
    ModelBuilder b(13);
    b.input("x", DType::kFloat32, {1000});
    b.init("s", scalar_f(0.5f)).init("z", zero);
    b.node("QuantizeLinear", {"x", "s", "z"}, {"y"});
    b.output("y");
    auto qm = b.build();
    const Tensor x = Tensor::from_vector<float>(xs, {1000});
    const Tensor want = run_one(qm, {{"x", x}}, false);
    const Tensor got = run_one(qm, {{"x", x}}, true, 1);
    expect_same_bytes(want, got, is_unsigned ? "quantize u8" : "quantize s8");

    ModelBuilder b2(13);
    b2.input("q", zero.dtype(), {1000});
    b2.init("s", scalar_f(0.37f)).init("z", zero);
    b2.node("DequantizeLinear", {"q", "s", "z"}, {"y"});
    b2.output("y");
    auto dm = b2.build();
    expect_same_bytes(run_one(dm, {{"q", want}}, false), run_one(dm, {{"q", want}}, true, 1),
                      is_unsigned ? "dequantize u8" : "dequantize s8");
  }
}

// A one-node model of ledge.NhwcQLinearConv with random integers and parameters.
std::shared_ptr<Model> qconv_model(std::mt19937& rng, const ConvCase& cc, bool unsigned_x,
                                   bool per_channel, Tensor* x_out) {
  const DType q = unsigned_x ? DType::kUInt8 : DType::kInt8;
  *x_out = unsigned_x ? random_ints<uint8_t>({cc.n, cc.h, cc.w, cc.c}, rng, 0, 255)
                      : random_ints<int8_t>({cc.n, cc.h, cc.w, cc.c}, rng, -128, 127);
  std::uniform_real_distribution<float> sd(0.0005f, 0.01f);
  std::uniform_int_distribution<int32_t> bd(-5000, 5000), zd(0, 255);
  std::vector<float> ws(per_channel ? static_cast<size_t>(cc.o) : 1);
  for (auto& v : ws) v = sd(rng);
  std::vector<int32_t> bias(static_cast<size_t>(cc.o));
  for (auto& v : bias) v = bd(rng);
  auto zero = [&]() {
    const int z = zd(rng);
    return unsigned_x ? Tensor::from_vector<uint8_t>({static_cast<uint8_t>(z)}, {})
                      : Tensor::from_vector<int8_t>({static_cast<int8_t>(z - 128)}, {});
  };
  ModelBuilder b(13);
  b.input("x", q, {cc.n, cc.h, cc.w, cc.c});
  b.init("xs", scalar_f(0.02f)).init("xz", zero());
  b.init("w", random_ints<int8_t>({cc.o, cc.k, cc.k, cc.c / cc.group}, rng, -127, 127));
  b.init("ws", per_channel ? Tensor::from_vector<float>(ws, {cc.o}) : scalar_f(ws[0]));
  b.init("wz", Tensor::from_vector<int8_t>({0}, {}));
  b.init("ys", scalar_f(0.05f)).init("yz", zero());
  b.init("b", Tensor::from_vector<int32_t>(bias, {cc.o}));
  Node& n = b.node("NhwcQLinearConv", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"}, {"y"});
  n.domain = "ledge";
  n.attributes["strides"] = std::vector<int64_t>{cc.stride, cc.stride};
  n.attributes["dilations"] = std::vector<int64_t>{cc.dilation, cc.dilation};
  n.attributes["pads"] = std::vector<int64_t>{cc.pad, cc.pad, cc.pad + 1, cc.pad};
  n.attributes["group"] = cc.group;
  b.output("y");
  return b.build();
}

// The fast integer convolutions (qgemm directly and through im2col, depthwise) against the
// reference kernel, bit for bit, on one and two threads.
TEST(IntegerPath, FastQConvMatchesTheReference) {
  std::mt19937 rng(7);
  // n, c, h, w, o, k, stride, dilation, pad, group
  const ConvCase cases[] = {{1, 16, 7, 9, 40, 1, 1, 1, 0, 1},
                            {2, 37, 5, 6, 70, 1, 1, 1, 0, 1},
                            {1, 24, 11, 10, 33, 3, 1, 1, 1, 1},
                            {1, 19, 12, 12, 64, 3, 2, 1, 1, 1},
                            {1, 8, 9, 9, 16, 3, 1, 2, 2, 1},
                            {1, 3, 16, 16, 24, 7, 2, 1, 3, 1},
                            {1, 32, 10, 10, 32, 3, 1, 1, 1, 32},
                            {2, 20, 9, 8, 20, 5, 2, 1, 2, 20},
                            {1, 7, 6, 6, 7, 3, 1, 1, 0, 7},
                            // im2col in tiles of 64 rows that cross output rows and images,
                            // windows of 9 and 21 bytes (a first layer's 3x3 and 7x7 over 3
                            // channels).
                            {2, 3, 23, 21, 24, 3, 2, 1, 0, 1},
                            {2, 3, 19, 17, 40, 7, 1, 1, 3, 1},
                            // Depthwise: 64-channel blocks with tails, 1 to 25 taps (four-tap
                            // groups and their padding), images smaller than the kernel.
                            {1, 33, 7, 5, 33, 3, 1, 1, 1, 33},
                            {2, 130, 6, 7, 130, 3, 2, 1, 1, 130},
                            {1, 64, 5, 5, 64, 3, 1, 1, 0, 64},
                            {1, 96, 4, 3, 96, 5, 1, 1, 2, 96},
                            {1, 20, 2, 3, 20, 5, 2, 1, 2, 20},
                            {1, 7, 1, 2, 7, 3, 1, 1, 1, 7},
                            {1, 17, 5, 4, 17, 1, 1, 1, 0, 17},
                            {1, 40, 9, 9, 40, 3, 1, 2, 2, 40},
                            {1, 129, 8, 6, 129, 3, 2, 1, 1, 129}};
  for (const ConvCase& cc : cases)
    for (const bool unsigned_x : {true, false})
      for (const bool per_channel : {true, false})
        for (const int threads : {1, 2}) {
          Tensor x;
          auto m = qconv_model(rng, cc, unsigned_x, per_channel, &x);
          const std::string what = "c" + std::to_string(cc.c) + " o" + std::to_string(cc.o) + " k" +
                                   std::to_string(cc.k) + " s" + std::to_string(cc.stride) + " g" +
                                   std::to_string(cc.group) + (unsigned_x ? " u8" : " s8") +
                                   (per_channel ? " pc" : " pt") + " t" + std::to_string(threads);
          SessionOptions fast;
          fast.threads = threads;
          auto s = Session::create(m, fast);
          ASSERT_TRUE(s.ok()) << s.error().message();
          // int8 activations take the fast path only in depthwise layers.
          const bool depthwise = cc.group == cc.c;
          EXPECT_EQ((*s)->stats().fast_nodes, unsigned_x || depthwise ? 1u : 0u) << what;
          auto got = (*s)->run({{"x", x}});
          ASSERT_TRUE(got.ok()) << got.error().message();
          expect_same_bytes(run_one(m, {{"x", x}}, false), (*got)[0], what);
        }
}

// QFullyConnected on qgemm (uint8 output) and qgemm_f32 (float output) against its reference
// kernel.
TEST(IntegerPath, FastQFullyConnectedMatchesTheReference) {
  std::mt19937 rng(8);
  for (const auto& [m, k, n] :
       {std::tuple{1, 576, 10}, std::tuple{5, 33, 70}, std::tuple{64, 129, 31}}) {
    ModelBuilder b(13);
    b.input("x", DType::kUInt8, {m, k});
    b.init("xs", scalar_f(0.02f)).init("xz", Tensor::from_vector<uint8_t>({7}, {}));
    b.init("w", random_ints<int8_t>({n, k}, rng, -127, 127));
    std::vector<float> ws(static_cast<size_t>(n));
    for (size_t i = 0; i < ws.size(); ++i) ws[i] = 0.001f * static_cast<float>(i + 1);
    b.init("ws", Tensor::from_vector<float>(ws, {n}));
    b.init("wz", Tensor::from_vector<int8_t>({0}, {}));
    b.init("ys", scalar_f(0.1f)).init("yz", Tensor::from_vector<uint8_t>({120}, {}));
    Node& fc = b.node("QFullyConnected", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz"}, {"y"});
    fc.domain = "ledge";
    b.output("y");
    auto model = b.build();
    const Tensor x = random_ints<uint8_t>({m, k}, rng, 0, 255);
    expect_same_bytes(
        run_one(model, {{"x", x}}, false), run_one(model, {{"x", x}}, true, 1),
        "fully connected " + std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n));
  }

  // The float-output form (no y_scale, no y_zero_point: a classifier's logits) on qgemm_f32,
  // with a bias and per-row weight scales.
  for (const auto& [m, k, n] : {std::tuple{1, 512, 1000}, std::tuple{5, 33, 70},
                                std::tuple{64, 129, 31}, std::tuple{3, 7, 17}}) {
    ModelBuilder b(13);
    b.input("x", DType::kUInt8, {m, k});
    b.init("xs", scalar_f(0.02f)).init("xz", Tensor::from_vector<uint8_t>({7}, {}));
    b.init("w", random_ints<int8_t>({n, k}, rng, -127, 127));
    std::vector<float> ws(static_cast<size_t>(n));
    std::uniform_real_distribution<float> scale(1e-4f, 1e-2f);
    for (float& v : ws) v = scale(rng);
    b.init("ws", Tensor::from_vector<float>(ws, {n}));
    b.init("wz", Tensor::from_vector<int8_t>({0}, {}));
    std::vector<int32_t> bias(static_cast<size_t>(n));
    std::uniform_int_distribution<int32_t> bias_value(-50000, 50000);
    for (int32_t& v : bias) v = bias_value(rng);
    b.init("b", Tensor::from_vector<int32_t>(bias, {n}));
    Node& fc = b.node("QFullyConnected", {"x", "xs", "xz", "w", "ws", "wz", "", "", "b"}, {"y"});
    fc.domain = "ledge";
    b.output("y");
    auto model = b.build();
    const Tensor x = random_ints<uint8_t>({m, k}, rng, 0, 255);
    const Tensor want = run_one(model, {{"x", x}}, false);
    ASSERT_EQ(want.dtype(), DType::kFloat32);
    expect_same_bytes(want, run_one(model, {{"x", x}}, true, 1),
                      "float fully connected " + std::to_string(m) + "x" + std::to_string(k) + "x" +
                          std::to_string(n));
  }
}

// prepack_int8_weights: an artifact's weights stored in the kernels' packed layout give the
// same bytes on the reference kernels (which unpack them) and on the fast ones (which use them
// in place), narrow weights stay as they are, and a block of the wrong size is refused.
TEST(IntegerPath, PrepackedWeightsGiveTheSameResults) {
  std::mt19937 rng(9);
  Tensor x;
  std::vector<std::pair<std::shared_ptr<Model>, Tensor>> cases;
  auto conv = qconv_model(rng, {1, 19, 12, 12, 64, 3, 2, 1, 1, 1}, true, true, &x);
  cases.emplace_back(conv, x);
  auto pointwise = qconv_model(rng, {2, 36, 5, 6, 96, 1, 1, 1, 0, 1}, true, false, &x);
  cases.emplace_back(pointwise, x);
  {
    ModelBuilder b(13);
    b.input("x", DType::kUInt8, {3, 130});
    b.init("xs", scalar_f(0.02f)).init("xz", Tensor::from_vector<uint8_t>({7}, {}));
    b.init("w", random_ints<int8_t>({64, 130}, rng, -127, 127));
    b.init("ws", scalar_f(0.004f)).init("wz", Tensor::from_vector<int8_t>({0}, {}));
    b.init("ys", scalar_f(0.1f)).init("yz", Tensor::from_vector<uint8_t>({120}, {}));
    Node& fc = b.node("QFullyConnected", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz"}, {"y"});
    fc.domain = "ledge";
    b.output("y");
    cases.emplace_back(b.build(), random_ints<uint8_t>({3, 130}, rng, 0, 255));
  }
  for (const auto& [model, input] : cases) {
    const Node& original = model->graph.nodes[0];
    const std::string what =
        original.op_type + " " + shape_to_string(model->graph.initializers.at("w").shape());
    auto packed = std::make_shared<Model>(*model);
    prepack_int8_weights(packed->graph);
    const Node& n = packed->graph.nodes[0];
    ASSERT_TRUE(n.has_attr(kPackedWeightShapeAttr)) << what;
    const Tensor& w = model->graph.initializers.at("w");
    const Tensor& block = packed->graph.initializers.at(n.inputs[3]);
    EXPECT_EQ(block.shape(),
              (Shape{static_cast<int64_t>(qgemm_prepacked_bytes(
                  static_cast<size_t>(w.dim(0)), static_cast<size_t>(w.numel() / w.dim(0))))}))
        << what;
    // Idempotent.
    const std::string packed_name = n.inputs[3];
    prepack_int8_weights(packed->graph);
    EXPECT_EQ(packed->graph.nodes[0].inputs[3], packed_name) << what;

    const Tensor want = run_one(model, {{"x", input}}, false);
    expect_same_bytes(want, run_one(packed, {{"x", input}}, false), what + " reference");
    expect_same_bytes(want, run_one(packed, {{"x", input}}, true, 1), what + " fast");

    // A block one byte short: refused, naming the expected size.
    auto bad = std::make_shared<Model>(*packed);
    bad->graph.initializers[packed_name] = *Tensor::make(DType::kInt8, {block.numel() - 1});
    auto s = Session::create(bad, SessionOptions{});
    ASSERT_FALSE(s.ok()) << what;
    EXPECT_NE(s.error().message().find("pre-packed w"), std::string::npos) << s.error().message();
  }

  // Ten columns would take a whole panel of 32: left for the kernel to pack at load.
  ModelBuilder b(13);
  b.input("x", DType::kUInt8, {1, 576});
  b.init("xs", scalar_f(0.02f)).init("xz", Tensor::from_vector<uint8_t>({7}, {}));
  b.init("w", random_ints<int8_t>({10, 576}, rng, -127, 127));
  b.init("ws", scalar_f(0.004f)).init("wz", Tensor::from_vector<int8_t>({0}, {}));
  Node& fc = b.node("QFullyConnected", {"x", "xs", "xz", "w", "ws", "wz"}, {"y"});
  fc.domain = "ledge";
  b.output("y");
  auto narrow = b.build();
  prepack_int8_weights(narrow->graph);
  EXPECT_FALSE(narrow->graph.nodes[0].has_attr(kPackedWeightShapeAttr));
  EXPECT_EQ(narrow->graph.nodes[0].inputs[3], "w");
}

// fuse_quantized_lookups: element-wise float islands between DQ and Q become ledge.QLookup,
// which gives the QDQ model's bytes for every one of the 256 codes; islands whose values are
// read elsewhere, or that broadcast a tensor, stay float.
TEST(IntegerPath, ElementwiseIslandsBecomeExactLookups) {
  struct Case {
    const char* what;
    DType in, out;
    std::function<void(ModelBuilder&)> island;  // reads "xf", writes "f"
    bool fused;
  };
  const Case cases[] = {
      {"HardSwish", DType::kUInt8, DType::kUInt8,
       [](ModelBuilder& b) { b.node("HardSwish", {"xf"}, {"f"}); }, true},
      {"x * HardSigmoid(x)", DType::kUInt8, DType::kUInt8,
       [](ModelBuilder& b) {
         Node& h = b.node("HardSigmoid", {"xf"}, {"h"});
         h.attributes["alpha"] = 1.f / 6;
         h.attributes["beta"] = 0.5f;
         b.node("Mul", {"xf", "h"}, {"f"});
       },
       true},
      {"SiLU, int8 in, uint8 out", DType::kInt8, DType::kUInt8,
       [](ModelBuilder& b) {
         b.node("Sigmoid", {"xf"}, {"s"});
         b.node("Mul", {"s", "xf"}, {"f"});
       },
       true},
      {"tanh(x) * 0.5 + c", DType::kInt8, DType::kInt8,
       [](ModelBuilder& b) {
         b.init("half", scalar_f(0.5f)).init("c", scalar_f(0.3f));
         b.node("Tanh", {"xf"}, {"t"});
         b.node("Mul", {"t", "half"}, {"m"});
         b.node("Add", {"m", "c"}, {"f"});
       },
       true},
      {"requantization", DType::kUInt8, DType::kInt8,
       [](ModelBuilder& b) { b.node("Identity", {"xf"}, {"f"}); }, true},
      {"a value also read outside", DType::kUInt8, DType::kUInt8,
       [](ModelBuilder& b) {
         b.node("Sigmoid", {"xf"}, {"f"});
         b.output("f");
       },
       false},
      {"a broadcast tensor", DType::kUInt8, DType::kUInt8,
       [](ModelBuilder& b) {
         b.init("v", Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {8}));
         b.node("Mul", {"xf", "v"}, {"f"});
       },
       false},
  };
  for (const Case& c : cases) {
    ModelBuilder b(13);
    b.input("x", c.in, {1, 4, 8, 8});
    b.init("xs", scalar_f(0.043f));
    b.init("xz", c.in == DType::kUInt8 ? Tensor::from_vector<uint8_t>({131}, {})
                                       : Tensor::from_vector<int8_t>({-5}, {}));
    b.init("ys", scalar_f(0.021f));
    b.init("yz", c.out == DType::kUInt8 ? Tensor::from_vector<uint8_t>({77}, {})
                                        : Tensor::from_vector<int8_t>({3}, {}));
    b.node("DequantizeLinear", {"x", "xs", "xz"}, {"xf"});
    c.island(b);
    b.node("QuantizeLinear", {"f", "ys", "yz"}, {"y"});
    b.output("y");
    auto model = b.build();
    // Every code, in every position of the input.
    Tensor x = *Tensor::make(c.in, {1, 4, 8, 8});
    for (int64_t i = 0; i < x.numel(); ++i)
      static_cast<uint8_t*>(x.raw())[i] = static_cast<uint8_t>(i * 7 % 256);

    Model lowered = *model;
    ASSERT_TRUE(prepare_for_cpu(lowered).ok()) << c.what;
    int lookups = 0;
    for (const Node& n : lowered.graph.nodes) lookups += n.op_type == "QLookup";
    EXPECT_EQ(lookups, c.fused ? 1 : 0) << c.what;

    SessionOptions reference;
    reference.optimize = false;
    auto want = (*Session::create(model, reference))->run({{"x", x}});
    auto got = (*Session::create(model, SessionOptions{}))->run({{"x", x}});
    ASSERT_TRUE(want.ok() && got.ok()) << c.what;
    expect_same_bytes(want->back(), got->back(), c.what);  // y
  }
}

// A Concat whose inputs and output have different parameters (other quantizers' QDQ files):
// each input requantized by a lookup, the Concat on the integers, the QDQ model's bytes.
TEST(IntegerPath, ConcatOfDifferentScalesRequantizesByLookups) {
  for (const bool one_matches : {false, true}) {
    ModelBuilder b(13);
    b.input("a", DType::kUInt8, {1, 2, 4, 4});
    b.input("c", DType::kInt8, {1, 3, 4, 4});
    b.init("sa", scalar_f(0.031f)).init("za", Tensor::from_vector<uint8_t>({12}, {}));
    b.init("sc", scalar_f(0.007f)).init("zc", Tensor::from_vector<int8_t>({-20}, {}));
    b.init("sy", scalar_f(one_matches ? 0.031f : 0.02f));
    b.init("zy", Tensor::from_vector<uint8_t>({one_matches ? uint8_t{12} : uint8_t{100}}, {}));
    b.node("DequantizeLinear", {"a", "sa", "za"}, {"af"});
    b.node("DequantizeLinear", {"c", "sc", "zc"}, {"cf"});
    Node& cat = b.node("Concat", {"af", "cf"}, {"cat"});
    cat.attributes["axis"] = int64_t{1};
    b.node("QuantizeLinear", {"cat", "sy", "zy"}, {"y"});
    b.output("y");
    auto model = b.build();
    Tensor a = *Tensor::make(DType::kUInt8, {1, 2, 4, 4});
    Tensor c = *Tensor::make(DType::kInt8, {1, 3, 4, 4});
    for (int64_t i = 0; i < a.numel(); ++i)
      static_cast<uint8_t*>(a.raw())[i] = static_cast<uint8_t>(i * 9);
    for (int64_t i = 0; i < c.numel(); ++i)
      static_cast<uint8_t*>(c.raw())[i] = static_cast<uint8_t>(i * 5 + 3);

    Model lowered = *model;
    ASSERT_TRUE(prepare_for_cpu(lowered).ok());
    int lookups = 0, qdq = 0;
    for (const Node& n : lowered.graph.nodes) {
      lookups += n.op_type == "QLookup";
      qdq += n.op_type == "QuantizeLinear" || n.op_type == "DequantizeLinear";
    }
    EXPECT_EQ(lookups, one_matches ? 1 : 2);
    EXPECT_EQ(qdq, 0);
    SessionOptions reference;
    reference.optimize = false;
    auto want = (*Session::create(model, reference))->run({{"a", a}, {"c", c}});
    auto got = (*Session::create(model, SessionOptions{}))->run({{"a", a}, {"c", c}});
    ASSERT_TRUE(want.ok() && got.ok());
    expect_same_bytes((*want)[0], (*got)[0],
                      one_matches ? "one input matches" : "both requantized");
  }
}

// ledge.QMul's fast kernel against its reference, bit for bit: one shape, and one value per
// image and channel on either side (NHWC), uint8 and int8.
TEST(IntegerPath, FastQMulMatchesTheReference) {
  std::mt19937 rng(11);
  const std::vector<std::pair<Shape, Shape>> shapes = {{{2, 5, 7, 19}, {2, 5, 7, 19}},
                                                       {{2, 5, 7, 40}, {2, 1, 1, 40}},
                                                       {{1, 1, 1, 72}, {1, 6, 3, 72}}};
  for (const DType t : {DType::kUInt8, DType::kInt8})
    for (const auto& [sa, sb] : shapes) {
      auto ints = [&](const Shape& s) {
        return t == DType::kUInt8 ? random_ints<uint8_t>(s, rng, 0, 255)
                                  : random_ints<int8_t>(s, rng, -128, 127);
      };
      auto zero = [&](int v) {
        return t == DType::kUInt8 ? Tensor::from_vector<uint8_t>({static_cast<uint8_t>(v)}, {})
                                  : Tensor::from_vector<int8_t>({static_cast<int8_t>(v - 128)}, {});
      };
      ModelBuilder b(13);
      b.input("a", t, sa).input("b", t, sb);
      b.init("sa", scalar_f(0.037f)).init("za", zero(100));
      b.init("sb", scalar_f(0.0041f)).init("zb", zero(3));
      b.init("sy", scalar_f(0.011f)).init("zy", zero(130));
      Node& m = b.node("QMul", {"a", "sa", "za", "b", "sb", "zb", "sy", "zy"}, {"y"});
      m.domain = "ledge";
      b.output("y");
      b.model().opsets["ledge"] = 1;
      auto model = b.build();
      const Tensor a = ints(sa), bb = ints(sb);
      const std::string what = shape_to_string(sa) + " * " + shape_to_string(sb);
      expect_same_bytes(run_one(model, {{"a", a}, {"b", bb}}, false),
                        run_one(model, {{"a", a}, {"b", bb}}, true, 1), what);
    }
}

// DQ(x) * DQ(s) → Q, s one value per channel (a squeeze-and-excitation block), between NHWC
// convolutions: ledge.QMul in NHWC, the QDQ model's bytes.
TEST(IntegerPath, ChannelScalingMulRunsOnTheIntegers) {
  ModelBuilder b(13);
  b.input("x", DType::kFloat32, {1, 8, 6, 6});
  b.input("s", DType::kUInt8, {1, 8, 1, 1});
  std::vector<float> w(64);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.05f * static_cast<float>(i % 7) - 0.1f;
  b.init("w", Tensor::from_vector<float>(w, {8, 8, 1, 1}));
  b.init("sx", scalar_f(0.05f)).init("zx", Tensor::from_vector<uint8_t>({128}, {}));
  b.init("ss", scalar_f(1.f / 255)).init("zs", Tensor::from_vector<uint8_t>({0}, {}));
  b.init("sy", scalar_f(0.03f)).init("zy", Tensor::from_vector<uint8_t>({120}, {}));
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("QuantizeLinear", {"c", "sx", "zx"}, {"cq"});
  b.node("DequantizeLinear", {"cq", "sx", "zx"}, {"cf"});
  b.node("DequantizeLinear", {"s", "ss", "zs"}, {"sf"});
  b.node("Mul", {"cf", "sf"}, {"m"});
  b.node("QuantizeLinear", {"m", "sy", "zy"}, {"mq"});
  b.node("DequantizeLinear", {"mq", "sy", "zy"}, {"mf"});
  b.node("Conv", {"mf", "w"}, {"y"});
  b.output("y");
  auto model = b.build();
  Model lowered = *model;
  ASSERT_TRUE(prepare_for_cpu(lowered).ok());
  int muls = 0, transposes = 0;
  for (const Node& n : lowered.graph.nodes) {
    muls += n.op_type == "QMul";
    transposes += n.op_type == "Transpose";
  }
  EXPECT_EQ(muls, 1);
  EXPECT_EQ(transposes, 2);  // x in, y out (s, [1, 8, 1, 1], goes to NHWC by a Reshape)
  std::mt19937 rng(12);
  Tensor x = *Tensor::make(DType::kFloat32, {1, 8, 6, 6});
  std::uniform_real_distribution<float> d(-3, 3);
  for (float& v : x.span<float>()) v = d(rng);
  const Tensor s = random_ints<uint8_t>({1, 8, 1, 1}, rng, 0, 255);
  SessionOptions reference;
  reference.optimize = false;
  auto want = (*Session::create(model, reference))->run({{"x", x}, {"s", s}});
  auto got = (*Session::create(model, SessionOptions{}))->run({{"x", x}, {"s", s}});
  ASSERT_TRUE(want.ok() && got.ok());
  // The float convolutions differ in rounding (fast against reference); the integers between
  // them, compared through the second convolution, within its float tolerance.
  const float* pw = (*want)[0].data<float>();
  const float* pg = (*got)[0].data<float>();
  for (int64_t i = 0; i < (*want)[0].numel(); ++i) EXPECT_NEAR(pw[i], pg[i], 0.05f) << i;
}

// ledge.QGlobalAveragePool's fast kernel against its reference, bit for bit: NCHW and NHWC,
// uint8 and int8.
TEST(IntegerPath, FastQGlobalAveragePoolMatchesTheReference) {
  std::mt19937 rng(13);
  for (const DType t : {DType::kUInt8, DType::kInt8})
    for (const bool last : {false, true})
      for (const Shape& shape : {Shape{2, 7, 5, 40}, Shape{1, 96, 7, 7}, Shape{3, 3, 17}}) {
        ModelBuilder b(13);
        b.input("x", t, shape);
        auto zero = [&](int v) {
          return t == DType::kUInt8
                     ? Tensor::from_vector<uint8_t>({static_cast<uint8_t>(v)}, {})
                     : Tensor::from_vector<int8_t>({static_cast<int8_t>(v - 128)}, {});
        };
        b.init("sx", scalar_f(0.023f)).init("zx", zero(140));
        b.init("sy", scalar_f(0.009f)).init("zy", zero(60));
        Node& p = b.node("QGlobalAveragePool", {"x", "sx", "zx", "sy", "zy"}, {"y"});
        p.domain = "ledge";
        p.attributes["channels_last"] = int64_t{last ? 1 : 0};
        b.output("y");
        b.model().opsets["ledge"] = 1;
        auto model = b.build();
        const Tensor x = t == DType::kUInt8 ? random_ints<uint8_t>(shape, rng, 0, 255)
                                            : random_ints<int8_t>(shape, rng, -128, 127);
        expect_same_bytes(run_one(model, {{"x", x}}, false), run_one(model, {{"x", x}}, true, 1),
                          shape_to_string(shape) + (last ? " NHWC" : " NCHW"));
      }
}

// DQ → GlobalAveragePool → Q after an NHWC convolution: ledge.QGlobalAveragePool on the NHWC
// integers; against the QDQ model, which sums floats, at most one level apart.
TEST(IntegerPath, GlobalAveragePoolRunsOnTheIntegers) {
  ModelBuilder b(13);
  b.input("x", DType::kFloat32, {1, 8, 6, 6});
  std::vector<float> w(64);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.05f * static_cast<float>(i % 7) - 0.1f;
  b.init("w", Tensor::from_vector<float>(w, {8, 8, 1, 1}));
  b.init("sx", scalar_f(0.05f)).init("zx", Tensor::from_vector<uint8_t>({128}, {}));
  b.init("sy", scalar_f(0.013f)).init("zy", Tensor::from_vector<uint8_t>({110}, {}));
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("QuantizeLinear", {"c", "sx", "zx"}, {"cq"});
  b.node("DequantizeLinear", {"cq", "sx", "zx"}, {"cf"});
  b.node("GlobalAveragePool", {"cf"}, {"p"});
  b.node("QuantizeLinear", {"p", "sy", "zy"}, {"y"});
  b.output("y");
  auto model = b.build();
  Model lowered = *model;
  ASSERT_TRUE(prepare_for_cpu(lowered).ok());
  int pools = 0, transposes = 0;
  for (const Node& n : lowered.graph.nodes) {
    pools += n.op_type == "QGlobalAveragePool";
    transposes += n.op_type == "Transpose";
  }
  EXPECT_EQ(pools, 1);
  EXPECT_EQ(transposes, 1);  // x in; y, [1, 8, 1, 1], leaves NHWC by a Reshape
  std::mt19937 rng(14);
  for (int trial = 0; trial < 20; ++trial) {
    Tensor x = *Tensor::make(DType::kFloat32, {1, 8, 6, 6});
    std::uniform_real_distribution<float> d(-3, 3);
    for (float& v : x.span<float>()) v = d(rng);
    SessionOptions reference;
    reference.optimize = false;
    auto want = (*Session::create(model, reference))->run({{"x", x}});
    auto got = (*Session::create(model, SessionOptions{}))->run({{"x", x}});
    ASSERT_TRUE(want.ok() && got.ok());
    for (int64_t i = 0; i < 8; ++i)
      EXPECT_NEAR((*want)[0].data<uint8_t>()[i], (*got)[0].data<uint8_t>()[i], 1) << i;
  }
}

// ledge.NhwcQAveragePool's fast kernel against its reference, bit for bit: windows cut by the
// image's edges and the padding, with and without count_include_pad, one and two threads.
TEST(IntegerPath, FastQAveragePoolMatchesTheReference) {
  std::mt19937 rng(17);
  struct Case {
    Shape x;
    int64_t k, stride;
    std::vector<int64_t> pads;
  };
  const Case cases[] = {{{1, 8, 8, 16}, 2, 2, {0, 0, 0, 0}},
                        {{2, 7, 9, 35}, 3, 1, {1, 1, 1, 1}},
                        {{1, 9, 6, 70}, 3, 2, {1, 0, 2, 1}},
                        {{1, 5, 5, 3}, 5, 1, {2, 2, 2, 2}}};
  for (const DType t : {DType::kUInt8, DType::kInt8})
    for (const Case& cc : cases)
      for (const int include_pad : {0, 1})
        for (const int threads : {1, 2}) {
          ModelBuilder b(13);
          b.input("x", t, cc.x);
          auto zero = [&](int v) {
            return t == DType::kUInt8
                       ? Tensor::from_vector<uint8_t>({static_cast<uint8_t>(v)}, {})
                       : Tensor::from_vector<int8_t>({static_cast<int8_t>(v - 128)}, {});
          };
          b.init("sx", scalar_f(0.031f)).init("zx", zero(120));
          b.init("sy", scalar_f(0.017f)).init("zy", zero(70));
          Node& p = b.node("NhwcQAveragePool", {"x", "sx", "zx", "sy", "zy"}, {"y"});
          p.domain = "ledge";
          p.attributes["kernel_shape"] = std::vector<int64_t>{cc.k, cc.k};
          p.attributes["strides"] = std::vector<int64_t>{cc.stride, cc.stride};
          p.attributes["pads"] = cc.pads;
          p.attributes["count_include_pad"] = int64_t{include_pad};
          b.output("y");
          b.model().opsets["ledge"] = 1;
          auto model = b.build();
          const Tensor x = t == DType::kUInt8 ? random_ints<uint8_t>(cc.x, rng, 0, 255)
                                              : random_ints<int8_t>(cc.x, rng, -128, 127);
          SessionOptions fast;
          fast.threads = threads;
          auto session = Session::create(model, fast);
          ASSERT_TRUE(session.ok()) << session.error().message();
          EXPECT_EQ((*session)->stats().fast_nodes, 1u);
          auto got = (*session)->run({{"x", x}});
          ASSERT_TRUE(got.ok()) << got.error().message();
          expect_same_bytes(run_one(model, {{"x", x}}, false), (*got)[0],
                            shape_to_string(cc.x) + " k" + std::to_string(cc.k) + " pad" +
                                std::to_string(include_pad) + " t" + std::to_string(threads));
        }
}

// DQ → AveragePool → Q after an NHWC convolution: ledge.NhwcQAveragePool on the NHWC
// integers, at most one level from the QDQ model (which sums floats); with ceil_mode
// cutting a window, the pool stays float (NCHW).
TEST(IntegerPath, AveragePoolRunsOnTheIntegers) {
  for (const int ceil_mode : {0, 1}) {
    ModelBuilder b(13);
    b.input("x", DType::kFloat32, {1, 8, 7, 7});
    std::vector<float> w(64);
    for (size_t i = 0; i < w.size(); ++i) w[i] = 0.05f * static_cast<float>(i % 7) - 0.1f;
    b.init("w", Tensor::from_vector<float>(w, {8, 8, 1, 1}));
    b.init("sx", scalar_f(0.05f)).init("zx", Tensor::from_vector<uint8_t>({128}, {}));
    b.init("sy", scalar_f(0.013f)).init("zy", Tensor::from_vector<uint8_t>({110}, {}));
    b.node("Conv", {"x", "w"}, {"c"});
    b.node("QuantizeLinear", {"c", "sx", "zx"}, {"cq"});
    b.node("DequantizeLinear", {"cq", "sx", "zx"}, {"cf"});
    Node& p = b.node("AveragePool", {"cf"}, {"p"});
    p.attributes["kernel_shape"] = std::vector<int64_t>{2, 2};
    p.attributes["strides"] = std::vector<int64_t>{2, 2};
    p.attributes["ceil_mode"] = int64_t{ceil_mode};
    b.node("QuantizeLinear", {"p", "sy", "zy"}, {"y"});
    b.output("y");
    auto model = b.build();
    Model lowered = *model;
    ASSERT_TRUE(prepare_for_cpu(lowered).ok());
    int pools = 0;
    for (const Node& n : lowered.graph.nodes) pools += n.op_type == "NhwcQAveragePool";
    EXPECT_EQ(pools, ceil_mode ? 0 : 1);
    std::mt19937 rng(18);
    const int64_t out = ceil_mode ? 4 : 3;
    for (int trial = 0; trial < 10; ++trial) {
      Tensor x = *Tensor::make(DType::kFloat32, {1, 8, 7, 7});
      std::uniform_real_distribution<float> d(-3, 3);
      for (float& v : x.span<float>()) v = d(rng);
      SessionOptions reference;
      reference.optimize = false;
      auto want = (*Session::create(model, reference))->run({{"x", x}});
      auto got = (*Session::create(model, SessionOptions{}))->run({{"x", x}});
      ASSERT_TRUE(want.ok() && got.ok());
      ASSERT_EQ((*got)[0].shape(), (Shape{1, 8, out, out}));
      for (int64_t i = 0; i < (*want)[0].numel(); ++i)
        EXPECT_NEAR((*want)[0].data<uint8_t>()[i], (*got)[0].data<uint8_t>()[i], 1) << i;
    }
  }
}

// A nearest-neighbour Resize between DQ and Q of one scale moves the integers (no float
// round trip), with the QDQ model's bytes. A linear one becomes ledge.QResize on the integers:
// the QDQ model's bytes where its weighted means are not halfway between two levels (inputs
// 16 levels apart, means of 1/16 weights), and at most a level off where they are (the float
// form resolves such ties by its rounding noise).
TEST(IntegerPath, ResizeRunsOnTheIntegers) {
  for (const char* mode : {"nearest", "linear"}) {
    ModelBuilder b(13);
    b.input("x", DType::kUInt8, {1, 3, 4, 5});
    b.init("s", scalar_f(0.04f)).init("z", Tensor::from_vector<uint8_t>({17}, {}));
    b.init("scales", Tensor::from_vector<float>({1, 1, 2, 2}, {4}));
    b.node("DequantizeLinear", {"x", "s", "z"}, {"xf"});
    Node& r = b.node("Resize", {"xf", "", "scales"}, {"r"});
    r.attributes["mode"] = std::string(mode);
    b.node("QuantizeLinear", {"r", "s", "z"}, {"y"});
    b.output("y");
    auto model = b.build();
    Model lowered = *model;
    ASSERT_TRUE(prepare_for_cpu(lowered).ok()) << mode;
    std::map<std::string, int> ops;
    for (const Node& n : lowered.graph.nodes) ++ops[n.op_type];
    EXPECT_EQ(ops["QuantizeLinear"] + ops["DequantizeLinear"], 0) << mode;
    EXPECT_EQ(ops["QResize"], std::string(mode) == "linear" ? 1 : 0);
    SessionOptions reference;
    reference.optimize = false;
    for (const bool ties : {false, true}) {
      Tensor x = *Tensor::make(DType::kUInt8, {1, 3, 4, 5});
      for (int64_t i = 0; i < x.numel(); ++i)
        x.data<uint8_t>()[i] = static_cast<uint8_t>(ties ? i * 13 : 17 + 16 * (i % 14));
      auto want = (*Session::create(model, reference))->run({{"x", x}});
      auto got = (*Session::create(model, SessionOptions{}))->run({{"x", x}});
      ASSERT_TRUE(want.ok() && got.ok()) << mode;
      if (std::string(mode) == "nearest" || !ties) {
        expect_same_bytes((*want)[0], (*got)[0], mode);
        continue;
      }
      const Tensor& w = (*want)[0];
      const Tensor& g = (*got)[0];
      ASSERT_EQ(w.shape(), g.shape());
      for (int64_t i = 0; i < w.numel(); ++i)
        EXPECT_LE(std::abs(int{w.data<uint8_t>()[i]} - int{g.data<uint8_t>()[i]}), 1) << i;
    }
  }
}

// A lookup between NHWC convolutions stays NHWC: only the graph's own input and output are
// transposed (a lookup the layout pass did not know cost two transposes each).
TEST(IntegerPath, LookupsKeepTheNhwcLayout) {
  ModelBuilder b(13);
  b.input("x", DType::kFloat32, {1, 4, 8, 8});
  b.init("w", Tensor::from_vector<float>(std::vector<float>(16, 0.25f), {4, 4, 1, 1}));
  b.init("s", scalar_f(0.05f)).init("z", Tensor::from_vector<uint8_t>({128}, {}));
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("QuantizeLinear", {"c", "s", "z"}, {"cq"});
  b.node("DequantizeLinear", {"cq", "s", "z"}, {"cf"});
  b.node("HardSwish", {"cf"}, {"h"});
  b.node("QuantizeLinear", {"h", "s", "z"}, {"hq"});
  b.node("DequantizeLinear", {"hq", "s", "z"}, {"hf"});
  b.node("Conv", {"hf", "w"}, {"y"});
  b.output("y");
  Model m = *b.build();
  ASSERT_TRUE(prepare_for_cpu(m).ok());
  int transposes = 0, lookups = 0;
  for (const Node& n : m.graph.nodes) {
    transposes += n.op_type == "Transpose";
    lookups += n.op_type == "QLookup";
  }
  EXPECT_EQ(lookups, 1);
  EXPECT_EQ(transposes, 2);
}

// The fast table lookup (AVX512-VBMI where the CPU has it) against the reference, on lengths
// around the 64-byte vector.
TEST(IntegerPath, FastQLookupMatchesTheReference) {
  std::mt19937 rng(10);
  for (const DType in : {DType::kUInt8, DType::kInt8})
    for (const int64_t n : {1, 63, 64, 65, 200, 1000}) {
      ModelBuilder b(13);
      b.input("x", in, {n});
      b.init("t", random_ints<uint8_t>({256}, rng, 0, 255));
      Node& l = b.node("QLookup", {"x", "t"}, {"y"});
      l.domain = "ledge";
      b.output("y");
      b.model().opsets["ledge"] = 1;
      auto m = b.build();
      const Tensor x = in == DType::kUInt8 ? random_ints<uint8_t>({n}, rng, 0, 255)
                                           : random_ints<int8_t>({n}, rng, -128, 127);
      expect_same_bytes(run_one(m, {{"x", x}}, false), run_one(m, {{"x", x}}, true, 1),
                        "lookup of " + std::to_string(n));
    }
}

// 8-bit transposes (the quantized input's NCHW → NHWC) on the fast kernel, as the reference.
TEST(IntegerPath, ByteTransposeMatchesTheReference) {
  std::mt19937 rng(31);
  for (const Shape& shape : {Shape{1, 3, 9, 10}, Shape{2, 40, 7, 5}}) {
    ModelBuilder b(13);
    b.input("x", DType::kUInt8, shape);
    b.node("Transpose", {"x"}, {"y"}).attributes["perm"] = std::vector<int64_t>{0, 2, 3, 1};
    b.output("y");
    auto m = b.build();
    const Tensor x = random_ints<uint8_t>(shape, rng, 0, 255);
    expect_same_bytes(run_one(m, {{"x", x}}, false), run_one(m, {{"x", x}}, true, 1),
                      "transpose " + shape_to_string(shape));
  }
}

// ledge.ChannelShuffle of bytes (ShuffleNet's shuffles in a quantized model) on the fast
// kernel, as the reference.
TEST(IntegerPath, ByteChannelShuffleMatchesTheReference) {
  std::mt19937 rng(37);
  for (int64_t groups : {2, 4}) {
    const Shape shape{1, 5, 3, 8 * groups};
    ModelBuilder b(13);
    b.input("x", DType::kUInt8, shape);
    Node& n = b.node("ChannelShuffle", {"x"}, {"y"});
    n.domain = "ledge";
    n.attributes["axis"] = int64_t{3};
    n.attributes["groups"] = groups;
    b.output("y");
    auto m = b.build();
    const Tensor x = random_ints<uint8_t>(shape, rng, 0, 255);
    expect_same_bytes(run_one(m, {{"x", x}}, false), run_one(m, {{"x", x}}, true, 1),
                      "channel shuffle of " + std::to_string(groups) + " groups");
  }
}

// ledge.QAdd's fast kernel against its reference, bit for bit.
TEST(IntegerPath, FastQAddMatchesTheReference) {
  std::mt19937 rng(26);
  for (const bool is_unsigned : {true, false}) {
    auto zero = [&](int v) {
      return is_unsigned ? Tensor::from_vector<uint8_t>({static_cast<uint8_t>(v)}, {})
                         : Tensor::from_vector<int8_t>({static_cast<int8_t>(v - 128)}, {});
    };
    const DType t = is_unsigned ? DType::kUInt8 : DType::kInt8;
    ModelBuilder qb(13);
    qb.input("a", t, {2, 5, 7, 3});
    qb.input("b", t, {2, 5, 7, 3});
    qb.init("sa", scalar_f(0.031f)).init("za", zero(100));
    qb.init("sb", scalar_f(0.017f)).init("zb", zero(3));
    qb.init("sy", scalar_f(0.04f)).init("zy", zero(128));
    qb.node("QAdd", {"a", "sa", "za", "b", "sb", "zb", "sy", "zy"}, {"y"}).domain = "ledge";
    qb.output("y");
    auto qm = qb.build();
    const Tensor ta = is_unsigned ? random_ints<uint8_t>({2, 5, 7, 3}, rng, 0, 255)
                                  : random_ints<int8_t>({2, 5, 7, 3}, rng, -128, 127);
    const Tensor tb = is_unsigned ? random_ints<uint8_t>({2, 5, 7, 3}, rng, 0, 255)
                                  : random_ints<int8_t>({2, 5, 7, 3}, rng, -128, 127);
    expect_same_bytes(run_one(qm, {{"a", ta}, {"b", tb}}, false),
                      run_one(qm, {{"a", ta}, {"b", tb}}, true, 1),
                      is_unsigned ? "QAdd u8" : "QAdd s8");
  }
}

}  // namespace
}  // namespace ledge
