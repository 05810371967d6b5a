// Comparing two models on data (src/validate/compare.h): a model against itself, and against
// a copy whose weights were changed so that some answers flip.
#include <gtest/gtest.h>

#include <cmath>

#include "model_builder.h"
#include "validate/compare.h"
#include "validate/html_report.h"

namespace ledge {
namespace {

using testing::ModelBuilder;
using testing::random_tensor;

// x [N,4] -> MatMul W [4,3] -> Relu -> MatMul V [3,3] -> scores [N,3]
std::shared_ptr<Model> classifier(float tweak) {
  ModelBuilder b(13);
  b.input("x", DType::kFloat32, {-1, 4});
  Tensor w = random_tensor(DType::kFloat32, {4, 3}, 1);
  w.data<float>()[0] += tweak;
  b.init("w", w);
  b.init("v", random_tensor(DType::kFloat32, {3, 3}, 2));
  b.node("MatMul", {"x", "w"}, {"h"});
  b.node("Relu", {"h"}, {"r"});
  b.node("MatMul", {"r", "v"}, {"scores"});
  b.output("scores");
  return b.build();
}

Dataset data(int64_t n) {
  Dataset d;
  d.samples = random_tensor(DType::kFloat32, {n, 4}, 3);
  d.source = "random";
  for (int64_t i = 0; i < n; ++i) d.labels.push_back(i % 3);
  return d;
}

TEST(CompareModels, AModelAgreesWithItself) {
  CompareOptions o;
  o.batch = 7;  // a partial last batch
  auto r = compare_models(classifier(0), classifier(0), data(50), o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->samples, 50);
  EXPECT_EQ(r->classes, 3);
  EXPECT_EQ(r->agree, 50);
  EXPECT_TRUE(r->disagreements.empty());
  EXPECT_EQ(r->reference.top1, r->candidate.top1);
  EXPECT_EQ(r->reference.top5, 50);  // three classes: always in the top five
  ASSERT_FALSE(r->layers.empty());
  for (const auto& l : r->layers) {
    EXPECT_TRUE(std::isinf(l.sqnr_db)) << l.tensor;
    EXPECT_DOUBLE_EQ(l.cosine, 1.0) << l.tensor;
  }
}

TEST(CompareModels, ChangedWeightsShowUpEverywhere) {
  auto r = compare_models(classifier(0), classifier(1.5f), data(60), {});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_LT(r->agree, 60);
  EXPECT_EQ(static_cast<int64_t>(r->disagreements.size()), 60 - r->agree);
  for (const auto& d : r->disagreements) EXPECT_NE(d.reference, d.candidate);
  // Confusion matrices and slices account for every sample.
  int64_t total = 0, quartiles = 0, classes = 0;
  for (const auto& row : r->candidate_confusion)
    for (int64_t c : row) total += c;
  for (const auto& s : r->brightness_slices) quartiles += s.samples;
  for (const auto& s : r->class_slices) classes += s.samples;
  EXPECT_EQ(total, 60);
  EXPECT_EQ(quartiles, 60);
  EXPECT_EQ(classes, 60);
  EXPECT_EQ(r->brightness_slices.size(), 4u);
  // h differs (w changed), so its SQNR is finite and it is listed before untouched x.
  ASSERT_FALSE(r->layers.empty());
  EXPECT_TRUE(std::isfinite(r->layers.front().sqnr_db));
  const std::string html = render_html_report(*r);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(CompareModels, ClearErrors) {
  Dataset d = data(10);
  d.labels.resize(4);
  EXPECT_FALSE(compare_models(classifier(0), classifier(0), d, {}).ok());
  CompareOptions o;
  o.input = "nope";
  auto r = compare_models(classifier(0), classifier(0), data(10), o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace ledge
