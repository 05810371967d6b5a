// Rejection reasons in errors.
#include "deploy/rejection.h"

#include <gtest/gtest.h>

namespace ledge::deploy {
namespace {

TEST(Rejections, ReasonSurvivesContext) {
  const Error e = rejection_error(Rejection::kRollback, "version 3 <= 3").with_context("b.bundle");
  EXPECT_EQ(rejection_of(e), Rejection::kRollback);
  EXPECT_EQ(rejection_exit_code(Rejection::kRollback), 16);
  EXPECT_EQ(rejection_of(invalid_argument("expired: no")), Rejection::kNone);
}

}  // namespace
}  // namespace ledge::deploy
