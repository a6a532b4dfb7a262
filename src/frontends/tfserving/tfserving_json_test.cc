#include "frontends/tfserving/tfserving_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace inferd::tfserving {
namespace {

ModelSignature OneInput(DataType dtype, Shape shape) {
  ModelSignature s;
  s.inputs.push_back({"x", dtype, std::move(shape), {}, ""});
  return s;
}

ModelSignature TwoInputs() {
  ModelSignature s;
  s.inputs.push_back({"city", DataType::kBytes, {-1, 1}, {}, ""});
  s.inputs.push_back({"x", DataType::kFp32, {-1, 1}, {}, ""});
  return s;
}

template <typename T>
std::vector<T> Values(const Tensor& t) {
  std::vector<T> out(t.byte_size() / sizeof(T));
  std::memcpy(out.data(), t.data(), t.byte_size());
  return out;
}

Tensor MakeTensor(std::string name, DataType dtype, Shape shape, const void* data, size_t size) {
  Tensor t(std::move(name), dtype, std::move(shape));
  std::memcpy(t.Allocate(size), data, size);
  return t;
}

Tensor Strings(std::string name, Shape shape, std::vector<std::string> values) {
  Tensor t(std::move(name), DataType::kBytes, std::move(shape));
  std::vector<std::byte> buffer;
  for (const auto& v : values) AppendBytesElement(buffer, v);
  t.Adopt(std::move(buffer));
  return t;
}

TEST(TfPredictDecodeTest, RowFormatStacksInstances) {
  auto r = DecodePredictRequest(R"({"instances": [[1, 2.5], [3, 4]]})",
                                OneInput(DataType::kFp32, {-1, 2}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->format, PredictFormat::kRow);
  ASSERT_EQ(r->request.inputs.size(), 1u);
  const Tensor& t = r->request.inputs[0];
  EXPECT_EQ(t.name(), "x");
  EXPECT_EQ(t.shape(), (Shape{2, 2}));
  EXPECT_EQ(Values<float>(t), (std::vector<float>{1, 2.5, 3, 4}));
}

TEST(TfPredictDecodeTest, ScalarInstancesMakeAVector) {
  auto r = DecodePredictRequest(R"({"instances": [1, 2, 3]})", OneInput(DataType::kInt64, {-1}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->request.inputs[0].shape(), (Shape{3}));
  EXPECT_EQ(Values<int64_t>(r->request.inputs[0]), (std::vector<int64_t>{1, 2, 3}));
}

TEST(TfPredictDecodeTest, NamedInstancesAndB64) {
  auto r = DecodePredictRequest(
      R"({"signature_name": "serving_default", "instances": [
            {"city": ["paris"], "x": [0.5]},
            {"x": [-1], "city": [{"b64": "b3Nsbw=="}]}]})",
      TwoInputs());
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->request.inputs.size(), 2u);
  const Tensor& city = r->request.inputs[0];
  EXPECT_EQ(city.name(), "city");
  EXPECT_EQ(city.shape(), (Shape{2, 1}));
  auto split = SplitBytesElements(city.bytes(), 2);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ((*split)[0], "paris");
  EXPECT_EQ((*split)[1], "oslo");
  EXPECT_EQ(Values<float>(r->request.inputs[1]), (std::vector<float>{0.5, -1}));
}

TEST(TfPredictDecodeTest, ColumnarTakesValuesAsGiven) {
  auto r =
      DecodePredictRequest(R"({"inputs": {"city": [["a"], ["b"]], "x": [[1], [2]]}})", TwoInputs());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->format, PredictFormat::kColumnar);
  EXPECT_EQ(r->request.inputs[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(r->request.inputs[1].shape(), (Shape{2, 1}));
  auto single = DecodePredictRequest(R"({"inputs": 5})", OneInput(DataType::kInt32, {}));
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->request.inputs[0].shape(), Shape{});
  EXPECT_EQ(Values<int32_t>(single->request.inputs[0]), (std::vector<int32_t>{5}));
}

TEST(TfPredictDecodeTest, BareNonFiniteNumbers) {
  auto r = DecodePredictRequest(R"({"instances": [[NaN, Infinity, -Infinity, 1e3]]})",
                                OneInput(DataType::kFp64, {-1, 4}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto v = Values<double>(r->request.inputs[0]);
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], INFINITY);
  EXPECT_EQ(v[2], -INFINITY);
  EXPECT_EQ(v[3], 1000);
  // A string input still takes the string "NaN".
  auto s = DecodePredictRequest(R"({"instances": ["NaN"]})", OneInput(DataType::kBytes, {-1}));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(SplitBytesElements(s->request.inputs[0].bytes(), 1)->at(0), "NaN");
}

TEST(TfPredictDecodeTest, UnknownNamesGoToTheCore) {
  // The core reports unknown inputs; the decoder passes the name on.
  auto r = DecodePredictRequest(R"({"inputs": {"nope": [1]}})", OneInput(DataType::kFp32, {-1}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->request.inputs[0].name(), "nope");
}

TEST(TfPredictDecodeTest, BadBodiesAreInvalidArguments) {
  const auto fp32 = OneInput(DataType::kFp32, {-1, 2});
  const auto int32 = OneInput(DataType::kInt32, {-1});
  struct Case {
    const char* body;
    const ModelSignature* signature;
  };
  const auto two = TwoInputs();
  for (const Case& c : std::initializer_list<Case>{
           {"", &fp32},
           {"[1]", &fp32},
           {"{}", &fp32},
           {R"({"instances": [[1,2]], "inputs": [[1,2]]})", &fp32},
           {R"({"instances": []})", &fp32},
           {R"({"instances": 3})", &fp32},
           {R"({"instances": [[1,2],[3]]})", &fp32},
           {R"({"instances": [[1,2],[[3,4]]]})", &fp32},
           {R"({"inputs": [[1,2],[3]]})", &fp32},
           {R"({"instances": [["a","b"]]})", &fp32},
           {R"({"instances": [1.5]})", &int32},
           {R"({"instances": [NaN]})", &int32},
           {R"({"instances": [4294967296]})", &int32},
           {R"({"instances": [{"b64": "AAAA"}]})", &int32},
           {R"({"instances": [[1,2]], "signature_name": "other"})", &fp32},
           {R"({"instances": [[1,2]], "signature_name": 3})", &fp32},
           {R"({"instances": [[["a"]], [1]]})", &two},
           {R"({"instances": [{"city": ["a"], "x": [1]}, {"city": ["b"]}]})", &two},
           {R"({"instances": [{"city": ["a"], "x": [1]}, {"city": ["b"], "y": [1]}]})", &two},
           {R"({"instances": [{"city": ["a"], "x": [1]}, [1]]})", &two},
           {R"({"instances": [{"city": [{"b64": "!!"}], "x": [1]}]})", &two},
           {R"({"instances": [[1,2]], "x": NaNa})", &fp32},
       }) {
    auto r = DecodePredictRequest(c.body, *c.signature);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.body;
  }
}

TEST(TfPredictEncodeTest, RowFormatNestsPerRow) {
  const float y[4] = {0.5f, 3.0f, NAN, -INFINITY};
  InferResponse one;
  one.outputs.push_back(MakeTensor("y", DataType::kFp32, {2, 2}, y, sizeof(y)));
  EXPECT_EQ(*EncodePredictResponse(one, PredictFormat::kRow),
            R"({"predictions":[[0.5,3.0],[NaN,-Infinity]]})");
  EXPECT_EQ(*EncodePredictResponse(one, PredictFormat::kColumnar),
            R"({"outputs":[[0.5,3.0],[NaN,-Infinity]]})");

  InferResponse two;
  const int64_t label[2] = {1, 0};
  two.outputs.push_back(MakeTensor("label", DataType::kInt64, {2}, label, sizeof(label)));
  two.outputs.push_back(Strings("name", {2}, {"high", "low"}));
  EXPECT_EQ(*EncodePredictResponse(two, PredictFormat::kRow),
            R"({"predictions":[{"label":1,"name":"high"},{"label":0,"name":"low"}]})");
  EXPECT_EQ(*EncodePredictResponse(two, PredictFormat::kColumnar),
            R"({"outputs":{"label":[1,0],"name":["high","low"]}})");
}

TEST(TfPredictEncodeTest, BytesOutputsAsB64) {
  InferResponse r;
  r.outputs.push_back(Strings("image_bytes", {1}, {"fo"}));
  EXPECT_EQ(*EncodePredictResponse(r, PredictFormat::kRow), R"({"predictions":[{"b64":"Zm8="}]})");
  InferResponse invalid;
  invalid.outputs.push_back(Strings("text", {1}, {"\xff"}));
  EXPECT_EQ(*EncodePredictResponse(invalid, PredictFormat::kColumnar),
            R"({"outputs":[{"b64":"/w=="}]})");
}

TEST(TfPredictEncodeTest, RowFormatNeedsRowsThatAgree) {
  const float v = 1;
  InferResponse scalar;
  scalar.outputs.push_back(MakeTensor("s", DataType::kFp32, {}, &v, sizeof(v)));
  EXPECT_FALSE(EncodePredictResponse(scalar, PredictFormat::kRow).ok());
  EXPECT_EQ(*EncodePredictResponse(scalar, PredictFormat::kColumnar), R"({"outputs":1.0})");
  InferResponse ragged;
  const float a[2] = {1, 2};
  ragged.outputs.push_back(MakeTensor("a", DataType::kFp32, {2}, a, sizeof(a)));
  ragged.outputs.push_back(MakeTensor("b", DataType::kFp32, {1}, a, sizeof(float)));
  EXPECT_FALSE(EncodePredictResponse(ragged, PredictFormat::kRow).ok());
}

TEST(TfExamplesJsonTest, FeaturesKeepTheirOrderAndKind) {
  auto set = DecodeExamplesRequest(R"({
      "context": {"c": "ctx"},
      "examples": [{"b": 1, "a": [1.5, 2], "s": {"b64": "Zm8="}, "n": NaN, "t": true}]})");
  ASSERT_TRUE(set.ok()) << set.status().message();
  ASSERT_EQ(set->examples.size(), 1u);
  const Features& f = set->examples[0];
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[0].first, "b");
  EXPECT_EQ(f[0].second.kind, FeatureValue::Kind::kInt64);
  EXPECT_EQ(f[1].first, "a");
  EXPECT_EQ(f[1].second.kind, FeatureValue::Kind::kFloat);
  EXPECT_EQ(f[1].second.floats, (std::vector<float>{1.5, 2}));
  EXPECT_EQ(f[2].second.bytes, (std::vector<std::string>{"fo"}));
  EXPECT_TRUE(std::isnan(f[3].second.floats.at(0)));
  EXPECT_EQ(f[4].second.ints, (std::vector<int64_t>{1}));
  ASSERT_EQ(set->context.size(), 1u);
  EXPECT_EQ(set->context[0].second.bytes, (std::vector<std::string>{"ctx"}));
  for (const char* bad :
       {R"({})", R"({"examples": {}})", R"({"examples": [1]})",
        R"({"examples": [{"a": [1, "x"]}]})", R"({"examples": [{"a": null}]})",
        R"({"examples": [{"a": {"b64": "%"}}]})", R"({"examples": [], "context": []})"}) {
    EXPECT_FALSE(DecodeExamplesRequest(bad).ok()) << bad;
  }
}

TEST(TfExamplesJsonTest, Results) {
  EXPECT_EQ(EncodeClassifyResponse({{{"0", 0.25f}, {"1", 0.75f}}}),
            R"({"results":[[["0",0.25],["1",0.75]]]})");
  EXPECT_EQ(EncodeRegressResponse({1.5f, 2.0f}), R"({"results":[1.5,2.0]})");
}

}  // namespace
}  // namespace inferd::tfserving
