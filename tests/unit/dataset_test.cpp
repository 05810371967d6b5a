// Data sets (src/data/dataset.h): formats, the layout fit to a model input, labels, subsets.
#include "data/dataset.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../common/temp_dir.h"
#include "io/idx.h"
#include "io/npy.h"

namespace ledge {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

ValueInfo input(const std::string& name, Shape shape) {
  ValueInfo v;
  v.name = name;
  v.type.dtype = DType::kFloat32;
  v.type.shape = std::move(shape);
  return v;
}

TEST(Dataset, IdxBytesBecomeFloatsOverScale) {
  TempDir dir;
  std::vector<uint8_t> px(2 * 3 * 3);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 14);
  ASSERT_TRUE(write_idx(dir.file("images.idx"), Tensor::from_vector(px, {2, 3, 3}), true).ok());
  auto d = load_dataset(dir.file("images.idx"));
  ASSERT_TRUE(d.ok()) << d.error().message();
  ASSERT_EQ(d->samples.shape(), (Shape{2, 3, 3}));
  for (size_t i = 0; i < px.size(); ++i)
    EXPECT_EQ(d->samples.data<float>()[i], static_cast<float>(px[i]) * 1.f / 255.f);
  // Fitted to an NCHW input: a unit channel axis appears.
  ASSERT_TRUE(fit_to_input(*d, input("x", {-1, 1, 3, 3})).ok());
  EXPECT_EQ(d->samples.shape(), (Shape{2, 1, 3, 3}));
  auto b = d->batch(1, 1);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->data<float>()[0], d->samples.data<float>()[9]);
}

TEST(Dataset, FolderOfNpySamplesInNameOrder) {
  TempDir dir;
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(write_npy(dir.file("s" + std::to_string(i) + ".npy"),
                          Tensor::from_vector<float>({float(i), float(i) + 0.5f}, {1, 2}))
                    .ok());
  std::ofstream(dir.file("notes.txt")) << "not a sample";  // ignored
  auto d = load_dataset(dir.file(""));
  ASSERT_TRUE(d.ok()) << d.error().message();
  ASSERT_EQ(d->samples.shape(), (Shape{3, 2}));
  EXPECT_EQ(d->samples.data<float>()[4], 2.f);
  DatasetOptions limited;
  limited.limit = 2;
  auto two = load_dataset(dir.file(""), limited);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2);
}

TEST(Dataset, MismatchedShapesAreClearErrors) {
  TempDir dir;
  ASSERT_TRUE(write_npy(dir.file("a.npy"), Tensor::from_vector<float>({1, 2}, {1, 2})).ok());
  ASSERT_TRUE(write_npy(dir.file("b.npy"), Tensor::from_vector<float>({1, 2, 3}, {1, 3})).ok());
  auto d = load_dataset(dir.file(""));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("one shape"), std::string::npos) << d.error().message();

  auto one = load_dataset(dir.file("b.npy"));
  ASSERT_TRUE(one.ok());
  Status st = fit_to_input(*one, input("x", {-1, 4}));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("input 'x'"), std::string::npos) << st.error().message();
  EXPECT_FALSE(load_dataset(dir.file("missing.npy")).ok());
}

TEST(Dataset, LabelsFromTextAndIdx) {
  TempDir dir;
  std::ofstream(dir.file("labels.txt")) << "3\n0\n\n7\n";
  auto l = load_labels(dir.file("labels.txt"));
  ASSERT_TRUE(l.ok()) << l.error().message();
  EXPECT_EQ(*l, (std::vector<int64_t>{3, 0, 7}));
  std::ofstream(dir.file("bad.txt")) << "3\ncat\n";
  auto bad = load_labels(dir.file("bad.txt"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find(":2:"), std::string::npos) << bad.error().message();
  ASSERT_TRUE(write_idx(dir.file("l.idx"), Tensor::from_vector<uint8_t>({1, 2}, {2})).ok());
  auto idx = load_labels(dir.file("l.idx"));
  ASSERT_TRUE(idx.ok());
  EXPECT_EQ(*idx, (std::vector<int64_t>{1, 2}));
}

TEST(Dataset, BalancedSubsetTakesEqualCountsPerClass) {
  Dataset d;
  d.samples = *Tensor::make(DType::kFloat32, {10, 1});
  d.labels = {0, 0, 0, 0, 0, 0, 1, 1, 2, 2};
  auto s = balanced_subset(d, 6);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (std::vector<int64_t>{0, 1, 6, 7, 8, 9}));
  d.labels.clear();
  EXPECT_FALSE(balanced_subset(d, 6).ok());
}

// Each sample on its own statistics: a darkened copy standardizes to the same values, and a
// flat sample stays finite (the 1/sqrt(N) floor, here 0.5: below it, spread is not undone).
TEST(Dataset, StandardizeSamplesUndoesDarkening) {
  Dataset d;
  d.samples = Tensor::from_vector(std::vector<float>{20.f, 40.f, 60.f, 80.f,   // bright
                                                     7.f, 14.f, 21.f, 28.f,    // x 0.35
                                                     50.f, 50.f, 50.f, 50.f},  // flat
                                  {3, 2, 2});
  standardize_samples(d);
  const float* p = d.samples.data<float>();
  // Mean 50, population std sqrt(500): (20 - 50) / 22.36 = -1.3416.
  EXPECT_NEAR(p[0], -1.3416408f, 1e-5f);
  EXPECT_NEAR(p[3], 1.3416408f, 1e-5f);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(p[4 + i], p[i], 1e-5f);
  for (int i = 8; i < 12; ++i) EXPECT_EQ(p[i], 0.f);
}

}  // namespace
}  // namespace ledge
