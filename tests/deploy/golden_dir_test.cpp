// Golden folders: names, cases, .npy contents.
#include "deploy/golden_dir.h"

#include <gtest/gtest.h>

#include "bundle_test_util.h"
#include "core/tensor.h"
#include "io/npy.h"

namespace ledge::deploy {
namespace {

using testing::TempDir;

TEST(GoldenDir, ReadsCasesByName) {
  TempDir dir;
  const Tensor t = Tensor::from_vector<float>({1, 2, 3}, {3});
  ASSERT_TRUE(write_npy(dir.file("case0.input.image.npy"), t));
  ASSERT_TRUE(write_npy(dir.file("case0.output.logits.npy"), t));
  ASSERT_TRUE(write_npy(dir.file("case1.input.image.npy"), t));
  ASSERT_TRUE(write_npy(dir.file("case1.output.logits.npy"), t));
  auto g = read_golden_dir(dir.path());
  ASSERT_TRUE(g.ok()) << g.error().message();
  ASSERT_EQ(g->cases.size(), 2u);
  EXPECT_EQ(g->cases[1].inputs.at("image"), "case1.input.image.npy");
  ASSERT_EQ(g->files.size(), 4u);
  EXPECT_EQ(g->files[0].name, "case0.input.image.npy");

  ASSERT_TRUE(write_npy(dir.file("case2.input.image.npy"), t));
  EXPECT_FALSE(read_golden_dir(dir.path()).ok());  // case 2 has no output
  std::filesystem::remove(dir.file("case2.input.image.npy"));
  ASSERT_TRUE(write_file(dir.file("case0.output.extra.npy"), "not npy", 7));
  EXPECT_FALSE(read_golden_dir(dir.path()).ok());
  std::filesystem::remove(dir.file("case0.output.extra.npy"));
  ASSERT_TRUE(write_npy(dir.file("notes.npy"), t));
  EXPECT_FALSE(read_golden_dir(dir.path()).ok());
}

}  // namespace
}  // namespace ledge::deploy
