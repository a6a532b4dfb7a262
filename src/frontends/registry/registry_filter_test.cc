#include "frontends/registry/registry_filter.h"

#include <gtest/gtest.h>

namespace inferd::registry {
namespace {

TEST(RegistryFilterTest, EmptyMatchesEverything) {
  auto f = ParseNameFilter("  ");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Matches("fraud"));
}

TEST(RegistryFilterTest, ExactName) {
  for (const char* text : {"name='fraud'", "name = \"fraud\"", " NAME =  'fraud' "}) {
    auto f = ParseNameFilter(text);
    ASSERT_TRUE(f.ok()) << text;
    EXPECT_TRUE(f->Matches("fraud"));
    EXPECT_FALSE(f->Matches("fraud2"));
  }
}

TEST(RegistryFilterTest, LikePatterns) {
  auto f = ParseNameFilter("name LIKE 'fr%d_'");
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Matches("fraud1"));
  EXPECT_TRUE(f->Matches("frd1"));
  EXPECT_FALSE(f->Matches("fraud"));
  EXPECT_FALSE(f->Matches("Fraud1"));
  auto i = ParseNameFilter("name ILIKE '%AUD%'");
  ASSERT_TRUE(i.ok());
  EXPECT_TRUE(i->Matches("fraud"));
  EXPECT_FALSE(i->Matches("fra"));
}

TEST(RegistryFilterTest, RefusesWhatItDoesNotUnderstand) {
  for (const char* text : {"tags.x = 'y'", "name", "name = fraud", "name = 'a' AND name = 'b'",
                           "name = ''", "name LIKE 'x", "name != 'x'"}) {
    EXPECT_EQ(ParseNameFilter(text).status().code(), StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace inferd::registry
