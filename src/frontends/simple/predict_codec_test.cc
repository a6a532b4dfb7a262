#include "frontends/simple/predict_codec.h"

#include <gtest/gtest.h>

#include "frontends/http/tabular_test_util.h"

namespace inferd::simple {
namespace {

using namespace inferd::http::testing;

TEST(PredictCodecTest, ParsesOneRowOrRows) {
  SchemaError error;
  auto one = ParsePredictBody(R"({"features": [5.1, 3.5, 1.4, 0.2], "model": "iris"})", error);
  ASSERT_TRUE(one.has_value()) << error.msg;
  EXPECT_TRUE(one->single_row);
  EXPECT_EQ(one->model, "iris");
  auto tensors = FeaturesToTensors(*one, Classifier());
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ((*tensors)[0].shape(), (Shape{1, 4}));

  auto rows = ParsePredictBody(R"({"features": [[5.1, 3.5, 1.4, 0.2], [1, 2, 3, 4]]})", error);
  ASSERT_TRUE(rows.has_value()) << error.msg;
  EXPECT_FALSE(rows->single_row);
  EXPECT_EQ(rows->model, "");
  tensors = FeaturesToTensors(*rows, Classifier());
  ASSERT_TRUE(tensors.ok());
  EXPECT_EQ((*tensors)[0].shape(), (Shape{2, 4}));

  auto named = ParsePredictBody(R"({"features": {"city": "Paris", "x": 0.5}})", error);
  ASSERT_TRUE(named.has_value());
  EXPECT_TRUE(named->single_row);
  tensors = FeaturesToTensors(*named, StringClassifier());
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ(tensors->size(), 2u);

  auto positional = ParsePredictBody(R"({"features": ["Paris", 0.5]})", error);
  ASSERT_TRUE(positional.has_value());
  EXPECT_TRUE(FeaturesToTensors(*positional, StringClassifier()).ok());
}

TEST(PredictCodecTest, SchemaErrorsAreFastApiShaped) {
  struct Case {
    const char* body;
    const char* type;
  };
  for (const Case& c : std::vector<Case>{{"{", "json_invalid"},
                                         {"[1, 2]", "model_attributes_type"},
                                         {"{}", "missing"},
                                         {R"({"features": 3})", "list_type"},
                                         {R"({"features": []})", "too_short"},
                                         {R"({"features": [1, [2]]})", "value_error"},
                                         {R"({"features": [1, null]})", "value_error"},
                                         {R"({"features": [1], "model": 3})", "string_type"}}) {
    SchemaError error;
    EXPECT_FALSE(ParsePredictBody(c.body, error).has_value()) << c.body;
    EXPECT_EQ(error.type, c.type) << c.body;
    EXPECT_EQ(error.loc.at(0), "body");
  }
  SchemaError error{"missing", {"body", "features"}, "Field required"};
  EXPECT_EQ(EncodeSchemaError(error),
            R"({"detail":[{"type":"missing","loc":["body","features"],"msg":"Field required"}]})");
}

TEST(PredictCodecTest, ModelLevelRejectionsAreInvalidArgument) {
  SchemaError error;
  auto body = ParsePredictBody(R"({"features": ["a", "b", "c", "d"]})", error);
  ASSERT_TRUE(body.has_value());
  auto tensors = FeaturesToTensors(*body, Classifier());
  ASSERT_FALSE(tensors.ok());
  EXPECT_EQ(tensors.status().code(), StatusCode::kInvalidArgument);
}

TEST(PredictCodecTest, ClassifierAnswers) {
  auto one = EncodePredictResponse(ClassifierResponse(), Classifier(), true);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(*one, R"({"model":"random_forest","version":"1","prediction":0,"probability":1.0})");
  auto rows = EncodePredictResponse(ClassifierResponse(), Classifier(), false);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, R"({"model":"random_forest","version":"1","predictions":[0,2],)"
                   R"("probabilities":[[1.0,0.0,0.0],[0.0,0.25,0.75]],"classes":[0,1,2]})");
}

TEST(PredictCodecTest, StringLabelsStayStrings) {
  InferResponse r;
  r.model_name = "string_pipeline";
  r.model_version = 2;
  r.outputs.push_back(MakeStrings("output_label", {"low"}));
  r.outputs.push_back(
      MakeTensor<float>("output_probability", DataType::kFp32, {1, 2}, {0.25f, 0.75f}));
  auto rows = EncodePredictResponse(r, StringClassifier(), false);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, R"({"model":"string_pipeline","version":"2","predictions":["low"],)"
                   R"("probabilities":[[0.25,0.75]],"classes":["high","low"]})");
}

TEST(PredictCodecTest, RegressorAnswers) {
  auto one = EncodePredictResponse(RegressorResponse(), Regressor(), true);
  EXPECT_EQ(*one, R"({"model":"gbr","version":"1","prediction":150.5,"probability":null})");
  auto rows = EncodePredictResponse(RegressorResponse(), Regressor(), false);
  EXPECT_EQ(*rows, R"({"model":"gbr","version":"1","predictions":[150.5,80.0],)"
                   R"("probabilities":null,"classes":null})");
}

TEST(PredictCodecTest, NormalizesSeedStyleVersions) {
  EXPECT_EQ(NormalizeVersion("v2"), "2");
  EXPECT_EQ(NormalizeVersion("V10"), "10");
  EXPECT_EQ(NormalizeVersion("2"), "2");
  EXPECT_EQ(NormalizeVersion("v"), "v");
  EXPECT_EQ(NormalizeVersion("vx"), "vx");
  EXPECT_EQ(NormalizeVersion(""), "");
}

}  // namespace
}  // namespace inferd::simple
