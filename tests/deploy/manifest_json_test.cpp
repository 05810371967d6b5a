// The manifest's canonical JSON.
#include "deploy/manifest_json.h"

#include <gtest/gtest.h>

#include "bundle_test_util.h"

namespace ledge::deploy {
namespace {

TEST(ManifestJson, RoundTripsAndRefusesOtherSpellings) {
  testing::Fleet fleet;
  Manifest m = fleet.spec().manifest;
  m.sha256 = {{"model.ledge", std::string(64, 'a')},
              {"case0.input.image.npy", std::string(64, 'b')},
              {"case0.output.logits.npy", std::string(64, 'c')}};
  m.latency_budget_ms = 12.5;
  const std::string text = manifest_to_json(m);
  auto back = manifest_from_json(text);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(manifest_to_json(*back), text);
  EXPECT_EQ(back->latency_budget_ms, 12.5);
  EXPECT_EQ(back->golden[0].inputs.at("image"), "case0.input.image.npy");
  EXPECT_FALSE(manifest_from_json(text + " ").ok());  // not canonical
  std::string no_model = text;
  no_model.replace(no_model.find("\"model\":\"model.ledge\""), 21, "\"model\":\"other.ledge\"");
  EXPECT_FALSE(manifest_from_json(no_model).ok());
}

// The preprocessing spec is signed with the model when given, and absent from the JSON (so
// older manifests keep their bytes) when not.
TEST(ManifestJson, PreprocessIsKeptWhenGivenAndAbsentOtherwise) {
  testing::Fleet fleet;
  Manifest m = fleet.spec().manifest;
  m.sha256 = {{"model.ledge", std::string(64, 'a')},
              {"case0.input.image.npy", std::string(64, 'b')},
              {"case0.output.logits.npy", std::string(64, 'c')}};
  const std::string without = manifest_to_json(m);
  EXPECT_EQ(without.find("preprocess"), std::string::npos);
  ASSERT_TRUE(manifest_from_json(without).ok());
  EXPECT_TRUE(manifest_from_json(without)->preprocess.empty());
  m.preprocess = "channels=gray,normalize=standardize";
  const std::string with = manifest_to_json(m);
  auto back = manifest_from_json(with);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->preprocess, m.preprocess);
  std::string empty = with;
  empty.replace(empty.find(m.preprocess), m.preprocess.size(), "");
  EXPECT_FALSE(manifest_from_json(empty).ok());  // present but empty: not a spelling we write
}

}  // namespace
}  // namespace ledge::deploy
