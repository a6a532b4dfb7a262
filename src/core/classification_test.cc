#include "core/classification.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace inferd {
namespace {

template <typename T>
Tensor Make(DataType dtype, Shape shape, std::vector<T> values) {
  Tensor t("scores", dtype, std::move(shape));
  std::memcpy(t.Allocate(values.size() * sizeof(T)), values.data(), values.size() * sizeof(T));
  return t;
}

std::vector<std::string> Strings(const Tensor& t) {
  auto count = ElementCount(t.shape());
  auto elements = SplitBytesElements(t.bytes(), *count);
  std::vector<std::string> out;
  for (auto e : *elements) out.emplace_back(e);
  return out;
}

TEST(ClassificationTest, TopClassesPerRowWithLabels) {
  const Tensor scores =
      Make<float>(DataType::kFp32, {2, 3}, {0.1f, 0.7f, 0.2f, 0.5f, 0.25f, 0.25f});
  auto top = Classify(scores, 2, true, {"cat", "dog", "fish"});
  ASSERT_TRUE(top.ok()) << top.status().ToString();
  EXPECT_EQ(top->dtype(), DataType::kBytes);
  EXPECT_EQ(top->shape(), (Shape{2, 2}));
  EXPECT_EQ(Strings(*top), (std::vector<std::string>{"0.700000:1:dog", "0.200000:2:fish",
                                                     "0.500000:0:cat", "0.250000:1:dog"}));
}

TEST(ClassificationTest, NoLabelsAndAnUnbatchedModel) {
  const Tensor scores = Make<int32_t>(DataType::kInt32, {4}, {3, 9, -1, 9});
  auto top = Classify(scores, 10, false, {});
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->shape(), (Shape{4}));  // k is capped at the class count
  EXPECT_EQ(Strings(*top), (std::vector<std::string>{"9:1", "9:3", "3:0", "-1:2"}));
}

TEST(ClassificationTest, LabelsShorterThanTheClassesLeaveTheRestUnlabelled) {
  const Tensor scores = Make<double>(DataType::kFp64, {1, 3}, {0.0, 1.0, 2.0});
  auto top = Classify(scores, 3, true, {"a"});
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(Strings(*top), (std::vector<std::string>{"2.000000:2", "1.000000:1", "0.000000:0:a"}));
}

TEST(ClassificationTest, NanRanksLast) {
  const float nan = std::nanf("");
  const Tensor scores = Make<float>(DataType::kFp32, {1, 4}, {nan, 0.5f, nan, 0.25f});
  auto top = Classify(scores, 3, true, {});
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(Strings(*top), (std::vector<std::string>{"0.500000:1", "0.250000:3", "nan:0"}));
}

TEST(ClassificationTest, UnsupportedTypesAreRefusedInTritonsWords) {
  EXPECT_EQ(CheckClassifiable("out", DataType::kFp16).message(),
            "class result not available for output 'out' due to unsupported type 'FP16'");
  EXPECT_FALSE(CheckClassifiable("out", DataType::kBytes).ok());
  EXPECT_FALSE(CheckClassifiable("out", DataType::kBool).ok());
  EXPECT_TRUE(CheckClassifiable("out", DataType::kUint8).ok());
  const Tensor scores = Make<float>(DataType::kFp32, {1, 2}, {1, 2});
  EXPECT_FALSE(Classify(scores, 0, true, {}).ok());
}

}  // namespace
}  // namespace inferd
