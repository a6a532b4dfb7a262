#include "frontends/http/tabular_output.h"

#include <gtest/gtest.h>

#include <cstring>

#include "frontends/http/json_buffer.h"

namespace inferd::http {
namespace {

template <typename T>
Tensor Make(std::string name, DataType dtype, Shape shape, std::vector<T> values) {
  Tensor t(std::move(name), dtype, std::move(shape));
  std::memcpy(t.Allocate(values.size() * sizeof(T)), values.data(), values.size() * sizeof(T));
  return t;
}

std::string Rows(const Tensor& t, bool squeeze) {
  auto rows = OutputRows::Make(t);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (int64_t r = 0; r < rows->rows(); ++r) rows->WriteRow(r, w, squeeze);
  w.EndArray();
  return buffer.GetString();
}

TEST(TabularOutputTest, RowsByRank) {
  EXPECT_EQ(Rows(Make<int64_t>("l", DataType::kInt64, {3}, {0, 2, 1}), false), "[0,2,1]");
  const Tensor column = Make<float>("v", DataType::kFp32, {2, 1}, {1.5f, -2});
  EXPECT_EQ(Rows(column, true), "[1.5,-2.0]");
  EXPECT_EQ(Rows(column, false), "[[1.5],[-2.0]]");
  EXPECT_EQ(Rows(Make<float>("p", DataType::kFp32, {2, 2}, {0.25f, 0.75f, 1, 0}), true),
            "[[0.25,0.75],[1.0,0.0]]");
  EXPECT_EQ(Rows(Make<int32_t>("c", DataType::kInt32, {1, 2, 2}, {1, 2, 3, 4}), true),
            "[[[1,2],[3,4]]]");
  EXPECT_EQ(Rows(Make<uint8_t>("b", DataType::kBool, {2}, {1, 0}), true), "[true,false]");
}

TEST(TabularOutputTest, StringsAndLabels) {
  std::vector<std::byte> buffer;
  AppendBytesElement(buffer, "high");
  AppendBytesElement(buffer, "low");
  Tensor t("label", DataType::kBytes, {2});
  t.Adopt(std::move(buffer));
  EXPECT_EQ(Rows(t, true), R"(["high","low"])");
  auto rows = OutputRows::Make(t);
  EXPECT_EQ(rows->ElementAsString(1), "low");

  JsonBuffer out;
  JsonWriter w(out);
  w.StartArray();
  WriteLabel("3", true, w);
  WriteLabel("3", false, w);
  WriteLabel("x", true, w);
  w.EndArray();
  EXPECT_STREQ(out.GetString(), R"([3,"3","x"])");
}

TEST(TabularOutputTest, RejectsTensorsWhoseBytesDoNotMatch) {
  Tensor t("x", DataType::kFp32, {2});
  t.Allocate(4);
  EXPECT_FALSE(OutputRows::Make(t).ok());
}

TEST(TabularOutputTest, FindsAClassifiersOutputs) {
  ModelSignature sig;
  TensorSpec label{"output_label", DataType::kInt64, {-1}, {}, ""};
  TensorSpec prob{"output_probability", DataType::kFp32, {-1, 2}, {"0", "1"}, ""};
  sig.outputs = {label, prob};
  ClassifierSpec c = FindClassifier(sig);
  ASSERT_NE(c.label, nullptr);
  ASSERT_NE(c.probability, nullptr);
  EXPECT_EQ(c.label->name, "output_label");
  EXPECT_EQ(c.probability->name, "output_probability");
  EXPECT_TRUE(c.numeric_labels);

  ModelSignature regressor;
  regressor.outputs = {TensorSpec{"variable", DataType::kFp32, {-1, 1}, {}, ""}};
  EXPECT_EQ(FindClassifier(regressor).probability, nullptr);
  EXPECT_EQ(FindClassifier(regressor).label, nullptr);
}

}  // namespace
}  // namespace inferd::http
