// The pipeline with a real model: the Fashion-MNIST example (examples/fashion_mnist) fed
// test images through a folder source, decisions checked against the labels (the model
// classifies the first eight test images correctly), and the decision helper.
#include <gtest/gtest.h>

#include <cmath>

#include "../common/temp_dir.h"
#include "../unit/image_encode.h"
#include "io/idx.h"
#include "onnx/import.h"
#include "stream/model_inference.h"
#include "stream/pipeline.h"
#include "stream/source_spec.h"

namespace ledge::stream {
namespace {

constexpr const char* kImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
constexpr const char* kLabels = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";

TEST(ModelStream, FashionMnistDecisionsMatchTheLabels) {
  auto images = read_idx(kImages);
  auto labels = read_idx(kLabels);
  if (!images.ok() || !labels.ok()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto model =
      import_onnx_file(std::string(LEDGE_SOURCE_DIR) + "/examples/fashion_mnist/model.onnx");
  ASSERT_TRUE(model.ok()) << model.error().message();
  auto session = Session::create(*model);
  ASSERT_TRUE(session.ok()) << session.error().message();
  auto infer = model_inference(std::shared_ptr<const Session>(std::move(*session)), "");
  ASSERT_TRUE(infer.ok()) << infer.error().message();

  testing::TempDir tmp;
  constexpr int kCount = 8;
  const uint8_t* pixels = images->data<uint8_t>();
  for (int i = 0; i < kCount; ++i) {
    std::vector<uint8_t> img(pixels + i * 784, pixels + (i + 1) * 784);
    test::save(tmp.with_folders("frames/" + std::to_string(i) + ".png"),
               test::encode_png(28, 28, PNG_COLOR_TYPE_GRAY, 8, img));
  }
  auto source = open_source("dir:" + tmp.file("frames"));
  ASSERT_TRUE(source.ok()) << source.error().message();
  std::vector<DecidedFrame> decided;
  PipelineOptions o;
  o.on_decision = [&](const DecidedFrame& d) { decided.push_back(d); };
  auto r = run_pipeline(**source, *infer, o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(decided.size(), static_cast<size_t>(kCount));
  for (const DecidedFrame& d : decided) {
    EXPECT_EQ(d.decision.top1, labels->data<uint8_t>()[d.seq]) << "image " << d.seq;
    EXPECT_GT(d.decision.confidence, 0.3f);
    EXPECT_LE(d.decision.confidence, 1.0f);
  }
  EXPECT_GT(r->latency_ms.p50, 0);
}

TEST(ModelStream, DecideTakesSoftmaxOfLogitsAndKeepsProbabilities) {
  const std::vector<float> logits = {1, 3, 2};
  Decision d = decide(logits);
  EXPECT_EQ(d.top1, 1);
  const double e = std::exp(1.0) + std::exp(3.0) + std::exp(2.0);
  EXPECT_NEAR(d.confidence, std::exp(3.0) / e, 1e-6);
  const std::vector<float> probs = {0.1f, 0.2f, 0.7f};
  d = decide(probs);
  EXPECT_EQ(d.top1, 2);
  EXPECT_FLOAT_EQ(d.confidence, 0.7f);
}

TEST(ModelStream, DefaultPreprocessFollowsTheInput) {
  ValueInfo nchw{"x", TensorType{DType::kFloat32, Shape{1, 3, 224, 200}}, {}};
  auto s = default_preprocess(nchw);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "resize=200x224,channels=rgb,layout=nchw");
  ValueInfo nhwc{"x", TensorType{DType::kFloat32, Shape{1, 96, 96, 1}}, {}};
  s = default_preprocess(nhwc);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "resize=96x96,channels=gray,layout=nhwc");
  ValueInfo flat{"x", TensorType{DType::kFloat32, Shape{1, 784}}, {}};
  EXPECT_FALSE(default_preprocess(flat).ok());
}

}  // namespace
}  // namespace ledge::stream
