#include "frontends/registry/registry_filter.h"

#include <gtest/gtest.h>

namespace inferd::registry {
namespace {

using Tags = std::map<std::string, std::string>;

RegistryFilter Parse(const char* text) {
  auto f = ParseRegistryFilter(text);
  EXPECT_TRUE(f.ok()) << text << ": " << f.status().message();
  return f.ok() ? *f : RegistryFilter{};
}

TEST(RegistryFilterTest, EmptyMatchesEverything) {
  EXPECT_TRUE(Parse("  ").Matches("fraud", {}));
}

TEST(RegistryFilterTest, ExactName) {
  for (const char* text : {"name='fraud'", "name = \"fraud\"", " NAME =  'fraud' "}) {
    auto f = Parse(text);
    EXPECT_TRUE(f.Matches("fraud", {}));
    EXPECT_FALSE(f.Matches("fraud2", {}));
    EXPECT_EQ(f.ExactName(), "fraud");
  }
  EXPECT_TRUE(Parse("name != 'a'").Matches("b", {}));
}

TEST(RegistryFilterTest, LikePatterns) {
  auto f = Parse("name LIKE 'fr%d_'");
  EXPECT_TRUE(f.Matches("fraud1", {}));
  EXPECT_TRUE(f.Matches("frd1", {}));
  EXPECT_FALSE(f.Matches("fraud", {}));
  EXPECT_FALSE(f.Matches("Fraud1", {}));
  auto i = Parse("name ILIKE '%AUD%'");
  EXPECT_TRUE(i.Matches("fraud", {}));
  EXPECT_FALSE(i.Matches("fra", {}));
  EXPECT_TRUE(f.ExactName().empty());
}

TEST(RegistryFilterTest, TagsAndConjunctionsAsMlflowsClientSendsThem) {
  // MLflow 3's search_registered_models appends this clause to hide prompts.
  auto f = Parse("name LIKE 'log%' AND tag.`mlflow.prompt.is_prompt` != 'true'");
  EXPECT_TRUE(f.Matches("logreg", {}));
  EXPECT_TRUE(f.Matches("logreg", Tags{{"mlflow.prompt.is_prompt", "false"}}));
  EXPECT_FALSE(f.Matches("logreg", Tags{{"mlflow.prompt.is_prompt", "true"}}));
  EXPECT_FALSE(f.Matches("other", {}));
  auto t = Parse("tags.team = 'risk' and name = 'm'");
  EXPECT_TRUE(t.Matches("m", Tags{{"team", "risk"}}));
  EXPECT_FALSE(t.Matches("m", {}));
}

TEST(RegistryFilterTest, RefusesWhatItDoesNotUnderstand) {
  for (const char* text :
       {"name", "name = fraud", "name = 'a' OR name = 'b'", "name = ''", "name LIKE 'x",
        "version = '1'", "tag.x LIKE 'y'", "name = 'a' AND", "name = 'a' name = 'b'",
        "tag.`` = 'x'", "tag.`x = 'y'", "namex = 'a'"}) {
    EXPECT_EQ(ParseRegistryFilter(text).status().code(), StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace inferd::registry
