// Microbenchmarks of single operators through a ledge session (lowered, planned, fast
// kernels), with GFLOP/s for convolutions. Not a test: it prints numbers.
//   build/ledge_kernel_bench [--benchmark_filter=Conv]
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>

#include "core/memory.h"
#include "kernels/gemm.h"
#include "kernels/qgemm.h"
#include "runtime/session.h"

namespace ledge {
namespace {

struct ConvCase {
  int64_t c, o, hw, k, stride, group;
};

std::shared_ptr<Model> conv_model(const ConvCase& cc) {
  auto m = std::make_shared<Model>();
  m->opsets[""] = 13;
  ValueInfo x;
  x.name = "x";
  x.type = TensorType{DType::kFloat32, Shape{1, cc.c, cc.hw, cc.hw}};
  m->graph.inputs.push_back(x);
  Tensor w = *Tensor::make(DType::kFloat32, {cc.o, cc.c / cc.group, cc.k, cc.k});
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1, 1);
  for (float& v : w.span<float>()) v = d(rng);
  m->graph.initializers["w"] = w;
  Node n;
  n.op_type = "Conv";
  n.inputs = {"x", "w"};
  n.outputs = {"y"};
  n.attributes["group"] = cc.group;
  n.attributes["strides"] = std::vector<int64_t>{cc.stride, cc.stride};
  const int64_t p = cc.k / 2;
  n.attributes["pads"] = std::vector<int64_t>{p, p, p, p};
  m->graph.nodes.push_back(n);
  ValueInfo y;
  y.name = "y";
  m->graph.outputs.push_back(y);
  return m;
}

void BM_Conv(benchmark::State& state, ConvCase cc, int threads) {
  SessionOptions o;
  o.threads = threads;
  auto s = Session::create(conv_model(cc), o);
  if (!s) {
    state.SkipWithError(s.error().message().c_str());
    return;
  }
  Tensor x = *Tensor::make(DType::kFloat32, {1, cc.c, cc.hw, cc.hw});
  for (auto _ : state) benchmark::DoNotOptimize((*s)->run({{"x", x}}));
  const double out_hw = static_cast<double>((cc.hw + cc.stride - 1) / cc.stride);
  const double flops = 2.0 * out_hw * out_hw * static_cast<double>(cc.o) *
                       static_cast<double>(cc.c / cc.group * cc.k * cc.k);
  state.counters["GFLOP"] = benchmark::Counter(
      flops * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

// The 3x3 64→64 convolution on 56x56 of ResNet's first stage, a MobileNet depthwise 3x3
// and pointwise 1x1, at 1 and 2 threads. (The output is NCHW: the numbers include the
// layout changes a lone convolution needs at its borders.)
BENCHMARK_CAPTURE(BM_Conv, resnet_3x3_64_56_t1, ConvCase{64, 64, 56, 3, 1, 1}, 1);
BENCHMARK_CAPTURE(BM_Conv, resnet_3x3_64_56_t2, ConvCase{64, 64, 56, 3, 1, 1}, 2);
BENCHMARK_CAPTURE(BM_Conv, depthwise_3x3_144_56_t1, ConvCase{144, 144, 56, 3, 1, 144}, 1);
BENCHMARK_CAPTURE(BM_Conv, pointwise_1x1_144to24_56_t1, ConvCase{144, 24, 56, 1, 1, 1}, 1);

// The int8 matrix product of the quantized convolutions (uint8 x int8 -> uint8, requantized)
// against the float one on the same shapes, one thread: im2col products of ResNet's 3x3
// convolutions (56x56x64 -> 64, 14x14x256 -> 256). GOP: 2 m n k per call.
struct GemmCase {
  size_t m, n, k;
};

void set_gop(benchmark::State& state, const GemmCase& g) {
  const double ops = 2.0 * static_cast<double>(g.m * g.n * g.k);
  state.counters["GOP"] = benchmark::Counter(ops * static_cast<double>(state.iterations()) / 1e9,
                                             benchmark::Counter::kIsRate);
}

void BM_QGemm(benchmark::State& state, GemmCase g, const char* path_name) {
  QGemmPath::Fn fn = nullptr;
  for (const QGemmPath& p : qgemm_paths())
    if (std::strcmp(p.name, path_name) == 0) fn = p.fn;
  if (!fn) {
    state.SkipWithError("this CPU lacks the path");
    return;
  }
  std::mt19937 rng(1);
  std::vector<uint8_t> a(g.m * g.k), c(g.m * g.n);
  std::vector<int8_t> w(g.n * g.k);
  for (uint8_t& v : a) v = static_cast<uint8_t>(rng());
  for (int8_t& v : w) v = static_cast<int8_t>(rng());
  std::vector<int32_t> bias(g.n, 100);
  std::vector<float> multiplier(g.n, 1e-3f);
  auto packed = qgemm_pack(w.data(), g.n, g.k);
  if (!packed) {
    state.SkipWithError(packed.error().message().c_str());
    return;
  }
  QGemmRequant r;
  r.bias = bias.data();
  r.multiplier = multiplier.data();
  r.a_zero_point = 3;
  r.y_zero_point = 128;
  r.multipliers_finite = true;  // as the convolutions promise
  for (auto _ : state) {
    fn(g.m, a.data(), g.k, *packed, r, c.data(), g.n);
    benchmark::DoNotOptimize(c.data());
  }
  set_gop(state, g);
}

void BM_FloatGemm(benchmark::State& state, GemmCase g) {
  std::vector<float> a(g.m * g.k, 0.5f), c(g.m * g.n);
  BlockPtr<float> b(
      static_cast<float*>(allocate_block(gemm_packed_size(g.k, g.n) * sizeof(float))));
  if (!b) {
    state.SkipWithError("out of memory");
    return;
  }
  for (auto _ : state) {
    gemm(g.m, g.n, g.k, a.data(), g.k, b.get(), c.data(), g.n);
    benchmark::DoNotOptimize(c.data());
  }
  set_gop(state, g);
}

BENCHMARK_CAPTURE(BM_QGemm, avx512vnni_3136x64x576, GemmCase{3136, 64, 576}, "avx512vnni");
BENCHMARK_CAPTURE(BM_QGemm, avxvnni_3136x64x576, GemmCase{3136, 64, 576}, "avxvnni");
BENCHMARK_CAPTURE(BM_FloatGemm, float_3136x64x576, GemmCase{3136, 64, 576});
BENCHMARK_CAPTURE(BM_QGemm, avx512vnni_196x256x2304, GemmCase{196, 256, 2304}, "avx512vnni");
BENCHMARK_CAPTURE(BM_QGemm, avxvnni_196x256x2304, GemmCase{196, 256, 2304}, "avxvnni");
BENCHMARK_CAPTURE(BM_FloatGemm, float_196x256x2304, GemmCase{196, 256, 2304});
// mobilenet_v2's first expansion (112x112 pixels, 16 to 96 channels): so little depth that
// the requantization is most of the work.
BENCHMARK_CAPTURE(BM_QGemm, avx512vnni_12544x96x16, GemmCase{12544, 96, 16}, "avx512vnni");
BENCHMARK_CAPTURE(BM_QGemm, avx512vnni_3136x144x24, GemmCase{3136, 144, 24}, "avx512vnni");
// squeezenet1_1's first convolution (111x111 pixels, 3x3x3 windows to 64 channels): depth 27.
BENCHMARK_CAPTURE(BM_QGemm, avx512vnni_12321x64x27, GemmCase{12321, 64, 27}, "avx512vnni");
BENCHMARK_CAPTURE(BM_QGemm, avx512vnni_12321x64x28, GemmCase{12321, 64, 28}, "avx512vnni");
BENCHMARK_CAPTURE(BM_QGemm, avx512vnni_12321x64x4, GemmCase{12321, 64, 4}, "avx512vnni");

}  // namespace
}  // namespace ledge

BENCHMARK_MAIN();
