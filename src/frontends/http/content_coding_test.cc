#include "frontends/http/content_coding.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace inferd::http {
namespace {

std::string Text(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += static_cast<char>('a' + (i * 7) % 26);
  return s;
}

TEST(ContentCodingTest, ParsesCodingNames) {
  EXPECT_EQ(*ParseContentEncoding("gzip"), ContentCoding::kGzip);
  EXPECT_EQ(*ParseContentEncoding(" GZIP "), ContentCoding::kGzip);
  EXPECT_EQ(*ParseContentEncoding("x-gzip"), ContentCoding::kGzip);
  EXPECT_EQ(*ParseContentEncoding("deflate"), ContentCoding::kDeflate);
  EXPECT_EQ(*ParseContentEncoding("identity"), ContentCoding::kIdentity);
  EXPECT_EQ(ParseContentEncoding("br").status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(ParseContentEncoding("gzip, deflate").status().code(), StatusCode::kUnsupported);
}

TEST(ContentCodingTest, RoundTripsEveryCoding) {
  for (auto coding : {ContentCoding::kGzip, ContentCoding::kDeflate, ContentCoding::kIdentity}) {
    for (size_t n : {0, 1, 1000, 300000}) {
      const std::string body = Text(n);
      auto decoded = Decode(coding, Encode(coding, body), 1 << 20);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      EXPECT_EQ(*decoded, body);
    }
  }
}

TEST(ContentCodingTest, ReadsEveryMemberOfAGzipStream) {
  const std::string two =
      Encode(ContentCoding::kGzip, "first ") + Encode(ContentCoding::kGzip, "second");
  auto decoded = Decode(ContentCoding::kGzip, two, 1 << 20);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, "first second");
}

TEST(ContentCodingTest, ReadsRawDeflateToo) {
  const std::string body = Text(5000);
  z_stream z{};
  ASSERT_EQ(deflateInit2(&z, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string raw(deflateBound(&z, body.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  z.avail_in = static_cast<uInt>(body.size());
  z.next_out = reinterpret_cast<Bytef*>(raw.data());
  z.avail_out = static_cast<uInt>(raw.size());
  ASSERT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  raw.resize(z.total_out);
  deflateEnd(&z);
  auto decoded = Decode(ContentCoding::kDeflate, raw, 1 << 20);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, body);
}

TEST(ContentCodingTest, CorruptAndTruncatedStreamsAreInvalid) {
  const std::string gz = Encode(ContentCoding::kGzip, Text(10000));
  EXPECT_EQ(Decode(ContentCoding::kGzip, gz.substr(0, gz.size() / 2), 1 << 20).status().code(),
            StatusCode::kInvalidArgument);
  std::string flipped = gz;
  flipped[flipped.size() / 2] ^= 0x55;
  EXPECT_FALSE(Decode(ContentCoding::kGzip, flipped, 1 << 20).ok());
  EXPECT_EQ(Decode(ContentCoding::kGzip, "not gzip at all", 1 << 20).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Decode(ContentCoding::kGzip, gz + "trailing", 1 << 20).status().code(),
            StatusCode::kInvalidArgument);  // not a second gzip member
  EXPECT_EQ(Decode(ContentCoding::kDeflate, "", 1 << 20).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ContentCodingTest, TheLimitAppliesToTheDecodedSize) {
  const std::string bomb = Encode(ContentCoding::kGzip, std::string(10 << 20, '\0'));
  ASSERT_LT(bomb.size(), 100000u);
  auto decoded = Decode(ContentCoding::kGzip, bomb, 1 << 20);
  EXPECT_EQ(decoded.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(Decode(ContentCoding::kGzip, bomb, 10 << 20).ok());
}

TEST(ContentCodingTest, ChoosesByAcceptEncoding) {
  EXPECT_EQ(ChooseResponseCoding(""), ContentCoding::kIdentity);
  EXPECT_EQ(ChooseResponseCoding("gzip"), ContentCoding::kGzip);
  EXPECT_EQ(ChooseResponseCoding("deflate"), ContentCoding::kDeflate);
  EXPECT_EQ(ChooseResponseCoding("deflate, gzip"), ContentCoding::kGzip);
  EXPECT_EQ(ChooseResponseCoding("gzip;q=0.5, deflate"), ContentCoding::kDeflate);
  EXPECT_EQ(ChooseResponseCoding("gzip;q=0"), ContentCoding::kIdentity);
  EXPECT_EQ(ChooseResponseCoding("identity"), ContentCoding::kIdentity);
  EXPECT_EQ(ChooseResponseCoding("br, *;q=0.1"), ContentCoding::kGzip);
  EXPECT_EQ(ChooseResponseCoding("gzip;q=bad"), ContentCoding::kIdentity);
}

}  // namespace
}  // namespace inferd::http
