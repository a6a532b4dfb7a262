#include "pipeline/auth/base64url.h"

#include <gtest/gtest.h>

#include <string>

namespace inferd::auth {
namespace {

TEST(Base64UrlTest, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
}

TEST(Base64UrlTest, UsesTheUrlAlphabet) {
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlDecode("-_8"), std::string("\xfb\xff"));
}

TEST(Base64UrlTest, DecodesRfc4648Vectors) {
  EXPECT_EQ(Base64UrlDecode(""), std::string());
  EXPECT_EQ(Base64UrlDecode("Zg"), std::string("f"));
  EXPECT_EQ(Base64UrlDecode("Zm8"), std::string("fo"));
  EXPECT_EQ(Base64UrlDecode("Zm9vYmFy"), std::string("foobar"));
}

TEST(Base64UrlTest, RoundTripsEveryByteAndLength) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= bytes.size(); ++len) {
    const std::string in = bytes.substr(bytes.size() - len);
    const std::string encoded = Base64UrlEncode(in);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    EXPECT_EQ(Base64UrlDecode(encoded), in) << "length " << len;
  }
}

TEST(Base64UrlTest, RefusesPadding) {
  EXPECT_FALSE(Base64UrlDecode("Zg=="));
  EXPECT_FALSE(Base64UrlDecode("Zg="));
  EXPECT_FALSE(Base64UrlDecode("Zm8="));
}

TEST(Base64UrlTest, RefusesCharactersOutsideTheAlphabet) {
  EXPECT_FALSE(Base64UrlDecode("+/8"));  // plain base64
  EXPECT_FALSE(Base64UrlDecode("Zm9v YmFy"));
  EXPECT_FALSE(Base64UrlDecode("Zm9v\nYmFy"));
  EXPECT_FALSE(Base64UrlDecode(std::string("Zm\0v", 4)));
  EXPECT_FALSE(Base64UrlDecode("Zm9v\xc3\xa9"));
}

TEST(Base64UrlTest, RefusesImpossibleLength) {
  EXPECT_FALSE(Base64UrlDecode("Z"));
  EXPECT_FALSE(Base64UrlDecode("Zm9vY"));
}

TEST(Base64UrlTest, RefusesNonCanonicalTrailingBits) {
  // "Zh" and "Zg" would both decode to "f" if the low 4 bits were ignored.
  EXPECT_FALSE(Base64UrlDecode("Zh"));
  EXPECT_FALSE(Base64UrlDecode("Zm9"));  // "fo" is "Zm8"
  EXPECT_TRUE(Base64UrlDecode("Zm8"));
}

}  // namespace
}  // namespace inferd::auth
