// Folders of images as data sets (src/data/image_folder.h, through load_dataset): order,
// labels from class folders, preprocessing, and errors that name the file.
#include "data/image_folder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "../common/temp_dir.h"
#include "data/dataset.h"
#include "image_encode.h"
#include "io/npy.h"

namespace ledge {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

// A width x height RGB PNG whose every byte is `value + index`.
void write_png(const std::string& path, int width, int height, int value) {
  std::vector<uint8_t> px(static_cast<size_t>(width * height * 3));
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(value + static_cast<int>(i));
  test::save(path, test::encode_png(width, height, PNG_COLOR_TYPE_RGB, 8, px));
}

TEST(ImageFolder, FlatFolderInNameOrderWithoutLabels) {
  TempDir dir;
  write_png(dir.with_folders("b.png"), 3, 2, 100);
  write_png(dir.with_folders("a.png"), 3, 2, 0);
  write_png(dir.with_folders("c.PNG"), 3, 2, 200);
  test::save(dir.with_folders("notes.txt"), {'x'});
  write_png(dir.with_folders(".hidden.png"), 9, 9, 0);  // skipped, else the sizes would differ
  DatasetOptions opts;
  opts.preprocess = "layout=nhwc";
  auto d = load_dataset(dir.path(), opts);
  ASSERT_TRUE(d.ok()) << d.error().message();
  ASSERT_EQ(d->samples.shape(), (Shape{3, 2, 3, 3}));
  EXPECT_TRUE(d->labels.empty());
  EXPECT_TRUE(d->class_names.empty());
  EXPECT_EQ(d->names, (std::vector<std::string>{"a.png", "b.png", "c.PNG"}));
  const float* v = d->samples.data<float>();
  for (int s = 0; s < 3; ++s)
    for (int i = 0; i < 18; ++i)
      EXPECT_EQ(v[s * 18 + i], static_cast<float>(100 * s + i) / 255.f) << s << " " << i;
}

TEST(ImageFolder, ClassFoldersGiveLabelsInFolderOrder) {
  TempDir dir;
  write_png(dir.with_folders("dog/x.png"), 2, 2, 30);
  write_png(dir.with_folders("cat/z.png"), 2, 2, 20);
  write_png(dir.with_folders("cat/y.png"), 2, 2, 10);
  fs::create_directories(dir.path() + "/empty");  // a class with no pictures keeps its index
  write_png(dir.with_folders("zebra/w.png"), 2, 2, 40);
  write_png(dir.with_folders(".cache/v.png"), 2, 2, 0);
  DatasetOptions opts;
  opts.scale_num = 1, opts.scale_den = 1;  // --scale applies when the spec names none
  auto d = load_dataset(dir.path(), opts);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->class_names, (std::vector<std::string>{"cat", "dog", "empty", "zebra"}));
  EXPECT_EQ(d->labels, (std::vector<int64_t>{0, 0, 1, 3}));
  EXPECT_EQ(d->names,
            (std::vector<std::string>{"cat/y.png", "cat/z.png", "dog/x.png", "zebra/w.png"}));
  ASSERT_EQ(d->samples.shape(), (Shape{4, 3, 2, 2}));
  // NCHW: sample 0, channel 1, pixel 0 is byte 1 of cat/y.png.
  EXPECT_EQ(d->samples.data<float>()[4], 11.f);
  EXPECT_EQ(d->samples.data<float>()[12], 20.f);

  auto subset = balanced_subset(*d, 3);
  ASSERT_TRUE(subset.ok());
  EXPECT_EQ(*subset, (std::vector<int64_t>{0, 2, 3}));

  opts.limit = 2;
  d = load_dataset(dir.path(), opts);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->size(), 2);
  EXPECT_EQ(d->labels, (std::vector<int64_t>{0, 0}));
}

TEST(ImageFolder, SizesMustAgreeUnlessTheSpecFixesThem) {
  TempDir dir;
  write_png(dir.with_folders("a.png"), 6, 4, 0);
  write_png(dir.with_folders("b.png"), 8, 8, 0);
  auto d = load_dataset(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find(dir.with_folders("b.png")), std::string::npos)
      << d.error().message();
  EXPECT_NE(d.error().message().find("resize="), std::string::npos);

  DatasetOptions opts;
  opts.preprocess = "resize=4,crop=4,scale=2";
  d = load_dataset(dir.path(), opts);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->samples.shape(), (Shape{2, 3, 4, 4}));
  // The spec's scale wins over DatasetOptions'. a.png (6x4) needs no resizing and its crop
  // starts at column 1: output 0 is byte 3 of the file, times 2.
  EXPECT_EQ(d->samples.data<float>()[0], 2.f * 3);

  opts.preprocess = "crop=7";
  d = load_dataset(dir.path(), opts);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find(dir.with_folders("a.png") + ": crop 7x7 is larger"),
            std::string::npos)
      << d.error().message();
}

TEST(ImageFolder, JpegsAndSingleFiles) {
  TempDir dir;
  std::vector<uint8_t> px(8 * 8 * 3, 128);
  test::save(dir.with_folders("pics/one.jpg"), test::encode_jpeg(8, 8, 3, px));
  test::save(dir.with_folders("pics/two.jpeg"), test::encode_jpeg(8, 8, 3, px));
  DatasetOptions opts;
  opts.preprocess = "mean=0.5,std=0.5";
  auto d = load_dataset(dir.path() + "/pics", opts);
  ASSERT_TRUE(d.ok()) << d.error().message();
  ASSERT_EQ(d->samples.shape(), (Shape{2, 3, 8, 8}));
  for (int64_t i = 0; i < d->samples.numel(); ++i)
    EXPECT_NEAR(d->samples.data<float>()[i], (128 / 255.0 - 0.5) / 0.5, 2 * 2 / 255.0);

  d = load_dataset(dir.with_folders("pics/one.jpg"), opts);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->samples.shape(), (Shape{1, 3, 8, 8}));
}

TEST(ImageFolder, ABrokenImageIsNamed) {
  TempDir dir;
  write_png(dir.with_folders("c/good.png"), 4, 4, 0);
  auto png = test::encode_png(4, 4, PNG_COLOR_TYPE_RGB, 8, std::vector<uint8_t>(48, 9));
  png.erase(png.end() - 30, png.end());  // erase: GCC 12 misreads a shrinking resize
  test::save(dir.with_folders("c/torn.png"), png);
  auto d = load_dataset(dir.path());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message().rfind(dir.with_folders("c/torn.png") + ": corrupt PNG", 0), 0u)
      << d.error().message();
}

TEST(ImageFolder, TensorFoldersAreUnchangedAndRefuseASpec) {
  TempDir dir;
  ASSERT_TRUE(
      write_npy(dir.with_folders("t/s0.npy"), Tensor::from_vector(std::vector<float>{1, 2}, {2}))
          .ok());
  write_png(dir.with_folders("t/stray.png"), 2, 2, 0);  // .npy files come first
  auto d = load_dataset(dir.path() + "/t");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->samples.shape(), (Shape{1, 2}));
  DatasetOptions opts;
  opts.preprocess = "resize=2";
  d = load_dataset(dir.path() + "/t", opts);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("--preprocess applies to images"), std::string::npos);

  fs::create_directories(dir.path() + "/none/sub");
  d = load_dataset(dir.path() + "/none");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("no .npy, .pb, .png"), std::string::npos)
      << d.error().message();
}

}  // namespace
}  // namespace ledge
