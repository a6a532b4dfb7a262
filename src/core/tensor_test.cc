#include "core/tensor.h"

#include <gtest/gtest.h>

namespace inferd {
namespace {

TEST(TensorTest, ElementCountRejectsNegativeAndHugeShapes) {
  EXPECT_EQ(*ElementCount({2, 3, 4}), 24);
  EXPECT_EQ(*ElementCount({}), 1);
  EXPECT_EQ(*ElementCount({5, 0}), 0);
  EXPECT_FALSE(ElementCount({2, -1}).ok());
  EXPECT_FALSE(ElementCount({1, int64_t{1} << 62}).ok());
  EXPECT_FALSE(ElementCount({int64_t{1} << 31, int64_t{1} << 31, 4}).ok());
}

TEST(TensorTest, ShapeMatchesTreatsMinusOneAsWildcard) {
  EXPECT_TRUE(ShapeMatches({-1, 30}, {7, 30}));
  EXPECT_FALSE(ShapeMatches({-1, 30}, {7, 31}));
  EXPECT_FALSE(ShapeMatches({-1, 30}, {7}));
}

TEST(TensorTest, BytesElementsRoundTrip) {
  std::vector<std::byte> buffer;
  AppendBytesElement(buffer, "héllo");
  AppendBytesElement(buffer, "");
  AppendBytesElement(buffer, std::string_view("a\0b", 3));
  auto split = SplitBytesElements(buffer, 3);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ((*split)[0], "héllo");
  EXPECT_EQ((*split)[1], "");
  EXPECT_EQ((*split)[2], std::string_view("a\0b", 3));
}

TEST(TensorTest, BytesElementsThatDoNotAddUpAreErrors) {
  std::vector<std::byte> buffer;
  AppendBytesElement(buffer, "abc");
  EXPECT_FALSE(SplitBytesElements(buffer, 2).ok());                      // too few
  EXPECT_FALSE(SplitBytesElements(buffer, 0).ok());                      // left over
  EXPECT_FALSE(SplitBytesElements(std::span(buffer).first(5), 1).ok());  // cut short
  EXPECT_FALSE(SplitBytesElements(std::span(buffer).first(2), 1).ok());  // in prefix
  EXPECT_FALSE(SplitBytesElements(buffer, int64_t{1} << 40).ok());       // absurd
  std::vector<std::byte> huge_len = {std::byte{0xff}, std::byte{0xff}, std::byte{0xff},
                                     std::byte{0x7f}};
  EXPECT_FALSE(SplitBytesElements(huge_len, 1).ok());
}

TEST(TensorTest, BorrowedBytesStayAliveWithTheTensor) {
  auto body = std::make_shared<std::string>("0123456789");
  Tensor t("x", DataType::kUint8, {4});
  t.Borrow(std::span(reinterpret_cast<const std::byte*>(body->data()) + 2, 4), body);
  body.reset();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(t.data()), t.byte_size()), "2345");
}

}  // namespace
}  // namespace inferd
