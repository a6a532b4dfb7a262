#include "frontends/kserve/kserve_repository_codec.h"

#include <gtest/gtest.h>

namespace inferd::kserve {
namespace {

TEST(KServeRepositoryCodec, EmptyBodiesAreNoObject) {
  for (const char* body : {"", "  \n"}) {
    auto parsed = ParseOptionalObject(body);
    ASSERT_TRUE(parsed.ok()) << body;
    EXPECT_FALSE(parsed->has_value());
  }
}

TEST(KServeRepositoryCodec, BodiesThatAreNotObjectsAreRejected) {
  for (const char* body : {"[]", "3", "{", "\"x\""}) {
    auto parsed = ParseOptionalObject(body);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << body;
  }
}

std::string Body(const char* json) {
  return json;  // simdjson's parser keeps the text; own it for the test's scope
}

TEST(KServeRepositoryCodec, ReadsTheConfigOverride) {
  const std::string text = Body(R"({"parameters": {"config": "{\"max_batch_size\": 4}"}})");
  auto body = ParseOptionalObject(text);
  ASSERT_TRUE(body.ok() && body->has_value());
  auto config = LoadConfigOverride(**body);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->value(), R"({"max_batch_size": 4})");
}

TEST(KServeRepositoryCodec, NoParametersMeansNoOverride) {
  const std::string text = Body(R"({})");
  auto body = ParseOptionalObject(text);
  ASSERT_TRUE(body.ok() && body->has_value());
  auto config = LoadConfigOverride(**body);
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->has_value());
}

TEST(KServeRepositoryCodec, RejectsBadParameters) {
  const std::pair<const char*, StatusCode> cases[] = {
      {R"({"parameters": 3})", StatusCode::kInvalidArgument},
      {R"({"parameters": {"config": 3}})", StatusCode::kInvalidArgument},
      {R"({"parameters": {"colour": "red"}})", StatusCode::kInvalidArgument},
      {R"({"parameters": {"file:1/model.onnx": "AAAA"}})", StatusCode::kUnsupported},
  };
  for (const auto& [json, code] : cases) {
    const std::string text = json;
    auto body = ParseOptionalObject(text);
    ASSERT_TRUE(body.ok() && body->has_value()) << json;
    EXPECT_EQ(LoadConfigOverride(**body).status().code(), code) << json;
  }
}

TEST(KServeRepositoryCodec, ReadsALabelsVersion) {
  for (const char* json : {R"({"version": 3})", R"({"version": "3"})"}) {
    const std::string text = json;
    auto body = ParseOptionalObject(text);
    ASSERT_TRUE(body.ok() && body->has_value());
    auto version = LabelVersion(**body);
    ASSERT_TRUE(version.ok()) << json;
    EXPECT_EQ(*version, 3);
  }
  for (const char* json : {R"({})", R"({"version": 0})", R"({"version": -2})",
                           R"({"version": "x"})", R"({"version": 1.5})", R"({"version": ""})"}) {
    const std::string text = json;
    auto body = ParseOptionalObject(text);
    ASSERT_TRUE(body.ok() && body->has_value());
    EXPECT_EQ(LabelVersion(**body).status().code(), StatusCode::kInvalidArgument) << json;
  }
}

}  // namespace
}  // namespace inferd::kserve
