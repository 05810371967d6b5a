// Delegations: what the root signs, and reading it back.
#include <gtest/gtest.h>

#include "bundle_test_util.h"

namespace ledge::deploy {
namespace {

TEST(Delegation, SignChecksThresholdAndRevocation) {
  testing::Fleet fleet;
  Delegation d = fleet.delegation(1, 3);
  EXPECT_FALSE(sign_delegation(d, fleet.root.secret).ok());  // 3 of 2 keys
  d.threshold = 0;
  EXPECT_FALSE(sign_delegation(d, fleet.root.secret).ok());
  d.threshold = 1;
  d.revoked = {fleet.a.public_key.id()};
  EXPECT_FALSE(sign_delegation(d, fleet.root.secret).ok());  // a both listed and revoked
  d.revoked.clear();
  auto doc = sign_delegation(d, fleet.root.secret);
  ASSERT_TRUE(doc.ok());
  auto back = open_delegation(*doc, fleet.root.public_key);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->version, 1u);
  EXPECT_EQ(back->threshold, 1u);
  ASSERT_EQ(back->keys.size(), 2u);
  EXPECT_EQ(back->keys[1], fleet.b.public_key);
  EXPECT_EQ(rejection_of(open_delegation("{", fleet.root.public_key).error()),
            Rejection::kMalformed);
}

}  // namespace
}  // namespace ledge::deploy
