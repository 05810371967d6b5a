// The fast path against the reference: every test builds a small graph, runs it once as
// written with the reference kernels (optimize = false) and once lowered, planned and run
// with the fast kernels (optimize = true), on random shapes and data, and compares.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "kernels/gemm_conv.h"
#include "kernels/transpose.h"
#include "kernels/winograd_conv.h"
#include "runtime/arena.h"
#include "runtime/memory_plan.h"
#include "runtime/session.h"
#include "runtime/thread_pool.h"

namespace ledge {
namespace {

struct Builder {
  std::shared_ptr<Model> model = std::make_shared<Model>();
  std::mt19937 rng{1};
  Builder(int64_t opset = 13) { model->opsets[""] = opset; }

  Tensor random(Shape shape, float scale = 1.f) {
    Tensor t = *Tensor::make(DType::kFloat32, std::move(shape));
    std::uniform_real_distribution<float> d(-scale, scale);
    for (float& v : t.span<float>()) v = d(rng);
    return t;
  }
  void input(const std::string& name, Shape shape) {
    ValueInfo v;
    v.name = name;
    v.type = TensorType{DType::kFloat32, shape};
    model->graph.inputs.push_back(v);
  }
  void output(const std::string& name) {
    ValueInfo v;
    v.name = name;
    model->graph.outputs.push_back(v);
  }
  std::string weight(const std::string& name, Tensor t) {
    model->graph.initializers[name] = std::move(t);
    return name;
  }
  Node& node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
    Node n;
    n.op_type = op;
    n.name = out[0];
    n.inputs = std::move(in);
    n.outputs = std::move(out);
    model->graph.nodes.push_back(std::move(n));
    return model->graph.nodes.back();
  }
};

// Runs the model both ways on random inputs; expects every output to agree.
void expect_fast_matches_reference(Builder& b, double tol = 1e-4, int threads = 1,
                                   size_t min_fast_nodes = 1) {
  std::map<std::string, Tensor> feeds;
  for (const auto& in : b.model->graph.inputs) feeds[in.name] = b.random(*in.type.shape);
  SessionOptions ref_opts;
  ref_opts.optimize = false;
  auto ref = Session::create(b.model, ref_opts);
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  SessionOptions fast_opts;
  fast_opts.threads = threads;
  auto fast = Session::create(b.model, fast_opts);
  ASSERT_TRUE(fast.ok()) << fast.error().message();
  auto want = (*ref)->run(feeds);
  ASSERT_TRUE(want.ok()) << want.error().message();
  auto got = (*fast)->run(feeds);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_GE((*fast)->stats().fast_nodes, min_fast_nodes);
  ASSERT_EQ(want->size(), got->size());
  for (size_t i = 0; i < want->size(); ++i) {
    const Tensor& w = (*want)[i];
    const Tensor& g = (*got)[i];
    ASSERT_EQ(w.shape(), g.shape()) << "output " << i;
    double worst = 0;
    for (int64_t k = 0; k < w.numel(); ++k) {
      const double a = w.data<float>()[k], c = g.data<float>()[k];
      worst = std::max(worst, std::fabs(a - c) / (1.0 + std::fabs(a)));
    }
    EXPECT_LE(worst, tol) << "output " << i;
  }
}

TEST(FastPath, ConvolutionsOnRandomShapes) {
  std::mt19937 rng(7);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int trial = 0; trial < 40; ++trial) {
    Builder b;
    const int kind = trial % 4;  // general, depthwise, 1x1, grouped
    const int64_t n = pick(1, 2), h = pick(3, 17), w = pick(3, 17);
    int64_t c = pick(1, 24), group = 1, o = pick(1, 24), k = pick(1, 5);
    if (kind == 1) group = c, o = c * pick(1, 2);
    if (kind == 2) k = 1;
    if (kind == 3) group = pick(2, 3), c = group * pick(1, 6), o = group * pick(1, 6);
    const int64_t s = pick(1, 2), d = k > 1 ? pick(1, 2) : 1;
    const int64_t p = pick(0, 2);
    if (h + 2 * p < d * (k - 1) + 1 || w + 2 * p < d * (k - 1) + 1) continue;
    b.input("x", {n, c, h, w});
    Node& conv = b.node("Conv",
                        {"x", b.weight("w", b.random({o, c / group, k, k})),
                         trial % 3 ? b.weight("b", b.random({o})) : ""},
                        {"y"});
    if (conv.inputs[2].empty()) conv.inputs.pop_back();
    conv.attributes["group"] = group;
    conv.attributes["strides"] = std::vector<int64_t>{s, s};
    conv.attributes["dilations"] = std::vector<int64_t>{d, d};
    conv.attributes["pads"] = std::vector<int64_t>{p, p + (trial % 2), p, p};
    // Alternate the fused activations: none, Relu, Relu6 as Clip.
    if (trial % 3 == 1) {
      b.node("Relu", {"y"}, {"z"});
      b.output("z");
    } else if (trial % 3 == 2) {
      b.node("Clip",
             {"y", b.weight("lo", *Tensor::make(DType::kFloat32, {})),
              b.weight("hi", Tensor::from_vector<float>({0.5f}, {}))},
             {"z"});
      b.output("z");
    } else {
      b.output("y");
    }
    SCOPED_TRACE("trial " + std::to_string(trial) + ": x " + std::to_string(c) + "x" +
                 std::to_string(h) + "x" + std::to_string(w) + " o " + std::to_string(o) + " k " +
                 std::to_string(k) + " group " + std::to_string(group));
    expect_fast_matches_reference(b);
  }
}

// Depthwise 3x3 and 5x5 layers (ledge's AVX-512 kernel where the CPU has it, else XNNPACK):
// strides 1 and 2, asymmetric padding, channel counts around the 16-lane blocks, images
// narrower than the window and wider than 16 columns, bias or none, fused Relu6, two images,
// one and two threads.
TEST(FastPath, DepthwiseConvolutions) {
  std::mt19937 rng(12);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int trial = 0; trial < 32; ++trial) {
    Builder b;
    const int64_t k = trial % 2 ? 5 : 3, s = trial % 4 < 2 ? 1 : 2;
    const int64_t c = std::vector<int64_t>{1, 16, 17, 40, 96, 7, 32, 33}[trial % 8];
    // Narrow images take the kernel's ring of padded rows, wider ones (from 17) read in place.
    const int64_t h = pick(2, 13), w = trial % 3 == 2 ? pick(17, 40) : pick(2, 13);
    const int64_t p = pick(0, k / 2);
    if (h + 2 * p < k || w + 2 * p < k) continue;
    b.input("x", {2, c, h, w});
    Node& conv = b.node(
        "Conv",
        {"x", b.weight("w", b.random({c, 1, k, k})), trial % 3 ? b.weight("b", b.random({c})) : ""},
        {"y"});
    if (conv.inputs[2].empty()) conv.inputs.pop_back();
    conv.attributes["group"] = c;
    conv.attributes["strides"] = std::vector<int64_t>{s, s};
    conv.attributes["pads"] = std::vector<int64_t>{p, p, p + (trial % 2), p};
    b.node("Clip",
           {"y", b.weight("lo", *Tensor::make(DType::kFloat32, {})),
            b.weight("hi", Tensor::from_vector<float>({trial % 5 ? 6.f : 0.5f}, {}))},
           {"z"});
    b.output("z");
    SCOPED_TRACE("trial " + std::to_string(trial) + ": c " + std::to_string(c) + " " +
                 std::to_string(h) + "x" + std::to_string(w) + " k " + std::to_string(k) + " s " +
                 std::to_string(s) + " p " + std::to_string(p));
    expect_fast_matches_reference(b, 1e-4, 1 + trial % 2);
  }
}

// Gemm and MatMul with constant weights become ledge.FullyConnected on the own GEMM: rows
// (batch) from 1, depths and widths around the 32-column panels, bias or none, transposed
// weights or not, fused Relu, one and two threads.
TEST(FastPath, FullyConnectedOnRandomShapes) {
  std::mt19937 rng(11);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int trial = 0; trial < 24; ++trial) {
    Builder b;
    const int64_t m = trial % 3 ? 1 : pick(2, 19), k = pick(1, 300), n = pick(1, 150);
    b.input("x", {m, k});
    const bool matmul = trial % 4 == 3, trans_b = trial % 2 == 0;
    if (matmul) {
      b.node("MatMul", {"x", b.weight("w", b.random({k, n}))}, {"y"});
    } else {
      Node& gemm = b.node("Gemm",
                          {"x", b.weight("w", trans_b ? b.random({n, k}) : b.random({k, n})),
                           trial % 3 ? b.weight("c", b.random({n})) : ""},
                          {"y"});
      if (gemm.inputs[2].empty()) gemm.inputs.pop_back();
      gemm.attributes["transB"] = int64_t{trans_b ? 1 : 0};
    }
    if (trial % 5 == 1) {
      b.node("Relu", {"y"}, {"z"});
      b.output("z");
    } else {
      b.output("y");
    }
    SCOPED_TRACE("trial " + std::to_string(trial) + ": " + std::to_string(m) + "x" +
                 std::to_string(k) + " times " + std::to_string(k) + "x" + std::to_string(n));
    expect_fast_matches_reference(b, 1e-4, 1 + trial % 2);
  }
}

// 3x3 stride-1 convolutions large enough for the Winograd kernel (winograd_conv.h): odd
// sizes (partial tiles), channel counts that are not multiples of 16, asymmetric padding,
// batches, bias, fused Relu/Clip, one and two threads.
TEST(FastPath, WinogradConvolutionsOnRandomShapes) {
  std::mt19937 rng(11);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int trial = 0; trial < 12; ++trial) {
    Builder b;
    const int64_t n = pick(1, 2), h = pick(24, 36), w = pick(24, 36), c = pick(8, 40),
                  o = pick(16, 50);
    const int64_t top = pick(0, 1), left = pick(0, 1), bottom = pick(0, 2), right = pick(0, 2);
    Window2d win;
    win.kh = win.kw = 3;
    ASSERT_TRUE(winograd_applies(
        win, 1, {n, h + top + bottom - 2, w + left + right - 2, c, o}));  // the test's premise
    b.input("x", {n, c, h, w});
    Node& conv = b.node(
        "Conv",
        {"x", b.weight("w", b.random({o, c, 3, 3})), trial % 2 ? b.weight("b", b.random({o})) : ""},
        {"y"});
    if (conv.inputs[2].empty()) conv.inputs.pop_back();
    conv.attributes["pads"] = std::vector<int64_t>{top, left, bottom, right};
    if (trial % 3 == 1) {
      b.node("Relu", {"y"}, {"z"});
      b.output("z");
    } else if (trial % 3 == 2) {
      b.node("Clip",
             {"y", b.weight("lo", Tensor::from_vector<float>({-0.5f}, {})),
              b.weight("hi", Tensor::from_vector<float>({0.5f}, {}))},
             {"z"});
      b.output("z");
    } else {
      b.output("y");
    }
    SCOPED_TRACE("trial " + std::to_string(trial) + ": x " + std::to_string(n) + "x" +
                 std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w) + " o " +
                 std::to_string(o));
    expect_fast_matches_reference(b, 1e-4, 1 + trial % 2);
  }
}

// Ungrouped convolutions with at least 16 input channels run as im2col products on the own
// GEMM (gemm_conv.h): kernel sizes, strides, dilations, asymmetric padding, batches, bias,
// fused Relu/Clip, one and two threads.
TEST(FastPath, Im2colConvolutionsOnRandomShapes) {
  std::mt19937 rng(13);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int trial = 0; trial < 16; ++trial) {
    Builder b;
    const int64_t n = pick(1, 2), h = pick(5, 20), w = pick(5, 20), c = pick(16, 40),
                  o = pick(1, 50), k = pick(1, 5), s = pick(1, 2), d = k > 1 ? pick(1, 2) : 1;
    const int64_t top = pick(0, 2), left = pick(0, 2), bottom = pick(0, 2), right = pick(0, 2);
    if (h + top + bottom < d * (k - 1) + 1 || w + left + right < d * (k - 1) + 1) continue;
    Window2d win;
    win.kh = win.kw = k;
    win.sh = win.sw = s;
    win.dh = win.dw = d;
    ASSERT_TRUE(gemm_conv_applies(win, 1, c));
    b.input("x", {n, c, h, w});
    Node& conv = b.node("Conv",
                        {"x", b.weight("w", b.random({o, c, k, k}, 0.2f)),
                         trial % 2 ? b.weight("b", b.random({o})) : ""},
                        {"y"});
    if (conv.inputs[2].empty()) conv.inputs.pop_back();
    conv.attributes["pads"] = std::vector<int64_t>{top, left, bottom, right};
    conv.attributes["strides"] = std::vector<int64_t>{s, s};
    conv.attributes["dilations"] = std::vector<int64_t>{d, d};
    if (trial % 3 == 1) {
      b.node("Relu", {"y"}, {"z"});
      b.output("z");
    } else {
      b.output("y");
    }
    SCOPED_TRACE("trial " + std::to_string(trial) + ": x " + std::to_string(n) + "x" +
                 std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w) + " o " +
                 std::to_string(o) + " k " + std::to_string(k) + " s " + std::to_string(s) + " d " +
                 std::to_string(d));
    expect_fast_matches_reference(b, 1e-4, 1 + trial % 2);
  }
}

// Winograd kernels of different sizes in one plan share one workspace: nothing one of them
// needs may live there between runs (the zero padding once did).
TEST(FastPath, WinogradLayersInSequence) {
  Builder b;
  b.input("x", {1, 24, 24, 24});
  Node& c1 = b.node("Conv", {"x", b.weight("w1", b.random({40, 24, 3, 3}, 0.15f))}, {"y1"});
  c1.attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  b.node("Relu", {"y1"}, {"r1"});
  Node& c2 = b.node("Conv", {"r1", b.weight("w2", b.random({16, 40, 3, 3}, 0.12f))}, {"y2"});
  c2.attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  Node& c3 = b.node("Conv", {"y2", b.weight("w3", b.random({32, 16, 3, 3}, 0.15f))}, {"y3"});
  c3.attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  b.output("y3");
  expect_fast_matches_reference(b, 1e-4);
}

// Outside its gate the Winograd kernel is not chosen.
TEST(FastPath, WinogradOnlyWhereItPays) {
  Window2d win;
  win.kh = win.kw = 3;
  EXPECT_TRUE(winograd_applies(win, 1, {1, 56, 56, 64, 64}));
  EXPECT_FALSE(winograd_applies(win, 1, {1, 14, 14, 256, 256}));  // weights would grow 9 MiB
  EXPECT_FALSE(winograd_applies(win, 1, {1, 8, 8, 64, 64}));      // too few tiles
  EXPECT_FALSE(winograd_applies(win, 2, {1, 56, 56, 64, 64}));    // grouped
  EXPECT_FALSE(winograd_applies(win, 1, {1, 56, 56, 3, 64}));     // too few channels
  Window2d strided = win;
  strided.sh = strided.sw = 2;
  EXPECT_FALSE(winograd_applies(strided, 1, {1, 28, 28, 64, 64}));
  Window2d five = win;
  five.kh = five.kw = 5;
  EXPECT_FALSE(winograd_applies(five, 1, {1, 56, 56, 64, 64}));
}

TEST(FastPath, PoolingAndElementwiseAroundConvolution) {
  for (int ceil_mode = 0; ceil_mode < 2; ++ceil_mode) {
    Builder b;
    b.input("x", {1, 8, 15, 15});
    b.node("Conv", {"x", b.weight("w", b.random({16, 8, 3, 3}))}, {"c"});
    Node& mp = b.node("MaxPool", {"c"}, {"m"});
    mp.attributes["kernel_shape"] = std::vector<int64_t>{3, 3};
    mp.attributes["strides"] = std::vector<int64_t>{2, 2};
    mp.attributes["ceil_mode"] = int64_t{ceil_mode};
    Node& ap = b.node("AveragePool", {"m"}, {"a"});
    ap.attributes["kernel_shape"] = std::vector<int64_t>{2, 2};
    ap.attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
    b.node("HardSwish", {"a"}, {"hs"});
    b.node("Sigmoid", {"hs"}, {"sg"});
    b.node("Mul", {"sg", b.weight("scale", b.random({16, 1, 1}))}, {"mu"});
    b.node("Add", {"mu", "hs"}, {"ad"});
    b.node("HardSigmoid", {"ad"}, {"hsg"});
    b.node("Concat", {"hsg", "ad"}, {"cat"}).attributes["axis"] = int64_t{1};
    b.node("GlobalAveragePool", {"cat"}, {"gap"});
    b.node("Flatten", {"gap"}, {"flat"});
    b.node("Gemm", {"flat", b.weight("fw", b.random({10, 32})), b.weight("fb", b.random({10}))},
           {"logits"})
        .attributes["transB"] = int64_t{1};
    b.node("Softmax", {"logits"}, {"prob"});
    b.output("prob");
    b.output("cat");  // an NHWC-computed value read back in NCHW
    expect_fast_matches_reference(b, 1e-4, 1, 8);
  }
}

// Concat's fast kernel copies blocks in 64-byte steps plus a remainder, or whole: blocks of
// 4 to 1,600 bytes on the last axis (NHWC channels), and one axis further out.
TEST(FastPath, ConcatOfShortAndLongBlocks) {
  for (const int64_t axis : {3, 1}) {
    Builder b;
    b.input("a", {2, 3, 5, 1});
    b.input("c", {2, 3, 5, 16});
    b.input("d", {2, 3, 5, 17});
    b.input("e", {2, 3, 5, 400});
    const std::vector<std::string> in = axis == 3
                                            ? std::vector<std::string>{"a", "c", "d", "e", "a"}
                                            : std::vector<std::string>{"e", "e"};
    b.node("Concat", in, {"cat"}).attributes["axis"] = axis;
    b.output("cat");
    expect_fast_matches_reference(b, 0.0);
  }
}

// A fire module (SqueezeNet): the two expand convolutions (1x1 on the GEMM, 3x3 on Winograd
// or the GEMM) write their channels straight into the Concat's output, which copies
// nothing. Not when a branch is also read elsewhere, or leaves the graph.
TEST(FastPath, ConcatInputsAreWrittenInPlace) {
  for (const int variant : {0, 1, 2})
    for (const int threads : {1, 2}) {
      Builder b;
      b.input("x", {2, 16, 12, 12});
      b.node("Conv", {"x", b.weight("ws", b.random({16, 16, 1, 1}))}, {"s"});
      b.node("Relu", {"s"}, {"sr"});
      b.node("Conv", {"sr", b.weight("w1", b.random({24, 16, 1, 1}))}, {"e1"});
      b.node("Conv", {"sr", b.weight("w3", b.random({40, 16, 3, 3}))}, {"e3"}).attributes["pads"] =
          std::vector<int64_t>{1, 1, 1, 1};
      b.node("Concat", {"e1", "e3"}, {"cat"}).attributes["axis"] = int64_t{1};
      b.node("Conv", {"cat", b.weight("wo", b.random({8, 64, 1, 1}))}, {"y"});
      b.output("y");
      if (variant == 1) {  // e1 read twice
        b.node("Relu", {"e1"}, {"e1r"});
        b.output("e1r");
      }
      if (variant == 2) b.output("e3");  // e3 leaves the graph
      expect_fast_matches_reference(b, 1e-4, threads);
      auto s = Session::create(b.model);
      ASSERT_TRUE(s.ok()) << s.error().message();
      EXPECT_EQ((*s)->stats().concats_in_place, variant == 0 ? 1u : 0u) << variant;
      if (variant != 0) continue;
      // Observers see each slice packed: the Concat's output is the slices side by side.
      std::map<std::string, Tensor> seen;
      std::string cat;
      std::vector<std::string> slices;
      RunOptions o;
      o.observer = [&](const Node& node, const std::string& name, const Tensor& v) {
        auto copy = v.clone();
        ASSERT_TRUE(copy.ok());
        seen[name] = std::move(*copy);
        if (node.op_type != "Concat") return;
        cat = name;
        slices = node.inputs;
      };
      ASSERT_TRUE((*s)->run({{"x", b.random({2, 16, 12, 12})}}, o).ok());
      ASSERT_FALSE(cat.empty());
      const Tensor& whole = seen.at(cat);
      ASSERT_EQ(whole.shape(), (Shape{2, 12, 12, 64}));  // NHWC
      ASSERT_EQ(slices.size(), 2u);
      const Tensor& a = seen.at(slices[0]);
      const Tensor& c = seen.at(slices[1]);
      ASSERT_EQ(a.shape().back() + c.shape().back(), 64);
      for (int64_t p = 0; p < 2 * 12 * 12; ++p) {
        for (int64_t k = 0; k < 24; ++k)
          ASSERT_EQ(whole.data<float>()[p * 64 + k], a.data<float>()[p * 24 + k]) << p;
        for (int64_t k = 0; k < 40; ++k)
          ASSERT_EQ(whole.data<float>()[p * 64 + 24 + k], c.data<float>()[p * 40 + k]) << p;
      }
    }
}

TEST(FastPath, TwoThreadsGiveTheSameResults) {
  Builder b;
  b.input("x", {1, 16, 32, 32});
  b.node("Conv", {"x", b.weight("w", b.random({32, 16, 3, 3}))}, {"c"}).attributes["pads"] =
      std::vector<int64_t>{1, 1, 1, 1};
  b.node("Relu", {"c"}, {"r"});
  b.node("Transpose", {"r"}, {"t"}).attributes["perm"] = std::vector<int64_t>{0, 2, 3, 1};
  b.output("t");
  expect_fast_matches_reference(b, 1e-4, 2, 2);
}

TEST(FastPath, ResultsOutliveTheNextRun) {
  Builder b;
  b.input("x", {1, 4, 8, 8});
  b.node("Conv", {"x", b.weight("w", b.random({4, 4, 1, 1}))}, {"y"});
  b.output("y");
  auto s = Session::create(b.model);
  ASSERT_TRUE(s.ok());
  Tensor x1 = b.random({1, 4, 8, 8}), x2 = b.random({1, 4, 8, 8});
  auto first = (*s)->run({{"x", x1}});
  ASSERT_TRUE(first.ok());
  auto keep = (*first)[0].clone();
  auto second = (*s)->run({{"x", x2}});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(0, std::memcmp(keep->raw(), (*first)[0].raw(), keep->nbytes()));
  EXPECT_NE(0, std::memcmp((*second)[0].raw(), (*first)[0].raw(), keep->nbytes()));
}

TEST(FastPath, SessionsShareOneArena) {
  auto arena = std::make_shared<Arena>();
  std::vector<std::unique_ptr<Session>> sessions;
  std::vector<Builder> builders(2);
  for (int i = 0; i < 2; ++i) {
    Builder& b = builders[i];
    b.rng.seed(10 + i);
    b.input("x", {1, 3, 16 + 8 * i, 16});
    b.node("Conv", {"x", b.weight("w", b.random({8, 3, 3, 3}))}, {"c"});
    b.node("Relu", {"c"}, {"y"});
    b.output("y");
    SessionOptions o;
    o.arena = arena;
    auto s = Session::create(b.model, o);
    ASSERT_TRUE(s.ok());
    sessions.push_back(std::move(s).value());
  }
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 2; ++i) {
      Builder& b = builders[i];
      Tensor x = b.random({1, 3, 16 + 8 * i, 16});
      auto got = sessions[i]->run({{"x", x}});
      SessionOptions ref;
      ref.optimize = false;
      auto want = (*Session::create(b.model, ref))->run({{"x", x}});
      ASSERT_TRUE(got.ok() && want.ok());
      for (int64_t k = 0; k < (*want)[0].numel(); ++k)
        ASSERT_NEAR((*want)[0].data<float>()[k], (*got)[0].data<float>()[k], 1e-4);
    }
  EXPECT_GE(arena->size(), sessions[1]->stats().arena_bytes);
}

TEST(MemoryPlan, NeverOverlapsLiveBuffers) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<BufferLifetime> bufs;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const size_t first = rng() % 30;
      bufs.push_back({1 + rng() % 5000, first, first + rng() % 6});
    }
    const MemoryPlan p = plan_memory(bufs);
    ASSERT_EQ(p.offsets.size(), bufs.size());
    EXPECT_GE(p.arena_bytes, p.peak_live_bytes);
    for (size_t i = 0; i < bufs.size(); ++i) {
      EXPECT_EQ(p.offsets[i] % 64, 0u);
      EXPECT_LE(p.offsets[i] + bufs[i].bytes, p.arena_bytes);
      for (size_t j = i + 1; j < bufs.size(); ++j) {
        const bool live_together =
            bufs[i].first_step <= bufs[j].last_step && bufs[j].first_step <= bufs[i].last_step;
        const bool bytes_overlap = p.offsets[i] < p.offsets[j] + bufs[j].bytes &&
                                   p.offsets[j] < p.offsets[i] + bufs[i].bytes;
        EXPECT_FALSE(live_together && bytes_overlap) << "buffers " << i << " and " << j;
      }
    }
  }
}

TEST(MemoryPlan, ReusesMemoryOfDeadBuffers) {
  // A chain: each buffer dies when the next is written, so two slots suffice.
  std::vector<BufferLifetime> chain;
  for (size_t i = 0; i < 10; ++i) chain.push_back({1024, i, i + 1});
  EXPECT_EQ(plan_memory(chain).arena_bytes, 2048u);
}

}  // namespace
}  // namespace ledge

namespace ledge {
namespace {

// ShuffleNet's block: channel shuffle written as Reshape/Transpose/Reshape, a channel
// split by Slice, and a ReduceMean over H and W at the end.
// MobileNetV3's activation as opset-13 exporters write it, x * HardSigmoid(x) with alpha
// 1/6 and beta 1/2, runs as one HardSwish (the same results); with another alpha, or when
// the gate is read elsewhere (a squeeze-excitation scale), it stays two nodes.
TEST(FastPath, HardSigmoidTimesItsInputBecomesHardSwish) {
  struct Case {
    float alpha;
    bool gate_read_twice;
    int hard_swish;
  };
  for (const Case c : {Case{1.f / 6.f, false, 1}, Case{0.2f, false, 0}, Case{1.f / 6.f, true, 0}}) {
    Builder b;
    b.input("x", {1, 6, 5, 7});
    b.node("Conv", {"x", b.weight("w", b.random({8, 6, 3, 3}))}, {"c"});
    Node& hs = b.node("HardSigmoid", {"c"}, {"gate"});
    hs.attributes["alpha"] = c.alpha;
    hs.attributes["beta"] = 0.5f;
    b.node("Mul", {"gate", "c"}, {"y"});
    b.output("y");
    if (c.gate_read_twice) b.output("gate");
    SCOPED_TRACE(testing::Message()
                 << "alpha " << c.alpha << " gate read twice " << c.gate_read_twice);
    expect_fast_matches_reference(b, 1e-5, 1, 1);
    auto s = Session::create(b.model, SessionOptions{});
    ASSERT_TRUE(s.ok());
    std::map<std::string, int> ops;
    for (const auto& n : (*s)->model().graph.nodes) {
      ++ops[n.op_type];
      if (n.attributes.count("activation_hard_swish")) ++ops["fused HardSwish"];
    }
    EXPECT_EQ(ops["HardSwish"] + ops["fused HardSwish"], c.hard_swish);
    EXPECT_EQ(ops["HardSigmoid"], 1 - c.hard_swish);
  }
}

// A HardSwish after a convolution or fully connected layer becomes part of it, on every
// kernel: the GEMM (1x1; 3x3 with 16 channels), Winograd, the depthwise kernel (narrow images
// through its ring, wide ones in place), XNNPACK (a first layer of 3 channels), the fully
// connected GEMM. A Relu after the HardSwish stays a node of its own: the fused clamp comes
// before the HardSwish.
TEST(FastPath, HardSwishFusesIntoEveryConvolutionKernel) {
  struct Case {
    const char* what;
    int64_t c, o, hw, k, stride, group;
    bool relu_after;
  };
  const std::vector<Case> cases = {
      {"1x1", 24, 40, 9, 1, 1, 1, false},
      {"3x3 GEMM", 16, 24, 9, 3, 2, 1, false},
      {"3x3 Winograd", 64, 64, 28, 3, 1, 1, false},
      {"depthwise narrow", 40, 40, 14, 5, 1, 40, false},
      {"depthwise wide", 24, 24, 30, 3, 2, 24, false},
      {"first layer", 3, 16, 20, 3, 2, 1, false},
      {"1x1 then Relu", 24, 40, 9, 1, 1, 1, true},
  };
  for (const Case& k : cases) {
    for (int threads = 1; threads <= 2; ++threads) {
      Builder b;
      b.input("x", {1, k.c, k.hw, k.hw});
      Node& conv = b.node("Conv",
                          {"x", b.weight("w", b.random({k.o, k.c / k.group, k.k, k.k})),
                           b.weight("b", b.random({k.o}))},
                          {"c"});
      conv.attributes["group"] = k.group;
      conv.attributes["strides"] = std::vector<int64_t>{k.stride, k.stride};
      const int64_t p = k.k / 2;
      conv.attributes["pads"] = std::vector<int64_t>{p, p, p, p};
      b.node("HardSwish", {"c"}, {k.relu_after ? "h" : "y"});
      if (k.relu_after) b.node("Relu", {"h"}, {"y"});
      b.output("y");
      SCOPED_TRACE(std::string(k.what) + ", threads " + std::to_string(threads));
      expect_fast_matches_reference(b, 1e-4, threads);
      auto s = Session::create(b.model, SessionOptions{});
      ASSERT_TRUE(s.ok());
      std::map<std::string, int> ops;
      for (const auto& n : (*s)->model().graph.nodes) ++ops[n.op_type];
      EXPECT_EQ(ops["HardSwish"], 0);
      EXPECT_EQ(ops["Relu"], k.relu_after ? 1 : 0);
    }
  }
  Builder b;  // Gemm → HardSwish
  b.input("x", {3, 50});
  b.node("Gemm", {"x", b.weight("w", b.random({50, 30})), b.weight("b", b.random({30}))}, {"g"});
  b.node("HardSwish", {"g"}, {"y"});
  b.output("y");
  expect_fast_matches_reference(b, 1e-4, 1);
  auto s = Session::create(b.model, SessionOptions{});
  ASSERT_TRUE(s.ok());
  for (const auto& n : (*s)->model().graph.nodes) EXPECT_NE(n.op_type, "HardSwish");
}

TEST(FastPath, ChannelShuffleSliceAndReduceMeanStayNhwc) {
  for (int keepdims = 0; keepdims < 2; ++keepdims) {
    Builder b;
    b.input("x", {1, 6, 5, 7});
    b.node("Conv", {"x", b.weight("w", b.random({8, 6, 1, 1}))}, {"c"});
    b.node("Reshape", {"c", b.weight("s5", Tensor::from_vector<int64_t>({1, 2, 4, 5, 7}, {5}))},
           {"r5"});
    b.node("Transpose", {"r5"}, {"t5"}).attributes["perm"] = std::vector<int64_t>{0, 2, 1, 3, 4};
    b.node("Reshape", {"t5", b.weight("s4", Tensor::from_vector<int64_t>({1, 8, 5, 7}, {4}))},
           {"shuf"});
    b.node("Slice",
           {"shuf", b.weight("st", Tensor::from_vector<int64_t>({2}, {1})),
            b.weight("en", Tensor::from_vector<int64_t>({7}, {1})),
            b.weight("ax", Tensor::from_vector<int64_t>({1}, {1}))},
           {"part"});
    b.node("Conv", {"part", b.weight("w2", b.random({3, 5, 3, 3}))}, {"c2"});
    Node& rm = b.node("ReduceMean", {"c2"}, {"mean"});
    rm.attributes["axes"] = std::vector<int64_t>{2, 3};
    rm.attributes["keepdims"] = int64_t{keepdims};
    b.output("mean");
    b.output("shuf");
    expect_fast_matches_reference(b, 1e-4, 1, 5);
    SessionOptions o;
    auto s = Session::create(b.model, o);
    ASSERT_TRUE(s.ok());
    std::map<std::string, int> ops;
    for (const auto& n : (*s)->model().graph.nodes) ++ops[n.op_type];
    EXPECT_EQ(ops["ChannelShuffle"], 1);
    EXPECT_EQ(ops["NhwcGlobalAveragePool"], 1);
  }
}

}  // namespace
}  // namespace ledge

namespace ledge {
namespace {

// Old exporters list weights as inputs with defaults; an optimized session compiles the
// default in and must refuse, clearly, a feed it would otherwise ignore.
TEST(FastPath, FeedingACompiledInWeightIsAnError) {
  Builder b;
  b.input("x", {1, 2, 4, 4});
  b.node("Conv", {"x", b.weight("w", b.random({3, 2, 1, 1}))}, {"y"});
  ValueInfo w;
  w.name = "w";
  w.type = TensorType{DType::kFloat32, Shape{3, 2, 1, 1}};
  b.model->graph.inputs.push_back(w);
  b.output("y");
  const Tensor x = b.random({1, 2, 4, 4}), other = b.random({3, 2, 1, 1});
  auto fast = Session::create(b.model);
  ASSERT_TRUE(fast.ok());
  ASSERT_EQ((*fast)->inputs().size(), 1u);
  EXPECT_TRUE((*fast)->run({{"x", x}}).ok());
  auto r = (*fast)->run({{"x", x}, {"w", other}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("optimize = false"), std::string::npos);
  SessionOptions ref;
  ref.optimize = false;
  auto plain = Session::create(b.model, ref);
  ASSERT_TRUE(plain.ok());
  auto a = (*plain)->run({{"x", x}}), c = (*plain)->run({{"x", x}, {"w", other}});
  ASSERT_TRUE(a.ok() && c.ok());
  EXPECT_NE(0, std::memcmp((*a)[0].raw(), (*c)[0].raw(), (*a)[0].nbytes()));
}

}  // namespace
}  // namespace ledge

namespace ledge {
namespace {

// ResNet's residual: Conv → Add(·, skip) → Relu; the Relu folds into the Add.
TEST(FastPath, ResidualAddWithRelu) {
  Builder b;
  b.input("x", {1, 8, 9, 9});
  Node& c = b.node("Conv", {"x", b.weight("w", b.random({8, 8, 3, 3}))}, {"c"});
  c.attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  b.node("Add", {"c", "x"}, {"sum"});
  b.node("Relu", {"sum"}, {"y"});
  b.output("y");
  expect_fast_matches_reference(b, 1e-4, 1, 2);
  auto s = Session::create(b.model);
  ASSERT_TRUE(s.ok());
  int fused = 0, relus = 0;
  for (const auto& n : (*s)->model().graph.nodes) {
    fused += n.op_type == "FusedAdd";
    relus += n.op_type == "Relu";
  }
  EXPECT_EQ(fused, 1);
  EXPECT_EQ(relus, 0);
}

// Bilinear Resize of NCHW images on XNNPACK: every coordinate mode it shares with ONNX, by
// scales (2 and 3) or by sizes, one and two images; a scale whose output size is not exact
// (XNNPACK would map coordinates by the size ratio) stays on the reference kernel.
TEST(FastPath, LinearResize) {
  std::mt19937 rng(13);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const char* modes[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"};
  for (int trial = 0; trial < 24; ++trial) {
    Builder b;
    const bool by_sizes = trial % 3 == 2, inexact = trial % 6 == 4;
    const int64_t n = 1 + trial % 2, c = pick(1, 5), h = inexact ? 5 : pick(2, 9),
                  w = inexact ? 7 : pick(2, 9);
    const char* mode = modes[trial % 4];
    const float scale = inexact ? 1.5f : static_cast<float>(2 + trial % 2);
    b.input("x", {n, c, h, w});
    std::vector<std::string> in{"x", ""};
    if (by_sizes) {
      in.push_back("");
      in.push_back(b.weight("sizes", Tensor::from_vector<int64_t>({n, c, h * 2 + 1, w * 3}, {4})));
    } else {
      in.push_back(b.weight("scales", Tensor::from_vector<float>({1, 1, scale, scale}, {4})));
    }
    Node& r = b.node("Resize", in, {"y"});
    r.attributes["mode"] = std::string("linear");
    r.attributes["coordinate_transformation_mode"] = std::string(mode);
    b.output("y");
    const bool taken = !inexact;
    SCOPED_TRACE(std::string(mode) + (by_sizes ? " by sizes" : " scale " + std::to_string(scale)) +
                 " " + std::to_string(h) + "x" + std::to_string(w));
    expect_fast_matches_reference(b, 1e-5, 1 + trial % 2, taken ? 1 : 0);
    if (!taken) {
      auto s = Session::create(b.model, SessionOptions{});
      ASSERT_TRUE(s.ok());
      EXPECT_EQ((*s)->stats().fast_nodes, 0u);
    }
  }
}

// Add and Mul by a per-channel operand (squeeze-and-excitation in NHWC), on ledge's own
// kernel: operand first or second, one row per image or shared, a fused Relu, a tensor large
// enough for two threads, and a shape it does not take (broadcast along rows too).
TEST(FastPath, ChannelBroadcastAddAndMul) {
  struct Case {
    const char* op;
    Shape x, s;
    bool s_first, relu;
    int threads;
  };
  const std::vector<Case> cases = {
      {"Mul", {1, 7, 9, 16}, {1, 1, 1, 16}, false, false, 1},
      {"Add", {2, 5, 6, 19}, {19}, true, false, 1},
      {"Mul", {2, 3, 4, 24}, {2, 1, 1, 24}, false, false, 2},
      {"Mul", {1, 56, 56, 16}, {1, 1, 1, 16}, true, false, 2},
      {"Add", {2, 40, 30, 33}, {2, 1, 1, 33}, false, true, 2},
      {"Mul", {1, 5, 5, 16}, {1, 5, 1, 16}, false, false, 1},
  };
  for (const Case& k : cases) {
    Builder b;
    b.input("x", k.x);
    b.input("s", k.s);
    b.node(k.op,
           k.s_first ? std::vector<std::string>{"s", "x"} : std::vector<std::string>{"x", "s"},
           {k.relu ? "t" : "y"});
    if (k.relu) b.node("Relu", {"t"}, {"y"});
    b.output("y");
    SCOPED_TRACE(std::string(k.op) + " " + shape_to_string(k.x) + " by " + shape_to_string(k.s));
    expect_fast_matches_reference(b, 1e-6, k.threads);
  }
}

}  // namespace
}  // namespace ledge

namespace ledge {
namespace {

TEST(FastPath, TransposeOfRandomPermutations) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 30; ++trial) {
    const size_t rank = 1 + rng() % 5;
    Shape shape;
    for (size_t i = 0; i < rank; ++i) shape.push_back(1 + static_cast<int64_t>(rng() % 7));
    std::vector<int64_t> perm(rank);
    for (size_t i = 0; i < rank; ++i) perm[i] = static_cast<int64_t>(i);
    std::shuffle(perm.begin(), perm.end(), rng);
    Builder b;
    b.input("x", shape);
    b.node("Transpose", {"x"}, {"y"}).attributes["perm"] = perm;
    b.output("y");
    SCOPED_TRACE("trial " + std::to_string(trial) + " shape " + shape_to_string(shape));
    expect_fast_matches_reference(b, 0, 1, 1);
  }
}

// NCHW to NHWC with few channels (an image entering a channels-last graph) for every element
// size, on one thread and two: each output element is the input element it names.
TEST(FastPath, ChannelsLastTransposeOfFewChannels) {
  const ThreadPool two(2);
  const std::vector<const ThreadPool*> pools{nullptr, &two};
  for (size_t elem : {1, 2, 4, 8})
    for (int64_t channels = 1; channels <= 9; ++channels)
      for (const ThreadPool* pool : pools) {
        const Shape shape{2, channels, 5, 67};
        const size_t count = static_cast<size_t>(numel(shape));
        std::vector<uint8_t> src(count * elem), dst(count * elem, 0);
        for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 7 + i / 251);
        auto plan = plan_transpose(shape, {0, 2, 3, 1}, elem);
        ASSERT_TRUE(plan);
        run_transpose(*plan, src.data(), dst.data(), pool);
        const size_t hw = 5 * 67, c = static_cast<size_t>(channels);
        size_t wrong = 0;
        for (size_t n = 0; n < 2; ++n)
          for (size_t p = 0; p < hw; ++p)
            for (size_t k = 0; k < c; ++k)
              wrong += std::memcmp(&dst[((n * hw + p) * c + k) * elem],
                                   &src[((n * c + k) * hw + p) * elem], elem) != 0;
        EXPECT_EQ(wrong, 0u) << "element size " << elem << ", " << channels << " channels";
      }
}

}  // namespace
}  // namespace ledge
