#include "frontends/torchserve/torchserve_codec.h"

#include <gtest/gtest.h>

#include "frontends/http/multipart.h"
#include "frontends/http/tabular_test_util.h"

namespace inferd::torchserve {
namespace {

using http::FindFormField;
using http::IsMultipartFormData;

using namespace inferd::http::testing;

TEST(TorchServeCodecTest, AcceptsEveryDocumentedBodyShape) {
  struct Case {
    const char* body;
    int64_t rows;
    bool single;
  };
  for (const Case& c :
       std::vector<Case>{{"[[1, 2, 3, 4], [5, 6, 7, 8]]", 2, false},
                         {"[1, 2, 3, 4]", 1, true},
                         {R"({"data": [[1, 2, 3, 4]]})", 1, false},
                         {R"({"data": [1, 2, 3, 4]})", 1, true},
                         {R"({"instances": [[1, 2, 3, 4], [1, 2, 3, 4], [0, 0, 0, 0]]})", 3, false},
                         {R"([{"a": 1, "b": 2, "c": 3, "d": 4}])", 1, false},
                         {R"({"a": 1, "b": 2, "c": 3, "d": 4})", 1, true}}) {
    auto decoded = DecodePredictionBody("application/json", c.body, Classifier());
    ASSERT_TRUE(decoded.ok()) << c.body << ": " << decoded.status().ToString();
    EXPECT_EQ(decoded->single_row, c.single) << c.body;
    ASSERT_EQ(decoded->inputs.size(), 1u);
    EXPECT_EQ(decoded->inputs[0].shape(), (Shape{c.rows, 4})) << c.body;
  }
}

TEST(TorchServeCodecTest, ReadsTheDataFieldOfAMultipartForm) {
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nignored\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"data\"; filename=\"rows.json\"\r\n"
      "Content-Type: application/json\r\n\r\n[[1, 2, 3, 4]]\r\n--XyZ--\r\n";
  auto decoded = DecodePredictionBody("multipart/form-data; boundary=XyZ", body, Classifier());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->inputs[0].shape(), (Shape{1, 4}));
  EXPECT_FALSE(decoded->single_row);

  auto missing = DecodePredictionBody("multipart/form-data; boundary=XyZ",
                                      "--XyZ\r\nContent-Disposition: form-data; "
                                      "name=\"x\"\r\n\r\n[1]\r\n--XyZ--\r\n",
                                      Classifier());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
}

TEST(TorchServeCodecTest, RejectsBadBodies) {
  for (const char* body : {"", "{", "[]", "null", "3", R"({"instances": {"a": 1}})",
                           R"([[1, 2, 3, 4], 5])", R"(["a", 2, 3, 4])"}) {
    auto decoded = DecodePredictionBody("application/json", body, Classifier());
    ASSERT_FALSE(decoded.ok()) << body;
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument) << body;
  }
}

TEST(TorchServeCodecTest, ClassifiersAnswerLabelToProbability) {
  auto rows = EncodePredictionResponse(ClassifierResponse(), Classifier(), false);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, R"([{"0":1.0,"1":0.0,"2":0.0},{"0":0.0,"1":0.25,"2":0.75}])");
  auto one = EncodePredictionResponse(ClassifierResponse(), Classifier(), true);
  EXPECT_EQ(*one, R"({"0":1.0,"1":0.0,"2":0.0})");
}

TEST(TorchServeCodecTest, OtherModelsAnswerTheirFirstOutput) {
  auto rows = EncodePredictionResponse(RegressorResponse(), Regressor(), false);
  EXPECT_EQ(*rows, "[150.5,80.0]");
  auto one = EncodePredictionResponse(RegressorResponse(), Regressor(), true);
  EXPECT_EQ(*one, "150.5");
}

TEST(MultipartTest, FindsFieldsAndRejectsMalformedBodies) {
  const char* type = "multipart/form-data; boundary=\"b 1\"";
  auto ok = FindFormField(type,
                          "preamble\r\n--b 1\r\ncontent-disposition: form-data; name=data\r\n\r\n"
                          "a\r\nb\r\n--b 1--",
                          "data");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, "a\r\nb");
  auto lf =
      FindFormField("multipart/form-data;boundary=q",
                    "--q\nContent-Disposition: form-data; name=\"data\"\n\n[1]\n--q--\n", "data");
  ASSERT_TRUE(lf.ok()) << lf.status().ToString();
  EXPECT_EQ(*lf, "[1]");
  EXPECT_TRUE(IsMultipartFormData("Multipart/Form-Data; boundary=x"));
  EXPECT_FALSE(IsMultipartFormData("application/json"));
  EXPECT_EQ(FindFormField("multipart/form-data", "--x--", "data").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(FindFormField(type, "--b 1--", "data").status().code(), StatusCode::kNotFound);
  for (const char* body : {"", "--b 1", "--b 1\r\nno-colon\r\n\r\nx\r\n--b 1--",
                           "--b 1\r\nContent-Disposition: form-data; name=data\r\n\r\nunterminated",
                           "--b 1\r\nContent-Disposition: form-data; name=data\r\n"}) {
    EXPECT_FALSE(FindFormField(type, body, "data").ok()) << body;
  }
}

}  // namespace
}  // namespace inferd::torchserve
