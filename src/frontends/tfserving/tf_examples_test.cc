#include "frontends/tfserving/tf_examples.h"

#include <gtest/gtest.h>

#include <cstring>

namespace inferd::tfserving {
namespace {

FeatureValue Floats(std::vector<float> v) {
  FeatureValue f;
  f.kind = FeatureValue::Kind::kFloat;
  f.floats = std::move(v);
  return f;
}
FeatureValue Ints(std::vector<int64_t> v) {
  FeatureValue f;
  f.kind = FeatureValue::Kind::kInt64;
  f.ints = std::move(v);
  return f;
}
FeatureValue Bytes(std::vector<std::string> v) {
  FeatureValue f;
  f.kind = FeatureValue::Kind::kBytes;
  f.bytes = std::move(v);
  return f;
}

ModelSignature Columns(Shape shape, DataType dtype = DataType::kFp32) {
  ModelSignature s;
  s.inputs.push_back({"float_input", dtype, std::move(shape), {}, ""});
  return s;
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  std::vector<T> out(t.byte_size() / sizeof(T));
  std::memcpy(out.data(), t.data(), t.byte_size());
  return out;
}

TEST(TfExamplesTest, ColumnsFollowTheFirstExamplesOrder) {
  ExampleSet set;
  set.examples.push_back({{"b", Floats({1})}, {"a", Ints({2})}});
  set.examples.push_back({{"a", Floats({4})}, {"b", Floats({3})}});
  auto r = ExamplesToRequest(set, Columns({-1, 2}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->inputs.size(), 1u);
  EXPECT_EQ(r->inputs[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(Values<float>(r->inputs[0]), (std::vector<float>{1, 2, 3, 4}));
}

TEST(TfExamplesTest, OneFeatureCanHoldTheWholeRow) {
  ExampleSet set;
  set.examples.push_back({{"row", Floats({1, 2, 3})}});
  set.examples.push_back({{"row", Floats({4, 5, 6})}});
  auto r = ExamplesToRequest(set, Columns({-1, 3}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->inputs[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(Values<float>(r->inputs[0]), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(TfExamplesTest, ContextFillsEveryExampleButExamplesWin) {
  ExampleSet set;
  set.examples.push_back({{"a", Floats({1})}});
  set.examples.push_back({{"a", Floats({2})}, {"b", Floats({9})}});
  set.context = {{"b", Floats({5})}};
  auto r = ExamplesToRequest(set, Columns({-1, 2}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(Values<float>(r->inputs[0]), (std::vector<float>{1, 5, 2, 9}));
}

TEST(TfExamplesTest, InputsByName) {
  ModelSignature s;
  s.inputs.push_back({"city", DataType::kBytes, {-1, 1}, {}, ""});
  s.inputs.push_back({"x", DataType::kFp16, {-1, -1}, {}, ""});
  ExampleSet set;
  set.examples.push_back({{"x", Floats({0.5, 1})}, {"city", Bytes({"paris"})}, {"id", Ints({7})}});
  set.examples.push_back({{"city", Bytes({"oslo"})}, {"x", Ints({2, 3})}, {"id", Ints({8})}});
  auto r = ExamplesToRequest(set, s);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->inputs.size(), 2u);
  EXPECT_EQ(r->inputs[0].name(), "city");
  EXPECT_EQ(r->inputs[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(SplitBytesElements(r->inputs[0].bytes(), 2)->at(1), "oslo");
  EXPECT_EQ(r->inputs[1].shape(), (Shape{2, 2}));
  EXPECT_EQ(HalfToFloat(Values<uint16_t>(r->inputs[1])[3]), 3.0f);
}

TEST(TfExamplesTest, FeaturesThatDoNotFit) {
  ModelSignature ints = Columns({-1, 2}, DataType::kInt32);
  ModelSignature two;
  two.inputs.push_back({"a", DataType::kFp32, {-1, 2}, {}, ""});
  two.inputs.push_back({"b", DataType::kFp32, {-1}, {}, ""});
  struct Case {
    ExampleSet set;
    const ModelSignature* signature;
  };
  const ModelSignature floats = Columns({-1, 2});
  std::vector<Case> cases;
  cases.push_back({ExampleSet{}, &floats});  // no examples
  cases.push_back({ExampleSet{{{{"a", Floats({1, 2})}}, {{"a", Floats({1})}}}, {}}, &floats});
  cases.push_back({ExampleSet{{{{"a", Floats({1})}}, {{"b", Floats({1})}}}, {}}, &floats});
  cases.push_back({ExampleSet{{{{"a", Floats({1})}}, {}}, {}}, &floats});
  cases.push_back({ExampleSet{{{{"a", Floats({1.5})}}}, {}}, &ints});             // float->int
  cases.push_back({ExampleSet{{{{"a", Ints({int64_t{1} << 40})}}}, {}}, &ints});  // range
  cases.push_back({ExampleSet{{{{"a", Bytes({"x"})}}}, {}}, &floats});            // bytes->float
  cases.push_back({ExampleSet{{{{"a", Floats({1})}}}, {}}, &two});                // no mapping
  cases.push_back({ExampleSet{{{{"a", Floats({1, 2, 3})}, {"b", Floats({1})}}}, {}}, &two});
  cases.push_back(
      {ExampleSet{{{{"a", Floats({1, 2})}, {"b", Floats({1})}}, {{"a", Floats({1, 2})}}}, {}},
       &two});
  for (size_t i = 0; i < cases.size(); ++i) {
    auto r = ExamplesToRequest(cases[i].set, *cases[i].signature);
    ASSERT_FALSE(r.ok()) << "case " << i;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << "case " << i;
  }
}

TEST(TfExamplesTest, NaturalOrder) {
  Features f{{"x10", Floats({})},
             {"x2", Floats({})},
             {"b", Floats({})},
             {"a1", Floats({})},
             {"x1", Floats({})}};
  SortFeaturesNaturally(f);
  std::vector<std::string> keys;
  for (const auto& [k, v] : f) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"a1", "b", "x1", "x2", "x10"}));
}

TEST(TfExamplesTest, PicksOutputs) {
  ModelSignature classifier;
  classifier.outputs.push_back({"label", DataType::kInt64, {-1}, {}, ""});
  classifier.outputs.push_back({"prob", DataType::kFp32, {-1, 2}, {"no", "yes"}, ""});
  auto pick = PickClassifyOutput(classifier);
  ASSERT_TRUE(pick.ok());
  EXPECT_EQ(pick->name, "prob");
  EXPECT_EQ(pick->labels, (std::vector<std::string>{"no", "yes"}));
  EXPECT_FALSE(PickRegressOutput(classifier).ok());

  ModelSignature regressor;
  regressor.outputs.push_back({"variable", DataType::kFp32, {-1, 1}, {}, ""});
  EXPECT_EQ(*PickRegressOutput(regressor), "variable");
  EXPECT_FALSE(PickClassifyOutput(regressor).ok());  // [N, 1] is not class scores

  ModelSignature mlp;
  mlp.outputs.push_back({"y", DataType::kFp32, {-1, 4}, {}, ""});
  pick = PickClassifyOutput(mlp);
  ASSERT_TRUE(pick.ok());
  EXPECT_TRUE(pick->labels.empty());
  mlp.outputs.push_back({"z", DataType::kFp64, {-1, 3}, {}, ""});
  EXPECT_FALSE(PickClassifyOutput(mlp).ok());
}

TEST(TfExamplesTest, Results) {
  InferResponse r;
  Tensor scores("prob", DataType::kFp32, {2, 2});
  const float v[4] = {0.25f, 0.75f, 1, 0};
  std::memcpy(scores.Allocate(16), v, 16);
  r.outputs.push_back(scores);
  auto classes = ClassificationsFrom(r, {"prob", {}}, 2);
  ASSERT_TRUE(classes.ok());
  EXPECT_EQ((*classes)[0], (Classes{{"0", 0.25f}, {"1", 0.75f}}));
  EXPECT_EQ((*classes)[1][0].second, 1.0f);
  EXPECT_FALSE(ClassificationsFrom(r, {"prob", {"only-one"}}, 2).ok());
  EXPECT_FALSE(ClassificationsFrom(r, {"prob", {}}, 3).ok());
  EXPECT_FALSE(RegressionsFrom(r, 2).ok());  // four values for two examples
  auto values = RegressionsFrom(r, 4);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ((*values)[1], 0.75f);
}

}  // namespace
}  // namespace inferd::tfserving
