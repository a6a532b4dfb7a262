#include "core/routing/route_table.h"

#include <gtest/gtest.h>

#include <map>

namespace inferd {
namespace {

Route Experiment(uint32_t control, uint32_t treatment) {
  Route route;
  route.name = "exp";
  route.key = RouteKey::Parse("header:X-User-Id").value();
  route.variants = {{"control", "logreg", "1", control}, {"treatment", "logreg", "2", treatment}};
  return route;
}

class Keys final : public RouteKeyValues {
 public:
  std::map<std::string, std::string> headers, query;
  std::optional<std::string> identity;
  std::optional<std::string> Header(std::string_view name) const override {
    auto it = headers.find(std::string(name));
    return it == headers.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  std::optional<std::string> Query(std::string_view name) const override {
    auto it = query.find(std::string(name));
    return it == query.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  std::optional<std::string> Identity() const override { return identity; }
};

TEST(RouteKeyTest, ParsesEverySourceAndRefusesTheRest) {
  EXPECT_EQ(RouteKey::Parse("header:X-User-Id")->name, "x-user-id");
  EXPECT_EQ(RouteKey::Parse("query:user_id")->source, RouteKey::Source::kQuery);
  EXPECT_EQ(RouteKey::Parse("identity")->source, RouteKey::Source::kIdentity);
  EXPECT_EQ(RouteKey::Parse("")->source, RouteKey::Source::kRandom);
  EXPECT_EQ(RouteKey::Parse("query:user_id")->ToString(), "query:user_id");
  EXPECT_EQ(RouteKey::Parse("param:user_id")->source, RouteKey::Source::kParam);
  EXPECT_EQ(RouteKey::Parse("param:user_id")->ToString(), "param:user_id");
  for (const char* bad : {"cookie:x", "header:", "header:a b", "query", "header:a:b"}) {
    EXPECT_FALSE(RouteKey::Parse(bad).ok()) << bad;
  }
}

TEST(RouteTest, ValidationSaysWhatIsWrong) {
  EXPECT_TRUE(ValidateRoute(Experiment(90, 10)).ok());
  Route none = Experiment(0, 0);
  EXPECT_NE(ValidateRoute(none).message().find("no variant a positive weight"), std::string::npos);
  Route twice = Experiment(1, 1);
  twice.variants[1].name = "control";
  EXPECT_NE(ValidateRoute(twice).message().find("twice"), std::string::npos);
  Route unnamed = Experiment(1, 1);
  unnamed.name = "a/b";
  EXPECT_FALSE(ValidateRoute(unnamed).ok());
  Route modelless = Experiment(1, 1);
  modelless.variants[0].model.clear();
  EXPECT_NE(ValidateRoute(modelless).message().find("names no model"), std::string::npos);
}

TEST(RouteTableTest, TheSameKeyGetsTheSameVariantAndOthersSpread) {
  RouteTable table;
  ASSERT_TRUE(table.Set(Experiment(50, 50)).ok());
  auto route = table.Find("exp");
  ASSERT_TRUE(route);
  Keys alice;
  alice.headers["x-user-id"] = "alice";
  const std::string first = ChooseVariant(*route, &alice).name;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ChooseVariant(*route, &alice).name, first);
  // Without a key: random, both variants seen.
  std::map<std::string, int> seen;
  for (int i = 0; i < 200; ++i) ++seen[ChooseVariant(*route, nullptr).name];
  EXPECT_EQ(seen.size(), 2u);
}

TEST(RouteTableTest, SetReplacesWholeAndOldSnapshotsStayValid) {
  RouteTable table;
  ASSERT_TRUE(table.Set(Experiment(100, 0)).ok());
  auto before = table.Find("exp");
  ASSERT_TRUE(table.Set(Experiment(0, 100)).ok());
  EXPECT_EQ(before->variants[0].weight, 100u);
  EXPECT_EQ(ChooseVariant(*table.Find("exp"), nullptr).name, "treatment");
  EXPECT_FALSE(table.Set(Experiment(0, 0)).ok());  // refused: the old one stays
  EXPECT_EQ(table.Find("exp")->variants[1].weight, 100u);
  EXPECT_EQ(table.List().size(), 1u);
  EXPECT_TRUE(table.Remove("exp").ok());
  EXPECT_EQ(table.Remove("exp").code(), StatusCode::kNotFound);
  EXPECT_EQ(table.Find("exp"), nullptr);
}

TEST(RouteTableTest, AnIdentityOrAQueryParameterIsAKeyToo) {
  Route route = Experiment(50, 50);
  route.key = RouteKey::Parse("query:user_id").value();
  Keys keys;
  keys.query["user_id"] = "7";
  const std::string by_query = ChooseVariant(route, &keys).name;
  for (int i = 0; i < 50; ++i) EXPECT_EQ(ChooseVariant(route, &keys).name, by_query);
  route.key = RouteKey::Parse("identity").value();
  keys.identity = "api-key:k_abc";
  const std::string by_identity = ChooseVariant(route, &keys).name;
  for (int i = 0; i < 50; ++i) EXPECT_EQ(ChooseVariant(route, &keys).name, by_identity);
}

TEST(RouteTableTest, AFallbackKeyKeepsASequenceOnOneVariant) {
  Route route = Experiment(50, 50);
  route.key = RouteKey::Parse("random").value();
  const std::string first = ChooseVariant(route, nullptr, "sequence:7").name;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(ChooseVariant(route, nullptr, "sequence:7").name, first);
  // The route's own key, when the request offers it, comes first.
  route.key = RouteKey::Parse("header:x-user-id").value();
  Keys keys;
  keys.headers["x-user-id"] = "bob";
  const std::string bob = ChooseVariant(route, &keys).name;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(ChooseVariant(route, &keys, "sequence:" + std::to_string(i)).name, bob);
  }
}

}  // namespace
}  // namespace inferd
