#include "frontends/tfserving/tensor_proto_codec.h"

#include <gtest/gtest.h>

#include <cstring>

namespace inferd::tfserving {
namespace {

tensorflow::TensorProto Proto(tensorflow::DataType dtype, std::initializer_list<int64_t> dims) {
  tensorflow::TensorProto p;
  p.set_dtype(dtype);
  for (int64_t d : dims) p.mutable_tensor_shape()->add_dim()->set_size(d);
  return p;
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  std::vector<T> out(t.byte_size() / sizeof(T));
  std::memcpy(out.data(), t.data(), t.byte_size());
  return out;
}

TEST(TensorProtoCodecTest, TensorContentIsBorrowedRowMajor) {
  auto p = Proto(tensorflow::DT_FLOAT, {2, 3});
  const float values[6] = {1, 2, 3, 4, 5, 6};
  p.set_tensor_content(values, sizeof(values));
  auto t = DecodeTensorProto("x", p, nullptr);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->dtype(), DataType::kFp32);
  EXPECT_EQ(t->shape(), (Shape{2, 3}));
  EXPECT_EQ(t->data(), reinterpret_cast<const std::byte*>(p.tensor_content().data()));
  EXPECT_EQ(Values<float>(*t), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(TensorProtoCodecTest, EveryTypedField) {
  auto f = Proto(tensorflow::DT_FLOAT, {2});
  f.add_float_val(1.5f);
  f.add_float_val(-2);
  EXPECT_EQ(Values<float>(*DecodeTensorProto("x", f, nullptr)), (std::vector<float>{1.5f, -2}));

  auto d = Proto(tensorflow::DT_DOUBLE, {1});
  d.add_double_val(0.25);
  EXPECT_EQ(Values<double>(*DecodeTensorProto("x", d, nullptr)), (std::vector<double>{0.25}));

  auto i8 = Proto(tensorflow::DT_INT8, {2});
  i8.add_int_val(-128);
  i8.add_int_val(127);
  EXPECT_EQ(Values<int8_t>(*DecodeTensorProto("x", i8, nullptr)), (std::vector<int8_t>{-128, 127}));

  auto u16 = Proto(tensorflow::DT_UINT16, {1});
  u16.add_int_val(65535);
  EXPECT_EQ(Values<uint16_t>(*DecodeTensorProto("x", u16, nullptr)),
            (std::vector<uint16_t>{65535}));

  auto i64 = Proto(tensorflow::DT_INT64, {1});
  i64.add_int64_val(int64_t{1} << 40);
  EXPECT_EQ(Values<int64_t>(*DecodeTensorProto("x", i64, nullptr)),
            (std::vector<int64_t>{int64_t{1} << 40}));

  auto u32 = Proto(tensorflow::DT_UINT32, {1});
  u32.add_uint32_val(4000000000u);
  EXPECT_EQ(Values<uint32_t>(*DecodeTensorProto("x", u32, nullptr)),
            (std::vector<uint32_t>{4000000000u}));

  auto u64 = Proto(tensorflow::DT_UINT64, {1});
  u64.add_uint64_val(~uint64_t{0});
  EXPECT_EQ(Values<uint64_t>(*DecodeTensorProto("x", u64, nullptr)),
            (std::vector<uint64_t>{~uint64_t{0}}));

  auto b = Proto(tensorflow::DT_BOOL, {3});
  b.add_bool_val(true);
  b.add_bool_val(false);
  b.add_bool_val(true);
  EXPECT_EQ(Values<uint8_t>(*DecodeTensorProto("x", b, nullptr)), (std::vector<uint8_t>{1, 0, 1}));

  auto h = Proto(tensorflow::DT_HALF, {1});
  h.add_half_val(FloatToHalf(1.5f));
  auto half = DecodeTensorProto("x", h, nullptr);
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->dtype(), DataType::kFp16);
  EXPECT_EQ(HalfToFloat(Values<uint16_t>(*half)[0]), 1.5f);

  auto bf = Proto(tensorflow::DT_BFLOAT16, {1});
  bf.add_half_val(FloatToBf16(-3.0f));
  auto bf16 = DecodeTensorProto("x", bf, nullptr);
  ASSERT_TRUE(bf16.ok());
  EXPECT_EQ(bf16->dtype(), DataType::kBf16);
  EXPECT_EQ(Bf16ToFloat(Values<uint16_t>(*bf16)[0]), -3.0f);

  auto s = Proto(tensorflow::DT_STRING, {2});
  s.add_string_val("paris");
  s.add_string_val(std::string("\0\xff", 2));
  auto strings = DecodeTensorProto("x", s, nullptr);
  ASSERT_TRUE(strings.ok());
  auto split = SplitBytesElements(strings->bytes(), 2);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ((*split)[0], "paris");
  EXPECT_EQ((*split)[1], std::string_view("\0\xff", 2));
}

TEST(TensorProtoCodecTest, OneTypedValueBroadcasts) {
  auto f = Proto(tensorflow::DT_FLOAT, {2, 2});
  f.add_float_val(7);
  EXPECT_EQ(Values<float>(*DecodeTensorProto("x", f, nullptr)), (std::vector<float>(4, 7)));
  auto s = Proto(tensorflow::DT_STRING, {3});
  s.add_string_val("a");
  auto t = DecodeTensorProto("x", s, nullptr);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(SplitBytesElements(t->bytes(), 3)->at(2), "a");
}

TEST(TensorProtoCodecTest, EmptyTensor) {
  auto t = DecodeTensorProto("x", Proto(tensorflow::DT_FLOAT, {0, 4}), nullptr);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->byte_size(), 0u);
}

TEST(TensorProtoCodecTest, BadTensorsAreInvalidArguments) {
  std::vector<tensorflow::TensorProto> bad;
  auto few = Proto(tensorflow::DT_FLOAT, {3});
  few.add_float_val(1);
  few.add_float_val(2);
  bad.push_back(few);
  auto none = Proto(tensorflow::DT_INT32, {2});
  bad.push_back(none);
  auto content = Proto(tensorflow::DT_FLOAT, {3});
  content.set_tensor_content(std::string(8, '\0'));
  bad.push_back(content);
  auto string_content = Proto(tensorflow::DT_STRING, {1});
  string_content.set_tensor_content("abcd");
  bad.push_back(string_content);
  auto range = Proto(tensorflow::DT_UINT8, {1});
  range.add_int_val(256);
  bad.push_back(range);
  auto half_range = Proto(tensorflow::DT_HALF, {1});
  half_range.add_half_val(-1);
  bad.push_back(half_range);
  bad.push_back(Proto(tensorflow::DT_COMPLEX64, {1}));
  bad.push_back(Proto(static_cast<tensorflow::DataType>(999), {1}));
  auto negative = Proto(tensorflow::DT_FLOAT, {-1});
  bad.push_back(negative);
  auto unknown_rank = Proto(tensorflow::DT_FLOAT, {});
  unknown_rank.mutable_tensor_shape()->set_unknown_rank(true);
  bad.push_back(unknown_rank);
  auto huge = Proto(tensorflow::DT_FLOAT, {int64_t{1} << 30, 1024});
  huge.add_float_val(1);  // one value broadcast to 4 TiB
  bad.push_back(huge);
  auto overflow = Proto(tensorflow::DT_FLOAT, {int64_t{1} << 40, int64_t{1} << 40});
  bad.push_back(overflow);
  for (size_t i = 0; i < bad.size(); ++i) {
    auto t = DecodeTensorProto("x", bad[i], nullptr);
    ASSERT_FALSE(t.ok()) << "case " << i;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << "case " << i;
    EXPECT_NE(t.status().message().find("'x'"), std::string::npos) << t.status().message();
  }
}

TEST(TensorProtoCodecTest, EncodesNumbersAsTypedFieldsOrContentAndStringsAsStringVal) {
  Tensor t("y", DataType::kInt64, {2});
  const int64_t values[2] = {5, -6};
  std::memcpy(t.Allocate(16), values, 16);
  tensorflow::TensorProto typed;
  EncodeTensorProto(t, typed);  // TF Serving's default: the typed field
  EXPECT_EQ(typed.dtype(), tensorflow::DT_INT64);
  ASSERT_EQ(typed.int64_val_size(), 2);
  EXPECT_EQ(typed.int64_val(0), 5);
  EXPECT_EQ(typed.int64_val(1), -6);
  EXPECT_TRUE(typed.tensor_content().empty());

  tensorflow::TensorProto p;
  EncodeTensorProto(t, p, TensorEncoding::kTensorContent);
  EXPECT_EQ(p.dtype(), tensorflow::DT_INT64);
  ASSERT_EQ(p.tensor_shape().dim_size(), 1);
  EXPECT_EQ(p.tensor_shape().dim(0).size(), 2);
  EXPECT_EQ(p.tensor_content(), std::string(reinterpret_cast<const char*>(values), 16));
  EXPECT_EQ(p.int64_val_size(), 0);

  Tensor s("label", DataType::kBytes, {2});
  std::vector<std::byte> buffer;
  AppendBytesElement(buffer, "high");
  AppendBytesElement(buffer, "");
  s.Adopt(std::move(buffer));
  tensorflow::TensorProto sp;
  EncodeTensorProto(s, sp);
  EXPECT_EQ(sp.dtype(), tensorflow::DT_STRING);
  ASSERT_EQ(sp.string_val_size(), 2);
  EXPECT_EQ(sp.string_val(0), "high");
  EXPECT_TRUE(sp.tensor_content().empty());

  // And back again, from both forms.
  auto typed_round = DecodeTensorProto("y", typed, nullptr);
  ASSERT_TRUE(typed_round.ok());
  EXPECT_EQ(std::memcmp(typed_round->data(), values, 16), 0);
  auto round = DecodeTensorProto("y", p, nullptr);
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(Values<int64_t>(*round), (std::vector<int64_t>{5, -6}));
}

// Every numeric dtype survives the typed fields: small integers widen into
// int_val, fp16/bf16 keep their bits in half_val, bools are 0 or 1.
TEST(TensorProtoCodecTest, TypedFieldsRoundTripEveryNumericType) {
  for (DataType dtype :
       {DataType::kBool, DataType::kUint8, DataType::kUint16, DataType::kUint32, DataType::kUint64,
        DataType::kInt8, DataType::kInt16, DataType::kInt32, DataType::kInt64, DataType::kFp16,
        DataType::kBf16, DataType::kFp32, DataType::kFp64}) {
    const size_t size = DataTypeByteSize(dtype);
    Tensor t("v", dtype, {3});
    std::byte* data = t.Allocate(3 * size);
    for (size_t i = 0; i < 3 * size; ++i) {
      data[i] = static_cast<std::byte>(dtype == DataType::kBool ? i % 2 : 0x80 + 37 * i);
    }
    tensorflow::TensorProto p;
    EncodeTensorProto(t, p);
    EXPECT_TRUE(p.tensor_content().empty()) << DataTypeName(dtype);
    auto back = DecodeTensorProto("v", p, nullptr);
    ASSERT_TRUE(back.ok()) << DataTypeName(dtype) << ": " << back.status().ToString();
    EXPECT_EQ(std::memcmp(back->data(), t.data(), 3 * size), 0) << DataTypeName(dtype);
  }
}

}  // namespace
}  // namespace inferd::tfserving
