#include "frontends/kserve/kserve_infer_codec.h"

#include <gtest/gtest.h>

#include <cstring>

namespace inferd::kserve {
namespace {

// A body of JSON header + binary blobs, as tritonclient sends it.
struct Body {
  std::shared_ptr<std::string> bytes = std::make_shared<std::string>();
  int64_t header_length = -1;
};

Body WithBinary(const std::string& json, const std::string& blobs) {
  Body b;
  *b.bytes = json + blobs;
  b.header_length = static_cast<int64_t>(json.size());
  return b;
}

TEST(KServeInferCodecTest, DecodesJsonInputsAndOutputRequests) {
  auto body = std::make_shared<std::string>(
      R"({"id":"r1","parameters":{"binary_data_output":true},
          "inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[[1.0,2.0]]}],
          "outputs":[{"name":"y","parameters":{"binary_data":false}},{"name":"z"}]})");
  auto decoded = DecodeInferRequest(body, -1);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->request.id, "r1");
  ASSERT_EQ(decoded->request.inputs.size(), 1u);
  EXPECT_EQ(decoded->request.inputs[0].shape(), (Shape{1, 2}));
  EXPECT_EQ(decoded->request.requested_outputs, (std::vector<std::string>{"y", "z"}));
  EXPECT_FALSE(decoded->options.IsBinary("y"));
  EXPECT_TRUE(decoded->options.IsBinary("z"));
  EXPECT_TRUE(decoded->options.id_given);
}

TEST(KServeInferCodecTest, BinaryInputsBorrowTheBody) {
  const float values[2] = {3.5f, -1.0f};
  Body b = WithBinary(
      R"({"inputs":[{"name":"a","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}},
                    {"name":"s","datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":6}}]})",
      std::string(reinterpret_cast<const char*>(values), 8) + std::string("\x02\0\0\0hi", 6));
  auto decoded = DecodeInferRequest(b.bytes, b.header_length);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const Tensor& a = decoded->request.inputs[0];
  EXPECT_EQ(std::memcmp(a.data(), values, 8), 0);
  EXPECT_GE(a.data(), reinterpret_cast<const std::byte*>(b.bytes->data()));  // no copy
  EXPECT_EQ(decoded->request.inputs[1].byte_size(), 6u);
}

TEST(KServeInferCodecTest, BinarySizesThatDoNotAddUpAreErrors) {
  const std::string header =
      R"({"inputs":[{"name":"a","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}}]})";
  Body short_body = WithBinary(header, std::string(4, '\0'));
  EXPECT_FALSE(DecodeInferRequest(short_body.bytes, short_body.header_length).ok());
  Body long_body = WithBinary(header, std::string(12, '\0'));
  EXPECT_FALSE(DecodeInferRequest(long_body.bytes, long_body.header_length).ok());
  Body no_header = WithBinary(header, std::string(8, '\0'));
  EXPECT_FALSE(DecodeInferRequest(no_header.bytes, -1).ok());  // JSON parse fails on blobs
  Body past_end = WithBinary(header, std::string(8, '\0'));
  EXPECT_FALSE(DecodeInferRequest(past_end.bytes, 10'000).ok());
}

TEST(KServeInferCodecTest, MalformedRequestsAreErrors) {
  for (const char* json :
       {"", "{", "[]", R"({"inputs":{}})",
        R"({"inputs":[{"datatype":"FP32","shape":[1],"data":[1]}]})",
        R"({"inputs":[{"name":"x","datatype":"FLOAT","shape":[1],"data":[1]}]})",
        R"({"inputs":[{"name":"x","datatype":"FP32","shape":[-1],"data":[1]}]})",
        R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1.5],"data":[1]}]})",
        R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1]}]})", R"({"id":5,"inputs":[]})",
        R"({"inputs":[],"outputs":[{"nm":"y"}]})",
        "{\"inputs\":[{\"name\":\"\xff\xfe\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]"
        "}"}) {
    auto body = std::make_shared<std::string>(json);
    EXPECT_FALSE(DecodeInferRequest(body, -1).ok()) << json;
  }
}

TEST(KServeInferCodecTest, EncodesBinaryOutputsAfterTheJsonHeader) {
  InferResponse response;
  response.model_name = "m";
  response.model_version = 3;
  Tensor y("y", DataType::kInt32, {2});
  int32_t* p = reinterpret_cast<int32_t*>(y.Allocate(8));
  p[0] = 7;
  p[1] = -7;
  response.outputs.push_back(std::move(y));
  ResponseOptions options;
  options.binary_by_default = true;
  auto http = EncodeInferResponse(response, options);
  EXPECT_EQ(http.content_type, "application/octet-stream");
  ASSERT_EQ(http.headers.size(), 1u);
  const size_t json_size = std::stoul(http.headers[0].second);
  EXPECT_EQ(http.body.size(), json_size + 8);
  EXPECT_NE(http.body.substr(0, json_size).find("\"binary_data_size\":8"), std::string::npos);
  EXPECT_EQ(std::memcmp(http.body.data() + json_size, p, 8), 0);

  options.binary_by_default = false;
  auto json = EncodeInferResponse(response, options);
  EXPECT_EQ(
      json.body,
      R"({"model_name":"m","model_version":"3","outputs":[{"name":"y","datatype":"INT32","shape":[2],"data":[7,-7]}]})");
}

}  // namespace
}  // namespace inferd::kserve
