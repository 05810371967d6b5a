// The bundled Fashion-MNIST example (examples/fashion_mnist) run through ledge: its logits
// must match PyTorch's, so a regression in any kernel the demo uses (Conv, Relu, MaxPool,
// Flatten, Gemm) fails here and not only in the demo script.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "io/npy.h"
#include "onnx/import.h"
#include "runtime/session.h"

namespace ledge {
namespace {

const std::string kDir = std::string(LEDGE_SOURCE_DIR) + "/examples/fashion_mnist/";

// Labels of sample_0.npy ... sample_7.npy (the first eight Fashion-MNIST test images), which
// the PyTorch model also predicts; see examples/fashion_mnist/README.md.
constexpr int64_t kLabels[8] = {9, 2, 1, 1, 6, 1, 4, 6};

std::unique_ptr<Session> load_session() {
  auto model = import_onnx_file(kDir + "model.onnx");
  EXPECT_TRUE(model.ok()) << model.error().message();
  if (!model) return nullptr;
  auto session = Session::create(*model);
  EXPECT_TRUE(session.ok()) << session.error().message();
  if (!session) return nullptr;
  return std::move(session).value();
}

int64_t argmax(const Tensor& logits, int64_t row) {
  const float* p = logits.data<float>() + row * logits.dim(1);
  int64_t best = 0;
  for (int64_t c = 1; c < logits.dim(1); ++c)
    if (p[c] > p[best]) best = c;
  return best;
}

TEST(DemoModel, Sample0MatchesPyTorchLogits) {
  auto session = load_session();
  ASSERT_TRUE(session);
  auto image = read_npy(kDir + "sample_0.npy");
  ASSERT_TRUE(image.ok()) << image.error().message();
  auto expected = read_npy(kDir + "sample_0_logits.npy");
  ASSERT_TRUE(expected.ok()) << expected.error().message();
  ASSERT_EQ(image->shape(), (Shape{1, 1, 28, 28}));
  ASSERT_EQ(expected->shape(), (Shape{1, 10}));

  auto out = session->run({{"image", *image}});
  ASSERT_TRUE(out.ok()) << out.error().message();
  ASSERT_EQ(out->size(), 1u);
  const Tensor& logits = (*out)[0];
  ASSERT_EQ(logits.dtype(), DType::kFloat32);
  ASSERT_EQ(logits.shape(), (Shape{1, 10}));
  for (int64_t c = 0; c < 10; ++c)
    EXPECT_NEAR(logits.data<float>()[c], expected->data<float>()[c], 1e-4) << "class " << c;
  EXPECT_EQ(argmax(logits, 0), kLabels[0]);
}

TEST(DemoModel, BatchOfEightPredictsTheLabels) {
  // The batch dimension is dynamic: eight images in one run must give, row by row, what
  // they give alone.
  auto session = load_session();
  ASSERT_TRUE(session);
  auto batch = Tensor::make(DType::kFloat32, {8, 1, 28, 28});
  ASSERT_TRUE(batch.ok());
  for (int i = 0; i < 8; ++i) {
    auto image = read_npy(kDir + "sample_" + std::to_string(i) + ".npy");
    ASSERT_TRUE(image.ok()) << image.error().message();
    ASSERT_EQ(image->shape(), (Shape{1, 1, 28, 28}));
    std::memcpy(batch->data<float>() + i * 784, image->data<float>(), 784 * sizeof(float));
  }
  auto out = session->run({{"image", *batch}});
  ASSERT_TRUE(out.ok()) << out.error().message();
  const Tensor& logits = (*out)[0];
  ASSERT_EQ(logits.shape(), (Shape{8, 10}));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(argmax(logits, i), kLabels[i]) << "sample " << i;

  auto expected = read_npy(kDir + "sample_0_logits.npy");
  ASSERT_TRUE(expected.ok());
  for (int64_t c = 0; c < 10; ++c)
    EXPECT_NEAR(logits.data<float>()[c], expected->data<float>()[c], 1e-4) << "class " << c;
}

}  // namespace
}  // namespace ledge
