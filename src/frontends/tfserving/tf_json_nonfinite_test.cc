#include "frontends/tfserving/tf_json_nonfinite.h"

#include <gtest/gtest.h>

#include "frontends/tfserving/base64.h"

namespace inferd::tfserving {
namespace {

std::string Rewrite(std::string_view text) {
  std::string out;
  auto rewritten = RewriteNonFiniteTokens(text, out);
  EXPECT_TRUE(rewritten.ok()) << rewritten.status().message();
  return rewritten.ok() && *rewritten ? out : std::string(text);
}

TEST(NonFiniteTest, BareTokensBecomeMarkers) {
  EXPECT_EQ(Rewrite("[NaN, Infinity,-Infinity]"),
            R"(["\u0000NaN", "\u0000Infinity","\u0000-Infinity"])");
  EXPECT_EQ(Rewrite("{\"a\":NaN}"), R"({"a":"\u0000NaN"})");
  EXPECT_EQ(Rewrite("[Inf,-Inf,-NaN]"), R"(["\u0000Infinity","\u0000-Infinity","\u0000NaN"])");
  EXPECT_EQ(Rewrite("NaN"), R"("\u0000NaN")");
  EXPECT_EQ(Rewrite("[\n\tNaN\r\n]"), "[\n\t\"\\u0000NaN\"\r\n]");
}

TEST(NonFiniteTest, StringsAndOtherTextAreLeftAlone) {
  for (const char* text :
       {R"(["NaN", "Infinity"])", R"({"NaN": 1})", R"(["a\"NaN"])", "[NaNx]", "[xNaN]", "[1NaN]",
        "[Infinit]", "[-]", "[nan]", "[1,2]", R"(["\\", NaN2])", "\"unterminated NaN"}) {
    std::string out = "untouched";
    auto rewritten = RewriteNonFiniteTokens(text, out);
    ASSERT_TRUE(rewritten.ok()) << text;
    EXPECT_FALSE(*rewritten) << text;
    EXPECT_EQ(out, "untouched") << text;
  }
  // An escaped quote does not end a string; an escaped backslash does not escape the quote.
  EXPECT_EQ(Rewrite(R"(["\\",NaN])"), R"(["\\","\u0000NaN"])");
}

TEST(NonFiniteTest, NulEscapesCannotMixWithTokens) {
  std::string out;
  auto mixed = RewriteNonFiniteTokens(R"(["\u0000NaN", NaN])", out);
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().code(), StatusCode::kInvalidArgument);
  // Without a token, such a string is just a string (and no marker is honoured).
  auto alone = RewriteNonFiniteTokens(R"(["\u0000NaN"])", out);
  ASSERT_TRUE(alone.ok());
  EXPECT_FALSE(*alone);
}

TEST(NonFiniteTest, MarkersDecode) {
  EXPECT_EQ(NonFiniteMarker(std::string("\0NaN", 4)), NonFinite::kNaN);
  EXPECT_EQ(NonFiniteMarker(std::string("\0Infinity", 9)), NonFinite::kInf);
  EXPECT_EQ(NonFiniteMarker(std::string("\0-Infinity", 10)), NonFinite::kNegInf);
  EXPECT_EQ(NonFiniteMarker("NaN"), NonFinite::kNone);
  EXPECT_EQ(NonFiniteMarker(""), NonFinite::kNone);
}

TEST(Base64Test, RoundTripsAndRejectsGarbage) {
  for (std::string s : {std::string(""), std::string("f"), std::string("fo"), std::string("foo"),
                        std::string("foob"), std::string("\0\xff\x10", 3)}) {
    auto decoded = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(decoded.has_value()) << s;
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Decode("Zm8"), "fo");  // padding is optional
  EXPECT_FALSE(Base64Decode("Zm9v!").has_value());
  EXPECT_FALSE(Base64Decode("Z").has_value());
  EXPECT_FALSE(Base64Decode("Zm8==").has_value());
  EXPECT_FALSE(Base64Decode("Zm=8").has_value());
}

}  // namespace
}  // namespace inferd::tfserving
