#include "core/auth/api_key.h"

#include <gtest/gtest.h>

#include <set>

namespace inferd {
namespace {

TEST(RoleTest, NamesRoundTripAndUnknownNamesAreRefused) {
  for (Role r : kAllRoles) EXPECT_EQ(ParseRole(RoleName(r)), r);
  EXPECT_EQ(ParseRole("read"), Role::kRead);
  EXPECT_EQ(ParseRole("infer"), Role::kInfer);
  EXPECT_EQ(ParseRole("admin"), Role::kAdmin);
  EXPECT_FALSE(ParseRole("Admin"));
  EXPECT_FALSE(ParseRole(""));
  EXPECT_FALSE(ParseRole("root"));
  EXPECT_FALSE(ParseRole("read "));
}

TEST(RoleSetTest, BitsetOperations) {
  RoleSet s;
  EXPECT_TRUE(s.empty());
  s.Add(Role::kInfer);
  EXPECT_TRUE(s.Has(Role::kInfer));
  EXPECT_FALSE(s.Has(Role::kRead));
  EXPECT_FALSE(s.Has(Role::kAdmin));
  s.Add(Role::kAdmin);
  s.Remove(Role::kInfer);
  EXPECT_EQ(s, RoleSet({Role::kAdmin}));
  EXPECT_EQ(RoleSet::FromBits(0xff), RoleSet({Role::kRead, Role::kInfer, Role::kAdmin}));
  EXPECT_EQ(RoleSet::FromBits(RoleSet({Role::kRead}).bits()), RoleSet({Role::kRead}));
}

TEST(RoleSetTest, ParsesAndPrintsCommaLists) {
  auto s = ParseRoleSet("admin, read");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(*s, RoleSet({Role::kRead, Role::kAdmin}));
  EXPECT_EQ(s->ToString(), "read,admin");
  EXPECT_EQ(RoleSet({Role::kAdmin, Role::kInfer, Role::kRead}).ToString(), "read,infer,admin");
  EXPECT_TRUE(ParseRoleSet("")->empty());
  EXPECT_EQ(*ParseRoleSet("infer,infer"), RoleSet({Role::kInfer}));
  EXPECT_EQ(ParseRoleSet("read,,infer").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRoleSet("read,").status().code(), StatusCode::kInvalidArgument);
  auto bad = ParseRoleSet("read,superuser");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("superuser"), std::string::npos);
}

TEST(ModelPatternTest, GlobMatching) {
  EXPECT_TRUE(ModelPatternMatches("resnet", "resnet"));
  EXPECT_FALSE(ModelPatternMatches("resnet", "resnet50"));
  EXPECT_FALSE(ModelPatternMatches("resnet50", "resnet"));
  EXPECT_FALSE(ModelPatternMatches("ResNet", "resnet"));
  EXPECT_TRUE(ModelPatternMatches("*", ""));
  EXPECT_TRUE(ModelPatternMatches("*", "anything"));
  EXPECT_TRUE(ModelPatternMatches("resnet*", "resnet"));
  EXPECT_TRUE(ModelPatternMatches("resnet*", "resnet50"));
  EXPECT_FALSE(ModelPatternMatches("resnet*", "xresnet50"));
  EXPECT_TRUE(ModelPatternMatches("*-prod", "fraud-prod"));
  EXPECT_FALSE(ModelPatternMatches("*-prod", "fraud-prod2"));
  EXPECT_TRUE(ModelPatternMatches("a*b*c", "aXXbYYc"));
  EXPECT_TRUE(ModelPatternMatches("a*b*c", "abbbcbc"));
  EXPECT_FALSE(ModelPatternMatches("a*b*c", "aXXbYY"));
  EXPECT_TRUE(ModelPatternMatches("v?", "v1"));
  EXPECT_FALSE(ModelPatternMatches("v?", "v"));
  EXPECT_FALSE(ModelPatternMatches("v?", "v12"));
  EXPECT_TRUE(ModelPatternMatches("?*", "x"));
  EXPECT_FALSE(ModelPatternMatches("?*", ""));
  EXPECT_TRUE(ModelPatternMatches("**a**", "bab"));
  EXPECT_FALSE(ModelPatternMatches("", "a"));
  EXPECT_TRUE(ModelPatternMatches("", ""));
  // Found by fuzzing: a '*' in the model must not be taken as the pattern's
  // literal; every string matches itself.
  EXPECT_TRUE(ModelPatternMatches("*", "*x"));
  EXPECT_TRUE(ModelPatternMatches("*ab*-c", "*ab*-c"));
  EXPECT_TRUE(ModelPatternMatches("a*b", "a*b"));
  // The classic backtracking trap stays fast and right.
  const std::string many_a(2000, 'a');
  EXPECT_FALSE(ModelPatternMatches("*a*a*a*a*a*a*a*a*b", many_a));
  EXPECT_TRUE(ModelPatternMatches("*a*a*a*a*a*a*a*a*a", many_a));
}

TEST(ModelPatternTest, EmptyListAllowsAllModels) {
  ApiKeyRecord key;
  EXPECT_TRUE(KeyAllowsModel(key, "anything"));
  key.models = {"resnet*", "bert"};
  EXPECT_TRUE(KeyAllowsModel(key, "resnet50"));
  EXPECT_TRUE(KeyAllowsModel(key, "bert"));
  EXPECT_FALSE(KeyAllowsModel(key, "bert-large"));
  EXPECT_FALSE(KeyAllowsModel(key, ""));
}

TEST(ApiKeyFormatTest, GeneratedKeysParseAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto id = GenerateApiKeyId();
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(IsApiKeyId(*id)) << *id;
    auto text = GenerateApiKeyText(*id);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(text->size(), kApiKeyChars);
    auto parts = ParseApiKey(*text);
    ASSERT_TRUE(parts.has_value()) << *text;
    EXPECT_EQ(parts->id, *id);
    EXPECT_EQ(parts->secret.size(), kApiKeySecretChars);
    EXPECT_EQ(FormatApiKey(parts->id, parts->secret), *text);
    EXPECT_TRUE(seen.insert(std::string(parts->secret)).second);
  }
}

TEST(ApiKeyFormatTest, MalformedKeysAreRefused) {
  const std::string id = "k_abcdefghij23";
  const std::string secret(kApiKeySecretChars, 'q');
  const std::string good = "ik_" + id + "_" + secret;
  ASSERT_TRUE(ParseApiKey(good).has_value());
  EXPECT_FALSE(ParseApiKey(""));
  EXPECT_FALSE(ParseApiKey("ik_"));
  EXPECT_FALSE(ParseApiKey(good.substr(1)));
  EXPECT_FALSE(ParseApiKey(good + "a"));            // too long
  EXPECT_FALSE(ParseApiKey(good.substr(0, 69)));    // too short
  EXPECT_FALSE(ParseApiKey(" " + good.substr(1)));  // nothing is trimmed
  EXPECT_FALSE(ParseApiKey("IK_" + id + "_" + secret));
  EXPECT_FALSE(ParseApiKey("ik_" + id + "-" + secret));
  EXPECT_FALSE(ParseApiKey("ik_x_abcdefghij23_" + secret));
  std::string upper = good;
  upper[40] = 'Q';
  EXPECT_FALSE(ParseApiKey(upper));
  std::string digit = good;
  digit[40] = '1';  // not in the base32 alphabet
  EXPECT_FALSE(ParseApiKey(digit));
  std::string nul = good;
  nul[40] = '\0';
  EXPECT_FALSE(ParseApiKey(nul));
  EXPECT_FALSE(IsApiKeyId("k_abcdefghij2"));
  EXPECT_FALSE(IsApiKeyId("x_abcdefghij23"));
  EXPECT_FALSE(IsApiKeyId("k_abcdefghij_3"));
}

TEST(ApiKeyDigestTest, DigestsMatchOnlyTheSameText) {
  auto a = DigestApiKey("ik_one");
  auto b = DigestApiKey("ik_one");
  auto c = DigestApiKey("ik_two");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(ApiKeyDigestsEqual(*a, *b));
  EXPECT_FALSE(ApiKeyDigestsEqual(*a, *c));
  // SHA-256("abc"), a known vector.
  auto abc = DigestApiKey("abc");
  ASSERT_TRUE(abc.ok());
  EXPECT_EQ((*abc)[0], 0xba);
  EXPECT_EQ((*abc)[31], 0xad);
}

TEST(NewApiKeyTest, Validation) {
  NewApiKey spec;
  spec.name = "ci";
  spec.roles = {Role::kInfer};
  EXPECT_TRUE(ValidateNewApiKey(spec, 1000).ok());
  spec.expires_at_unix = 1001;
  EXPECT_TRUE(ValidateNewApiKey(spec, 1000).ok());
  spec.expires_at_unix = 1000;
  EXPECT_EQ(ValidateNewApiKey(spec, 1000).code(), StatusCode::kInvalidArgument);
  spec.expires_at_unix.reset();
  spec.models = {"a", ""};
  EXPECT_EQ(ValidateNewApiKey(spec, 1000).code(), StatusCode::kInvalidArgument);
  spec.models = {"a\nb"};
  EXPECT_EQ(ValidateNewApiKey(spec, 1000).code(), StatusCode::kInvalidArgument);
  spec.models = {"a*"};
  spec.roles = {};
  EXPECT_EQ(ValidateNewApiKey(spec, 1000).code(), StatusCode::kInvalidArgument);
  spec.roles = {Role::kRead};
  spec.name = "";
  EXPECT_EQ(ValidateNewApiKey(spec, 1000).code(), StatusCode::kInvalidArgument);
  spec.name = std::string(129, 'n');
  EXPECT_EQ(ValidateNewApiKey(spec, 1000).code(), StatusCode::kInvalidArgument);
  spec.name = std::string(128, 'n');
  EXPECT_TRUE(ValidateNewApiKey(spec, 1000).ok());
}

}  // namespace
}  // namespace inferd
