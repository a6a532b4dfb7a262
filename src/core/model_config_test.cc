#include "core/model_config.h"

#include <gtest/gtest.h>

namespace inferd {
namespace {

ModelSignature ClassifierSignature() {
  ModelSignature sig;
  sig.inputs.push_back({"float_input", DataType::kFp32, {-1, 30}, {}, ""});
  sig.outputs.push_back({"output_label", DataType::kInt64, {-1}, {}, ""});
  sig.outputs.push_back({"output_probability", DataType::kFp32, {-1, 2}, {"0", "1"}, ""});
  return sig;
}

ParsedModelConfig Parse(std::string_view text) {
  auto parsed = ParseModelConfigText(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? std::move(parsed).value() : ParsedModelConfig{};
}

TEST(ModelConfigTest, AutoCompletesEverythingFromTheModel) {
  ParsedModelConfig parsed;
  ASSERT_TRUE(CompleteModelConfig(ClassifierSignature(), "logreg", {}, parsed).ok());
  const auto& c = parsed.config;
  EXPECT_EQ(c.name(), "logreg");
  EXPECT_EQ(c.platform(), "onnxruntime_onnx");
  EXPECT_EQ(c.max_batch_size(), AutoCompleteOptions{}.default_max_batch_size);
  ASSERT_EQ(c.input_size(), 1);
  EXPECT_EQ(c.input(0).data_type(), inference::TYPE_FP32);
  ASSERT_EQ(c.input(0).dims_size(), 1);
  EXPECT_EQ(c.input(0).dims(0), 30);
  ASSERT_EQ(c.output_size(), 2);
  EXPECT_EQ(c.output(0).dims_size(), 0);  // [-1] without its batch dim
  EXPECT_EQ(c.version_policy().latest().num_versions(), 1u);
  ASSERT_EQ(c.instance_group_size(), 1);
  EXPECT_EQ(c.instance_group(0).count(), 1);
  EXPECT_EQ(c.instance_group(0).kind(), inference::ModelInstanceGroup::KIND_CPU);
}

TEST(ModelConfigTest, FixedFirstDimMeansNoBatching) {
  ModelSignature sig;
  sig.inputs.push_back({"image", DataType::kFp32, {1, 3, 224, 224}, {}, ""});
  sig.outputs.push_back({"logits", DataType::kFp32, {1, 1000}, {}, ""});
  ParsedModelConfig parsed;
  ASSERT_TRUE(CompleteModelConfig(sig, "cnn", {}, parsed).ok());
  EXPECT_EQ(parsed.config.max_batch_size(), 0);
  EXPECT_EQ(parsed.config.input(0).dims_size(), 4);
}

TEST(ModelConfigTest, DifferentlyNamedFirstDimsMeanNoBatching) {
  ModelSignature sig;
  sig.inputs.push_back({"x", DataType::kFp32, {-1, 4}, {}, "N"});
  sig.inputs.push_back({"indices", DataType::kInt64, {-1}, {}, "M"});
  sig.outputs.push_back({"y", DataType::kFp32, {-1, -1}, {}, "N"});
  ParsedModelConfig parsed;
  ASSERT_TRUE(CompleteModelConfig(sig, "gather", {}, parsed).ok());
  EXPECT_EQ(parsed.config.max_batch_size(), 0);
}

TEST(ModelConfigTest, AutoCompletedBatchSizeComesWithDynamicBatching) {
  ParsedModelConfig parsed;
  AutoCompleteOptions options;
  options.default_instance_count = 3;
  ASSERT_TRUE(CompleteModelConfig(ClassifierSignature(), "logreg", options, parsed).ok());
  EXPECT_GT(parsed.config.max_batch_size(), 0);
  EXPECT_TRUE(parsed.config.has_dynamic_batching());
  EXPECT_EQ(parsed.config.instance_group(0).count(), 3);

  // A config that sets max_batch_size chooses its scheduler itself.
  auto explicit_size = Parse("max_batch_size: 8");
  ASSERT_TRUE(CompleteModelConfig(ClassifierSignature(), "logreg", {}, explicit_size).ok());
  EXPECT_FALSE(explicit_size.config.has_dynamic_batching());
}

TEST(ModelConfigTest, DynamicBatchingSettingsThatCannotHoldAreErrors) {
  for (const char* text : {
           "max_batch_size: 8 dynamic_batching { preferred_batch_size: [ 16 ] }",
           "max_batch_size: 8 dynamic_batching { preferred_batch_size: [ 0 ] }",
           "max_batch_size: 8 dynamic_batching { priority_levels: 2 default_priority_level: 3 }",
           "max_batch_size: 8 dynamic_batching { default_priority_level: 1 }",
           "max_batch_size: 8 dynamic_batching { default_queue_policy { timeout_action: DELAY } }",
       }) {
    auto parsed = Parse(text);
    EXPECT_FALSE(CompleteModelConfig(ClassifierSignature(), "logreg", {}, parsed).ok()) << text;
  }
}

TEST(ModelConfigTest, ParsesTritonTextAndWarnsOnUnknownFields) {
  auto parsed = Parse(R"(
    name: "logreg"
    platform: "onnxruntime_onnx"
    max_batch_size: 8
    input [ { name: "float_input" data_type: TYPE_FP32 dims: [ 30 ] } ]
    output [ { name: "output_probability" data_type: TYPE_FP32 dims: [ 2 ] } ]
    instance_group [ { count: 2 kind: KIND_CPU } ]
    version_policy: { all { } }
    optimization { execution_accelerators { cpu_execution_accelerator: [ { name: "openvino" } ] } }
    model_warmup [ { name: "w" batch_size: 1 } ]
  )");
  EXPECT_TRUE(parsed.max_batch_size_set);
  // The CPU accelerators are Triton's and not inferd's; model_warmup is known.
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_NE(parsed.warnings[0].find("optimization.execution_accelerators"), std::string::npos)
      << parsed.warnings[0];
  EXPECT_EQ(parsed.config.model_warmup(0).batch_size(), 1u);
  ASSERT_TRUE(CompleteModelConfig(ClassifierSignature(), "logreg", {}, parsed).ok());
  EXPECT_EQ(parsed.config.max_batch_size(), 8);
  EXPECT_EQ(parsed.config.output_size(), 1);  // a config may serve a subset of outputs
  EXPECT_EQ(parsed.config.instance_group(0).count(), 2);
  EXPECT_TRUE(parsed.config.version_policy().has_all());
}

TEST(ModelConfigTest, ExplicitZeroMaxBatchSizeIsKept) {
  auto parsed = Parse("max_batch_size: 0");
  EXPECT_TRUE(parsed.max_batch_size_set);
  ASSERT_TRUE(CompleteModelConfig(ClassifierSignature(), "logreg", {}, parsed).ok());
  EXPECT_EQ(parsed.config.max_batch_size(), 0);
  EXPECT_EQ(parsed.config.input(0).dims_size(), 2);  // full shape [-1, 30]
}

TEST(ModelConfigTest, SyntaxErrorsNameTheLine) {
  auto parsed = ParseModelConfigText("name: \"x\"\nmax_batch_size: \"eight\"\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("config.pbtxt:2"), std::string::npos)
      << parsed.status().message();
}

struct Contradiction {
  const char* name;
  const char* text;
  const char* reason;
};

void PrintTo(const Contradiction& c, std::ostream* os) {
  *os << c.name;
}

class ContradictionTest : public ::testing::TestWithParam<Contradiction> {};

TEST_P(ContradictionTest, IsRejectedWithItsReason) {
  auto parsed = Parse(GetParam().text);
  Status s = CompleteModelConfig(ClassifierSignature(), "logreg", {}, parsed);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(GetParam().reason), std::string::npos) << s.message();
}

INSTANTIATE_TEST_SUITE_P(
    Configs, ContradictionTest,
    ::testing::Values(
        Contradiction{"Name", "name: \"other\"", "does not match the model directory"},
        Contradiction{"Platform", "platform: \"tensorflow_savedmodel\"", "not supported"},
        Contradiction{"UnknownInput",
                      "input [ { name: \"nope\" data_type: TYPE_FP32 dims: [30] } ]",
                      "not in the model"},
        Contradiction{"DataType",
                      "input [ { name: \"float_input\" data_type: TYPE_INT32 dims: [30] } ]",
                      "data_type TYPE_INT32"},
        Contradiction{"Dim", "input [ { name: \"float_input\" data_type: TYPE_FP32 dims: [31] } ]",
                      "dim 0 is 31"},
        Contradiction{"Rank", "input [ { name: \"float_input\" dims: [30, 1] } ]", "has 2 dims"},
        Contradiction{"NegativeBatch", "max_batch_size: -1", "must not be negative"},
        Contradiction{"Gpu", "instance_group [ { kind: KIND_GPU } ]", "KIND_GPU"},
        Contradiction{"NoVersions", "version_policy: { latest { num_versions: 0 } }",
                      "num_versions"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ModelConfigTest, JsonRendersInt64AsNumbers) {
  ParsedModelConfig parsed;
  ASSERT_TRUE(CompleteModelConfig(ClassifierSignature(), "logreg", {}, parsed).ok());
  const std::string json = ModelConfigToJson(parsed.config);
  EXPECT_NE(json.find("\"dims\":[30]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"max_batch_size\":65536"), std::string::npos) << json;
}

}  // namespace
}  // namespace inferd

namespace inferd {
namespace {

TEST(ModelConfigTest, UnknownFieldsAtAnyDepthAndInAnySyntaxAreSkipped) {
  auto parsed = ParseModelConfigText(R"(
    # a comment
    backend: "onnxruntime"
    model_transaction_policy [ { decoupled: false } ]
    dynamic_batching { preferred_batch_size: [ 4, 8 ] future_knob: "a" "b" }
    input [ { name: "float_input", data_type: TYPE_FP32, dims: [ 30 ], some_flag: true } ]
    response_cache < enable: true >
    model_repository_agents: { agents [ { name: "checksum" } ] }
  )");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->warnings.size(), 5u);
  EXPECT_NE(parsed->warnings[0].find("'model_transaction_policy'"), std::string::npos)
      << parsed->warnings[0];
  EXPECT_NE(parsed->warnings[1].find("'dynamic_batching.future_knob'"), std::string::npos);
  EXPECT_NE(parsed->warnings[2].find("'input.some_flag'"), std::string::npos);
  EXPECT_EQ(parsed->config.dynamic_batching().preferred_batch_size_size(), 2);
  EXPECT_EQ(parsed->config.input(0).dims(0), 30);
}

TEST(ModelConfigTest, UnknownEnumValueIsAnError) {
  EXPECT_FALSE(ParseModelConfigText("instance_group [ { kind: KIND_TPU } ]").ok());
  EXPECT_FALSE(ParseModelConfigText("input [ { name: \"x\" ").ok());
}

}  // namespace
}  // namespace inferd

namespace inferd {
namespace {

// Found by fuzz_model_config: a backslash at the very end of the text.
TEST(ModelConfigTest, TruncatedEscapeIsAnErrorNotAnOverread) {
  EXPECT_FALSE(ParseModelConfigText("unknown_field: \"abc\\").ok());
  EXPECT_FALSE(ParseModelConfigText("name: \"abc\\").ok());
}

}  // namespace
}  // namespace inferd

TEST(ModelConfigTest, DeeplyNestedJsonOverridesAreRefusedNotRecursedInto) {
  // Found by fuzz_repository_body: 8,000 nested arrays overflowed the stack.
  const std::string deep = "{\"a\": " + std::string(8000, '[') + std::string(8000, ']') + "}";
  auto parsed = inferd::ParseModelConfigJson(deep);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("deeper than 100 levels"), std::string::npos);
  EXPECT_TRUE(inferd::ParseModelConfigJson(R"({"max_batch_size": 8})").ok());
}
