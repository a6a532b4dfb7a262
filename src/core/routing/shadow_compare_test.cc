#include "core/routing/shadow_compare.h"

#include <gtest/gtest.h>

#include <cstring>

namespace inferd {
namespace {

template <typename T>
Tensor Make(const std::string& name, DataType type, Shape shape, std::vector<T> values) {
  Tensor t(name, type, std::move(shape));
  std::memcpy(t.Allocate(values.size() * sizeof(T)), values.data(), values.size() * sizeof(T));
  return t;
}

Tensor Strings(const std::string& name, std::vector<std::string> values) {
  Tensor t(name, DataType::kBytes, {static_cast<int64_t>(values.size())});
  std::vector<std::byte> bytes;
  for (const auto& v : values) AppendBytesElement(bytes, v);
  t.Adopt(std::move(bytes));
  return t;
}

TEST(ShadowCompareTest, ScoresDifferByValueAndAgreeByArgmax) {
  // Two rows of three classes: row 0 agrees on class 2, row 1 does not.
  auto primary = Make<float>("p", DataType::kFp32, {2, 3}, {0.1f, 0.2f, 0.7f, 0.6f, 0.3f, 0.1f});
  auto shadow = Make<float>("p", DataType::kFp32, {2, 3}, {0.2f, 0.2f, 0.6f, 0.3f, 0.6f, 0.1f});
  auto c = CompareOutputs({primary}, {shadow});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_FALSE(c[0].mismatch);
  EXPECT_EQ(c[0].values, 6u);
  EXPECT_NEAR(c[0].abs_diff_max, 0.3, 1e-6);
  EXPECT_NEAR(c[0].abs_diff_sum, 0.1 + 0.1 + 0.3 + 0.3, 1e-6);
  EXPECT_EQ(c[0].rows, 2u);
  EXPECT_EQ(c[0].rows_agreeing, 1u);
}

TEST(ShadowCompareTest, LabelsAgreeElementByElement) {
  auto ints = CompareOutputs({Make<int64_t>("label", DataType::kInt64, {4}, {0, 1, 1, 2})},
                             {Make<int64_t>("label", DataType::kInt64, {4}, {0, 1, 2, 2})});
  EXPECT_EQ(ints[0].rows, 4u);
  EXPECT_EQ(ints[0].rows_agreeing, 3u);
  auto strings = CompareOutputs({Strings("label", {"cat", "dog", "cat"})},
                                {Strings("label", {"cat", "cat", "cat"})});
  EXPECT_EQ(strings[0].rows, 3u);
  EXPECT_EQ(strings[0].rows_agreeing, 2u);
  // A regression output (one value a row) has no label to agree on.
  auto regression = CompareOutputs({Make<double>("y", DataType::kFp64, {2, 1}, {1.0, 2.0})},
                                   {Make<double>("y", DataType::kFp64, {2, 1}, {1.5, 2.0})});
  EXPECT_EQ(regression[0].rows, 0u);
  EXPECT_DOUBLE_EQ(regression[0].abs_diff_max, 0.5);
}

TEST(ShadowCompareTest, AMissingOrReshapedOutputDisagreesOnEveryRow) {
  auto primary = Make<float>("p", DataType::kFp32, {3, 2}, {0, 1, 0, 1, 0, 1});
  auto reshaped = Make<float>("p", DataType::kFp32, {2, 3}, {0, 1, 0, 1, 0, 1});
  auto c = CompareOutputs({primary}, {reshaped});
  EXPECT_TRUE(c[0].mismatch);
  EXPECT_EQ(c[0].rows, 3u);
  EXPECT_EQ(c[0].rows_agreeing, 0u);
  c = CompareOutputs({primary}, {});
  EXPECT_TRUE(c[0].mismatch);
  auto retyped = Make<double>("p", DataType::kFp64, {3, 2}, {0, 1, 0, 1, 0, 1});
  EXPECT_TRUE(CompareOutputs({primary}, {retyped})[0].mismatch);
}

}  // namespace
}  // namespace inferd
