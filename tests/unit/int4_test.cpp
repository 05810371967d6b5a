// Weight-only int4: the quantizer (src/quant/quantize_int4.h), the reference MatMulNBits
// (src/ops/matmul_nbits.cpp) against a direct computation, and the fast kernel against the
// reference on random shapes.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/matmul_nbits_q8.h"
#include "lower/lower.h"
#include "model_builder.h"
#include "ops/matmul_nbits_layout.h"
#include "quant/quantize_int4.h"
#include "runtime/thread_pool.h"

namespace ledge {
namespace {

using testing::ModelBuilder;
using testing::random_tensor;

// W[n, k] as MatMulNBits defines it, from the quantizer's tensors.
std::vector<float> dequantize(const Int4Weights& q, int64_t N, int64_t K, int64_t block) {
  const int64_t k_blocks = nbits::blocks(K, block), blob = block / 2;
  const int64_t zp_row = nbits::zero_point_row_bytes(k_blocks, 4);
  std::vector<float> w(static_cast<size_t>(N * K));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t nb = n * k_blocks + k / block;
      const int zero = nbits::code_at(q.zero_points.data<uint8_t>() + n * zp_row, k / block, 4);
      const int code = nbits::code_at(q.codes.data<uint8_t>() + nb * blob, k % block, 4);
      w[static_cast<size_t>(n * K + k)] =
          static_cast<float>(code - zero) * q.scales.data<float>()[nb];
    }
  return w;
}

TEST(Int4, WeightsWithinHalfAStepAndZerosExact) {
  const int64_t N = 5, K = 70, block = 32;  // a partial last block
  Tensor t = random_tensor(DType::kFloat32, {N, K}, 3);
  float* w = t.data<float>();
  for (int64_t k = 0; k < K; k += 7) w[k] = 0.f;         // exact zeros stay exact
  for (int64_t k = 32; k < 64; ++k) w[2 * K + k] = 0.f;  // an all-zero block
  w[3 * K + 5] = 40.f;                                   // an outlier widens one block only
  const Int4Weights q = quantize_int4_rows(w, N, K, block);
  ASSERT_EQ(q.codes.shape(), (Shape{N, 3, 16}));
  ASSERT_EQ(q.scales.numel(), N * 3);
  ASSERT_EQ(q.zero_points.numel(), N * 2);
  const std::vector<float> d = dequantize(q, N, K, block);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      const float step = q.scales.data<float>()[n * 3 + k / block];
      const float v = w[n * K + k], got = d[static_cast<size_t>(n * K + k)];
      EXPECT_LE(std::fabs(v - got), step / 2 * 1.0001f) << n << "," << k;
      if (v == 0.f) {
        EXPECT_EQ(got, 0.f) << n << "," << k;
      }
    }
  // The outlier's block has a coarse step, the row's other blocks do not.
  EXPECT_GT(q.scales.data<float>()[3 * 3 + 0], 2.f);
  EXPECT_LT(q.scales.data<float>()[3 * 3 + 1], 0.2f);
}

// x [M, K] → MatMul(W1 [K, H]) → Relu → Gemm(W2 [N, H], transB, bias, alpha, beta) → y
std::shared_ptr<Model> mlp(int64_t M, int64_t K, int64_t H, int64_t N) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {M, K}).output("y");
  b.init("w1", random_tensor(DType::kFloat32, {K, H}, 11));
  b.init("w2", random_tensor(DType::kFloat32, {N, H}, 12));
  b.init("c", random_tensor(DType::kFloat32, {N}, 13));
  b.node("MatMul", {"x", "w1"}, {"h"});
  b.node("Relu", {"h"}, {"r"});
  Node& g = b.node("Gemm", {"r", "w2", "c"}, {"y"});
  g.attributes["transB"] = int64_t{1};
  g.attributes["alpha"] = 0.5f;
  g.attributes["beta"] = 2.f;
  return b.build();
}

std::vector<Tensor> run(const std::shared_ptr<Model>& m, const std::map<std::string, Tensor>& feeds,
                        bool optimize, int threads = 1) {
  SessionOptions o;
  o.optimize = optimize;
  o.threads = threads;
  auto s = Session::create(testing::clone_model(*m), o);
  EXPECT_TRUE(s.ok()) << s.error().message();
  if (!s.ok()) return {};
  auto r = (*s)->run(feeds);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : std::vector<Tensor>{};
}

// RMS of (quantized - float) over RMS of float, for the single output on random inputs.
double relative_error(const std::shared_ptr<Model>& float_model,
                      const std::shared_ptr<Model>& quantized, bool optimize, int threads = 1) {
  const auto feeds = testing::random_feeds(*float_model);
  const auto want = run(float_model, feeds, false);
  const auto got = run(quantized, feeds, optimize, threads);
  EXPECT_EQ(want.size(), 1u);
  EXPECT_EQ(got.size(), 1u);
  if (want.size() != 1 || got.size() != 1) return -1;
  double err = 0, norm = 0;
  for (int64_t i = 0; i < want[0].numel(); ++i) {
    const double a = want[0].data<float>()[i], b = got[0].data<float>()[i];
    err += (a - b) * (a - b);
    norm += a * a;
  }
  return std::sqrt(err / norm);
}

TEST(Int4, QuantizerRewritesMatMulAndGemmCloseToFloat) {
  auto m = mlp(4, 96, 64, 10);
  auto q = quantize_weights_int4(*m, {});
  ASSERT_TRUE(q.ok()) << q.error().message();
  EXPECT_EQ(q->quantized, (std::vector<std::string>{"h", "y"}));
  int nbits_nodes = 0;
  for (const Node& n : q->model->graph.nodes) nbits_nodes += n.op_type == "MatMulNBits";
  EXPECT_EQ(nbits_nodes, 2);
  EXPECT_FALSE(q->model->graph.initializers.count("w1"));  // float weights are gone
  EXPECT_EQ(q->model->opsets.at("com.microsoft"), 1);

  const double rel = relative_error(m, q->model, false);
  // Uniform weights on 16 levels: a rounding error of step / sqrt(12) = 6.7% of their
  // standard deviation per layer, about 9.5% after two layers; never nothing.
  EXPECT_GT(rel, 0.02);
  EXPECT_LT(rel, 0.15);
}

// A 1x1 convolution between two 3x3 ones (a MobileNet block): the quantizer makes it
// Transpose → MatMulNBits → Transpose, with its bias shared through an Identity as exporters
// write it; the result stays close to float, and the CPU lowering keeps the convolutions'
// NHWC layout through it (no Transpose between them, one at the input, one at the output).
TEST(Int4, PointwiseConvolutionBecomesMatMulNBitsInNhwc) {
  ModelBuilder b;
  b.input("x", DType::kFloat32, {1, 8, 10, 10}).output("y");
  b.init("w1", random_tensor(DType::kFloat32, {64, 8, 3, 3}, 51));
  b.init("w2", random_tensor(DType::kFloat32, {96, 64, 1, 1}, 52));
  b.init("bias", random_tensor(DType::kFloat32, {96}, 53));
  b.init("w3", random_tensor(DType::kFloat32, {4, 96, 3, 3}, 54));
  b.node("Identity", {"bias"}, {"shared_bias"});
  b.node("Conv", {"x", "w1"}, {"c1"}).attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  b.node("Relu", {"c1"}, {"r1"});
  b.node("Conv", {"r1", "w2", "shared_bias"}, {"c2"}).attributes["kernel_shape"] =
      std::vector<int64_t>{1, 1};
  b.node("Clip", {"c2"}, {"r2"});
  b.node("Conv", {"r2", "w3"}, {"y"}).attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  auto m = b.build();
  auto q = quantize_weights_int4(*m, {});
  ASSERT_TRUE(q.ok()) << q.error().message();
  EXPECT_EQ(q->quantized, (std::vector<std::string>{"c2"}));  // the 3x3 ones stay float
  std::map<std::string, int> ops;
  for (const Node& n : q->model->graph.nodes) ++ops[n.op_type];
  EXPECT_EQ(ops["MatMulNBits"], 1);
  EXPECT_EQ(ops["Transpose"], 2);
  EXPECT_EQ(ops["Conv"], 2);

  const double rel = relative_error(m, q->model, true, 2);
  EXPECT_GT(rel, 0.005);  // int4 does change the result
  EXPECT_LT(rel, 0.15);

  Model lowered = *testing::clone_model(*q->model);
  ASSERT_TRUE(prepare_for_cpu(lowered).ok());
  int transposes = 0, nbits = 0;
  for (const Node& n : lowered.graph.nodes) {
    transposes += n.op_type == "Transpose";
    nbits += n.op_type == "MatMulNBits";
  }
  EXPECT_EQ(nbits, 1);
  EXPECT_EQ(transposes, 2);
}

TEST(Int4, ReferenceOperatorComputesTheDequantizedProduct) {
  const int64_t M = 3, K = 50, N = 6, block = 16;
  Tensor w = random_tensor(DType::kFloat32, {N, K}, 21);
  const Int4Weights q = quantize_int4_rows(w.data<float>(), N, K, block);
  const std::vector<float> d = dequantize(q, N, K, block);
  ModelBuilder b;
  b.input("x", DType::kFloat32, {M, K}).output("y");
  b.init("b", q.codes).init("s", q.scales).init("z", q.zero_points);
  b.init("bias", random_tensor(DType::kFloat32, {N}, 22));
  Node& n = b.node("MatMulNBits", {"x", "b", "s", "z", "", "bias"}, {"y"});
  n.domain = "com.microsoft";
  n.attributes = {{"K", K}, {"N", N}, {"bits", int64_t{4}}, {"block_size", block}};
  auto model = b.build();
  model->opsets["com.microsoft"] = 1;
  const auto feeds = testing::random_feeds(*model);
  const auto got = run(model, feeds, false);
  ASSERT_EQ(got.size(), 1u);
  const float* x = feeds.at("x").data<float>();
  const float* bias = model->graph.initializers.at("bias").data<float>();
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = bias[j];
      for (int64_t k = 0; k < K; ++k)
        acc += double{x[i * K + k]} * d[static_cast<size_t>(j * K + k)];
      EXPECT_NEAR(got[0].data<float>()[i * N + j], acc, 1e-5 * (1 + std::fabs(acc)));
    }
}

TEST(Int4, FastKernelMatchesReferenceOnRandomShapes) {
  struct Case {
    int64_t M, K, N, block;
    bool zero_points, bias;
    int threads;
  };
  const Case cases[] = {{1, 32, 1, 32, true, false, 1},
                        {1, 96, 17, 32, true, true, 1},
                        {4, 50, 9, 32, true, true, 2},
                        {7, 200, 33, 64, false, true, 2},
                        {2, 128, 5, 128, false, false, 1},
                        {1, 1000, 3, 32, true, true, 2},
                        // Rows enough to expand the weights to float once (a 1x1 convolution).
                        {16, 96, 40, 32, true, true, 1},
                        {75, 50, 7, 32, false, false, 2}};
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "M=" << c.M << " K=" << c.K << " N=" << c.N
                                      << " block=" << c.block << " zp=" << c.zero_points);
    Tensor w = random_tensor(DType::kFloat32, {c.N, c.K}, 31);
    const Int4Weights q = quantize_int4_rows(w.data<float>(), c.N, c.K, c.block);
    ModelBuilder b;
    b.input("x", DType::kFloat32, {c.M, c.K}).output("y");
    b.init("b", q.codes).init("s", q.scales).init("z", q.zero_points);
    b.init("bias", random_tensor(DType::kFloat32, {c.N}, 32));
    std::vector<std::string> in = {"x", "b", "s", c.zero_points ? "z" : ""};
    if (c.bias) in.insert(in.end(), {"", "bias"});
    Node& n = b.node("MatMulNBits", in, {"y"});
    n.domain = "com.microsoft";
    n.attributes = {{"K", c.K}, {"N", c.N}, {"block_size", c.block}};
    auto model = b.build();
    model->opsets["com.microsoft"] = 1;
    const auto feeds = testing::random_feeds(*model);
    const auto want = run(model, feeds, false);
    SessionOptions o;
    o.threads = c.threads;
    auto fast = Session::create(testing::clone_model(*model), o);
    ASSERT_TRUE(fast.ok()) << fast.error().message();
    EXPECT_EQ((*fast)->stats().fast_nodes, 1u);
    auto got = (*fast)->run(feeds);
    ASSERT_TRUE(got.ok()) << got.error().message();
    testing::expect_same_outputs(want, *got, 1e-4, 1e-4);
  }
}

// The integer kernel rounds A to int8 per block: each element of A moves by at most
// a_scale / 2, so each output by at most sum_k |W[n, k]| * a_scale(k) / 2.
TEST(Int4, IntegerKernelWithinTheRoundingOfA) {
  struct Case {
    int64_t M, K, N, block;
  };
  const Case cases[] = {{1, 32, 3, 32},    {1, 96, 17, 32},  {3, 200, 9, 32}, {2, 512, 5, 64},
                        {1, 1024, 4, 128}, {2, 768, 3, 256}, {1, 40, 2, 32}};
  const Int4Q8Path paths[] = {Int4Q8Path::kVnni512, Int4Q8Path::kAvx2, Int4Q8Path::kPortable};
  ThreadPool pool(2);
  for (const Case& c : cases) {
    Tensor w = random_tensor(DType::kFloat32, {c.N, c.K}, 41);
    const Int4Weights q = quantize_int4_rows(w.data<float>(), c.N, c.K, c.block);
    const std::vector<float> d = dequantize(q, c.N, c.K, c.block);
    Tensor a = random_tensor(DType::kFloat32, {c.M, c.K}, 42);
    a.data<float>()[0] = 3.f;  // one large value coarsens its block only
    const int64_t k_blocks = nbits::blocks(c.K, c.block), zp_row = (k_blocks + 1) / 2;
    Int4KernelWeights kw;
    kw.codes = q.codes;
    kw.scales.assign(q.scales.data<float>(), q.scales.data<float>() + c.N * k_blocks);
    for (int64_t n = 0; n < c.N; ++n)
      for (int64_t b = 0; b < k_blocks; ++b)
        kw.offsets.push_back(
            -static_cast<float>(nbits::code_at(q.zero_points.data<uint8_t>() + n * zp_row, b, 4)) *
            kw.scales[static_cast<size_t>(n * k_blocks + b)]);
    for (int64_t n = 0; n < c.N; ++n) kw.bias.push_back(0.25f * static_cast<float>(n));
    kw.M = c.M, kw.N = c.N, kw.K = c.K, kw.block = c.block;
    for (Int4Q8Path path : paths) {
      auto kernel = make_int4_q8_kernel(kw, pool, path);
      if (!kernel) continue;  // not on this CPU
      SCOPED_TRACE(::testing::Message() << "M=" << c.M << " K=" << c.K << " N=" << c.N
                                        << " block=" << c.block << " path=" << int(path));
      std::vector<uint8_t> ws(kernel->workspace_bytes() + 64);
      kernel->set_workspace(ws.data() + (64 - reinterpret_cast<uintptr_t>(ws.data()) % 64) % 64);
      Tensor y = *Tensor::make(DType::kFloat32, {c.M, c.N});
      const Tensor* in[] = {&a};
      Tensor* out[] = {&y};
      ASSERT_TRUE(kernel->run(in, out).ok());
      for (int64_t m = 0; m < c.M; ++m)
        for (int64_t n = 0; n < c.N; ++n) {
          double want = kw.bias[static_cast<size_t>(n)], bound = 0;
          for (int64_t k = 0; k < c.K; ++k) {
            const int64_t k0 = k / c.block * c.block;
            float amax = 0;
            for (int64_t j = k0; j < std::min(c.K, k0 + c.block); ++j)
              amax = std::max(amax, std::fabs(a.data<float>()[m * c.K + j]));
            const double wk = d[static_cast<size_t>(n * c.K + k)];
            want += wk * a.data<float>()[m * c.K + k];
            bound += std::fabs(wk) * amax / 127 / 2;
          }
          EXPECT_NEAR(y.data<float>()[m * c.N + n], want,
                      bound * 1.01 + 1e-4 * (1 + std::fabs(want)))
              << "m=" << m << " n=" << n;
        }
    }
  }
}

TEST(Int4, BadBlockSizeAndMismatchedWeightsAreClearErrors) {
  auto m = mlp(1, 32, 16, 4);
  Int4Options bad;
  bad.block_size = 24;
  auto q = quantize_weights_int4(*m, bad);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message().find("power of two"), std::string::npos);

  ModelBuilder b;
  b.input("x", DType::kFloat32, {1, 64}).output("y");
  b.init("b", *Tensor::make(DType::kUInt8, {4, 2, 8}));  // blob of 8 bytes: block 16, not 32
  b.init("s", *Tensor::make(DType::kFloat32, {8}));
  Node& n = b.node("MatMulNBits", {"x", "b", "s"}, {"y"});
  n.domain = "com.microsoft";
  n.attributes = {{"K", int64_t{64}}, {"N", int64_t{4}}, {"block_size", int64_t{32}}};
  auto model = b.build();
  model->opsets["com.microsoft"] = 1;
  auto s = Session::create(model, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("B must be uint8 [4x2x16]"), std::string::npos)
      << s.error().message();
}

}  // namespace
}  // namespace ledge
