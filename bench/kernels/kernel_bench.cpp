// Microbenchmarks of single operators through a ledge session (lowered, planned, fast
// kernels), with GFLOP/s for convolutions. Not a test: it prints numbers.
//   build/ledge_kernel_bench [--benchmark_filter=Conv]
#include <benchmark/benchmark.h>

#include <random>

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

}  // namespace
}  // namespace ledge

BENCHMARK_MAIN();
