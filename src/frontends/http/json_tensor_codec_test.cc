#include "frontends/http/json_tensor_codec.h"

#include <gtest/gtest.h>

#include <cstring>

#include "frontends/http/json_buffer.h"

namespace inferd::http {
namespace {

StatusOr<Tensor> Decode(const char* json, DataType type, Shape shape) {
  auto doc = ParseJson(json);
  EXPECT_TRUE(doc.ok()) << json;
  if (!doc.ok()) return doc.status();
  Tensor t("x", type, std::move(shape));
  Status s = DecodeJsonTensorData(*doc, t);
  if (!s.ok()) return s;
  return t;
}

std::string Encode(const Tensor& t) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  WriteJsonTensorData(t, w);
  return buffer.GetString();
}

// Binary bodies and shared-memory regions lend bytes at any offset.
TEST(JsonTensorCodecTest, MisalignedElementsAreWritten) {
  auto storage = std::make_shared<std::vector<std::byte>>(1 + 3 * sizeof(double));
  const double values[3] = {1.5, -2.25, 4.0};
  std::memcpy(storage->data() + 1, values, sizeof(values));
  Tensor t("x", DataType::kFp64, {3});
  t.Borrow(std::span<const std::byte>(storage->data() + 1, sizeof(values)), storage);
  EXPECT_EQ(Encode(t), "[1.5,-2.25,4.0]");
}

TEST(JsonTensorCodecTest, FlatAndNestedDataAreTheSame) {
  auto flat = Decode("[1,2,3,4,5,6]", DataType::kInt32, {2, 3});
  auto nested = Decode("[[1,2,3],[4,5,6]]", DataType::kInt32, {2, 3});
  ASSERT_TRUE(flat.ok() && nested.ok());
  ASSERT_EQ(flat->byte_size(), 24u);
  EXPECT_EQ(std::memcmp(flat->data(), nested->data(), 24), 0);
  EXPECT_EQ(Encode(*nested), "[1,2,3,4,5,6]");
}

TEST(JsonTensorCodecTest, EveryDatatypeRoundTrips) {
  struct Case {
    DataType type;
    const char* json;
  };
  for (const Case& c :
       {Case{DataType::kBool, "[true,false]"}, Case{DataType::kUint8, "[0,255]"},
        Case{DataType::kUint16, "[0,65535]"}, Case{DataType::kUint32, "[0,4294967295]"},
        Case{DataType::kUint64, "[0,18446744073709551615]"}, Case{DataType::kInt8, "[-128,127]"},
        Case{DataType::kInt16, "[-32768,32767]"},
        Case{DataType::kInt32, "[-2147483648,2147483647]"},
        Case{DataType::kInt64, "[-9223372036854775808,9223372036854775807]"},
        Case{DataType::kFp16, "[1.5,-0.25]"}, Case{DataType::kBf16, "[1.5,-0.25]"},
        Case{DataType::kFp32, "[1.5,-0.25]"}, Case{DataType::kFp64, "[0.1,-1e300]"},
        Case{DataType::kBytes, "[\"h\\u00e9\",\"\"]"}}) {
    auto t = Decode(c.json, c.type, {2});
    ASSERT_TRUE(t.ok()) << DataTypeName(c.type) << ": " << t.status().ToString();
    const std::string encoded = Encode(*t);
    auto again = Decode(encoded.c_str(), c.type, {2});
    ASSERT_TRUE(again.ok()) << Encode(*t);
    ASSERT_EQ(t->byte_size(), again->byte_size());
    EXPECT_EQ(std::memcmp(t->data(), again->data(), t->byte_size()), 0) << DataTypeName(c.type);
  }
}

TEST(JsonTensorCodecTest, BadElementsAreErrors) {
  EXPECT_FALSE(Decode("[1,2,3]", DataType::kInt32, {2, 2}).ok());            // count
  EXPECT_FALSE(Decode("[1.5,2]", DataType::kInt32, {2}).ok());               // not an integer
  EXPECT_FALSE(Decode("[256,0]", DataType::kUint8, {2}).ok());               // out of range
  EXPECT_FALSE(Decode("[-1,0]", DataType::kUint32, {2}).ok());               // negative
  EXPECT_FALSE(Decode("[1,0]", DataType::kBool, {2}).ok());                  // not a bool
  EXPECT_FALSE(Decode("[\"a\",1]", DataType::kBytes, {2}).ok());             // not a string
  EXPECT_FALSE(Decode("[\"1\",2]", DataType::kFp32, {2}).ok());              // not a number
  EXPECT_FALSE(Decode("[1]", DataType::kFp32, {1, int64_t{1} << 62}).ok());  // huge shape
  EXPECT_FALSE(Decode("[{\"a\":1}]", DataType::kFp32, {1}).ok());
}

TEST(JsonTensorCodecTest, ScalarDataFillsOneElement) {
  auto t = Decode("7", DataType::kInt64, {1});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t->data_as<int64_t>(), 7);
}

}  // namespace
}  // namespace inferd::http
