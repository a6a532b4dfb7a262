#include "frontends/mlflow/mlflow_codec.h"

#include <gtest/gtest.h>

#include "frontends/http/tabular_test_util.h"

namespace inferd::mlflow {
namespace {

using namespace inferd::http::testing;

TEST(MlflowCodecTest, ClassifiesContentTypes) {
  EXPECT_EQ(ClassifyContentType("application/json"), ContentKind::kJson);
  EXPECT_EQ(ClassifyContentType("Application/JSON; charset=utf-8"), ContentKind::kJson);
  EXPECT_EQ(ClassifyContentType("application/json; format=pandas-split"), ContentKind::kJson);
  EXPECT_EQ(ClassifyContentType("text/csv"), ContentKind::kCsv);
  EXPECT_EQ(ClassifyContentType("text/csv;charset=utf-8"), ContentKind::kCsv);
  EXPECT_EQ(ClassifyContentType("text/plain"), ContentKind::kUnsupported);
  EXPECT_EQ(ClassifyContentType(""), ContentKind::kUnsupported);
}

// The payloads MLflow's documentation shows, adapted to a 4-feature model.
TEST(MlflowCodecTest, DecodesEveryDocumentedJsonFormat) {
  for (
      const char* body :
      {R"({"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[1, 2, 3, 4], [5, 6, 7, 8]]}})",
       R"({"dataframe_split": {"index": [0, 1], "columns": ["a", "b", "c", "d"], "data": [[1, 2, 3, 4], [5, 6, 7, 8]]}})",
       R"({"dataframe_split": {"data": [[1, 2, 3, 4], [5, 6, 7, 8]]}})",
       R"({"dataframe_records": [{"a": 1, "b": 2, "c": 3, "d": 4}, {"a": 5, "b": 6, "c": 7, "d": 8}]})",
       R"({"instances": [[1, 2, 3, 4], [5, 6, 7, 8]]})",
       R"({"instances": [{"float_input": [1, 2, 3, 4]}, {"float_input": [5, 6, 7, 8]}]})",
       R"({"inputs": [[1, 2, 3, 4], [5, 6, 7, 8]]})",
       R"({"inputs": {"float_input": [[1, 2, 3, 4], [5, 6, 7, 8]]}})",
       R"({"inputs": [[1, 2, 3, 4], [5, 6, 7, 8]], "params": {"temperature": 0.5}})"}) {
    auto tensors = DecodeInvocation(ContentKind::kJson, body, Classifier());
    ASSERT_TRUE(tensors.ok()) << body << ": " << tensors.status().ToString();
    ASSERT_EQ(tensors->size(), 1u);
    EXPECT_EQ((*tensors)[0].shape(), (Shape{2, 4})) << body;
  }
}

TEST(MlflowCodecTest, DecodesCsv) {
  auto tensors = DecodeInvocation(ContentKind::kCsv, "a,b,c,d\n1,2,3,4\n5,6,7,8\n", Classifier());
  ASSERT_TRUE(tensors.ok()) << tensors.status().ToString();
  EXPECT_EQ((*tensors)[0].shape(), (Shape{2, 4}));
  auto named = DecodeInvocation(ContentKind::kCsv, "x,city\n0.5,Paris\n", StringClassifier());
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->size(), 2u);
}

TEST(MlflowCodecTest, RejectsBadJsonBodies) {
  for (const char* body :
       {"", "[]", "{}", R"({"instances": [[1, 2, 3, 4]], "inputs": [[1, 2, 3, 4]]})",
        R"({"instances": [[1, 2, 3, 4]], "extra": 1})",
        R"({"instances": [[1, 2, 3, 4]], "params": 3})", R"({"instances": []})",
        R"({"instances": 5})", R"({"dataframe_split": [[1, 2, 3, 4]]})",
        R"({"dataframe_split": {"columns": ["a"]}})",
        R"({"dataframe_split": {"data": [[1, 2, 3, 4]], "bogus": 1}})",
        R"({"dataframe_split": {"columns": [1, 2], "data": [[1, 2]]}})",
        R"({"dataframe_records": {"a": 1}})", R"({"dataframe_records": [[1, 2, 3, 4]]})",
        R"({"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[1, 2, 3]]}})",
        R"({"inputs": {"float_input": [[1, 2, 3, 4]], "other": [[1]]}})"}) {
    auto tensors = DecodeInvocation(ContentKind::kJson, body, Classifier());
    ASSERT_FALSE(tensors.ok()) << body;
    EXPECT_EQ(tensors.status().code(), StatusCode::kInvalidArgument) << body;
  }
}

TEST(MlflowCodecTest, ClassifiersAnswerTheirLabels) {
  EXPECT_EQ(OutputsToRequest(Classifier()), (std::vector<std::string>{"output_label"}));
  InferResponse response = ClassifierResponse();
  response.outputs.pop_back();  // only the label was asked for
  auto body = EncodeInvocationResponse(response, Classifier());
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, R"({"predictions":[0,2]})");
}

TEST(MlflowCodecTest, SingleOutputModelsAnswerTheirRows) {
  EXPECT_TRUE(OutputsToRequest(Regressor()).empty());
  auto body = EncodeInvocationResponse(RegressorResponse(), Regressor());
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, R"({"predictions":[150.5,80.0]})");
}

TEST(MlflowCodecTest, SeveralOutputsAnswerAnObjectPerRow) {
  ModelSignature sig;
  sig.outputs = {Spec("a", DataType::kInt32, {-1}), Spec("b", DataType::kFp32, {-1, 2})};
  InferResponse response;
  response.outputs.push_back(MakeTensor<int32_t>("a", DataType::kInt32, {2}, {1, 2}));
  response.outputs.push_back(MakeTensor<float>("b", DataType::kFp32, {2, 2}, {1, 2, 3, 4}));
  auto body = EncodeInvocationResponse(response, sig);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, R"({"predictions":[{"a":1,"b":[1.0,2.0]},{"a":2,"b":[3.0,4.0]}]})");
  response.outputs[1] = MakeTensor<float>("b", DataType::kFp32, {1, 2}, {1, 2});
  EXPECT_FALSE(EncodeInvocationResponse(response, sig).ok());
}

}  // namespace
}  // namespace inferd::mlflow
