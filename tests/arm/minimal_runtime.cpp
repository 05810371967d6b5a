// The smallest program that uses the runtime the way a device would: a small CNN built in
// code (no ONNX import), run once with the fast kernels and once with the reference
// kernels. scripts/test_arm.sh runs it under qemu as a smoke test of the aarch64 build and
// reports its stripped size (the runtime linked statically, as a device runner would be).
// Exit status 0 when both agree and every node ran on a fast kernel (XNNPACK for the
// convolutions, pooling and Gemm: a missing or failing XNNPACK shows as reference nodes).
#include <cmath>
#include <cstdio>

#include "runtime/session.h"

namespace {

using ledge::DType;
using ledge::Node;
using ledge::Shape;
using ledge::Tensor;

// Deterministic values in [-1, 1): no <random>, to keep the program small.
Tensor filled(Shape shape, uint32_t seed) {
  Tensor t = *Tensor::make(DType::kFloat32, std::move(shape));
  for (float& v : t.span<float>()) {
    seed = seed * 1664525u + 1013904223u;
    v = static_cast<float>(seed >> 8) / static_cast<float>(1u << 23) - 1.f;
  }
  return t;
}

std::shared_ptr<ledge::Model> small_cnn() {
  auto model = std::make_shared<ledge::Model>();
  model->opsets[""] = 13;
  ledge::Graph& g = model->graph;
  ledge::ValueInfo in;
  in.name = "image";
  in.type = ledge::TensorType{DType::kFloat32, Shape{1, 3, 32, 32}};
  g.inputs.push_back(in);
  ledge::ValueInfo out;
  out.name = "logits";
  g.outputs.push_back(out);
  g.initializers["w1"] = filled({16, 3, 3, 3}, 1);
  g.initializers["w2"] = filled({32, 16, 3, 3}, 2);
  g.initializers["fc"] = filled({10, 32}, 3);
  auto add = [&](const char* op, std::vector<std::string> inputs, const char* output) -> Node& {
    Node n;
    n.op_type = op;
    n.name = output;
    n.inputs = std::move(inputs);
    n.outputs = {output};
    g.nodes.push_back(std::move(n));
    return g.nodes.back();
  };
  add("Conv", {"image", "w1"}, "c1").attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  add("Relu", {"c1"}, "r1");
  Node& pool = add("MaxPool", {"r1"}, "p1");
  pool.attributes["kernel_shape"] = std::vector<int64_t>{2, 2};
  pool.attributes["strides"] = std::vector<int64_t>{2, 2};
  add("Conv", {"p1", "w2"}, "c2");
  add("Relu", {"c2"}, "r2");
  add("GlobalAveragePool", {"r2"}, "gap");
  add("Flatten", {"gap"}, "flat");
  add("Gemm", {"flat", "fc"}, "logits").attributes["transB"] = int64_t{1};
  return model;
}

}  // namespace

int main() {
  auto model = small_cnn();
  const Tensor image = filled({1, 3, 32, 32}, 4);
  ledge::SessionOptions reference_options;
  reference_options.optimize = false;
  auto fast = ledge::Session::create(model);
  auto reference = ledge::Session::create(model, reference_options);
  if (!fast.ok() || !reference.ok()) {
    std::fprintf(stderr, "session: %s\n",
                 (fast.ok() ? reference.error() : fast.error()).message().c_str());
    return 1;
  }
  auto got = (*fast)->run({{"image", image}});
  auto want = (*reference)->run({{"image", image}});
  if (!got.ok() || !want.ok()) {
    std::fprintf(stderr, "run: %s\n", (got.ok() ? want.error() : got.error()).message().c_str());
    return 1;
  }
  double worst = 0;
  const float* g = (*got)[0].data<float>();
  const float* w = (*want)[0].data<float>();
  for (int64_t i = 0; i < (*want)[0].numel(); ++i)
    worst = std::fmax(worst, std::fabs(g[i] - w[i]) / (1.0 + std::fabs(w[i])));
  const auto stats = (*fast)->stats();
  std::printf("minimal runtime: %zu of %zu nodes on fast kernels, largest difference %.2g\n",
              stats.fast_nodes, stats.nodes, worst);
  for (const auto& [op, count] : stats.reference_ops)
    std::printf("  on reference kernels: %s x%d\n", op.c_str(), count);
  return worst <= 1e-4 && stats.fast_nodes == stats.nodes ? 0 : 1;
}
