// Emit rules (src/stream/emit_rule.h): which decisions become events.
#include "stream/emit_rule.h"

#include <gtest/gtest.h>

namespace ledge::stream {
namespace {

EmitRule rule(const std::string& text) {
  auto r = EmitRule::parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.error().message();
  return r.ok() ? *r : *EmitRule::parse("change");
}

// Feeds (class, confidence) pairs; returns the sequence numbers that fired.
std::vector<int64_t> fire(EmitRule r, const std::vector<std::pair<int64_t, float>>& decisions) {
  std::vector<int64_t> fired;
  for (size_t i = 0; i < decisions.size(); ++i)
    if (r.observe(static_cast<int64_t>(i), Decision{decisions[i].first, decisions[i].second}))
      fired.push_back(static_cast<int64_t>(i));
  return fired;
}

TEST(EmitRule, ClassInSetAboveConfidenceFiresOncePerEpisode) {
  const EmitRule r = rule("class=3,5:0.8");
  EXPECT_EQ(fire(r, {{1, 0.9f}, {3, 0.9f}, {5, 0.95f}, {3, 0.5f}, {5, 0.8f}, {7, 0.99f}}),
            (std::vector<int64_t>{1, 4}));
}

TEST(EmitRule, DebounceNeedsConsecutiveDecisions) {
  const EmitRule r = rule("class=2,debounce=3");
  // A flicker of two does not fire; the run of three does, at its third decision.
  EXPECT_EQ(fire(r, {{2, 1}, {2, 1}, {0, 1}, {2, 1}, {2, 1}, {2, 1}, {2, 1}}),
            (std::vector<int64_t>{5}));
}

TEST(EmitRule, ChangeOfTopOneWithDebounce) {
  EXPECT_EQ(fire(rule("change"), {{1, 1}, {1, 1}, {2, 1}, {2, 1}, {1, 1}}),
            (std::vector<int64_t>{2, 4}));
  // With debounce=2 a single-frame flicker is ignored.
  EXPECT_EQ(fire(rule("change,debounce=2"), {{1, 1}, {1, 1}, {2, 1}, {1, 1}, {3, 1}, {3, 1}}),
            (std::vector<int64_t>{5}));
  EmitRule r = rule("change");
  EXPECT_FALSE(r.observe(0, Decision{4, 1}));
  auto e = r.observe(1, Decision{6, 0.7f});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->previous, 4);
  EXPECT_EQ(e->decision.top1, 6);
  EXPECT_EQ(e->rule, "change");
}

TEST(EmitRule, BadRulesNameTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "expected class"},
      {"class=", "class ''"},
      {"class=a", "class 'a'"},
      {"class=3:1.5", "confidence '1.5'"},
      {"change,debounce=0", "debounce '0'"},
      {"debounce=2", "give class"},
      {"class=1,change", "class 'change'"},
      {"sometimes", "expected class"},
      {"class=1,when=2", "unknown key 'when'"},
  };
  for (const auto& [text, expect] : cases) {
    auto r = EmitRule::parse(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error().message().find(expect), std::string::npos)
        << text << ": " << r.error().message();
  }
}

}  // namespace
}  // namespace ledge::stream
