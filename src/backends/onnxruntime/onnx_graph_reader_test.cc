#include "backends/onnxruntime/onnx_graph_reader.h"

#include <gtest/gtest.h>

namespace inferd::ort {
namespace {

// Protobuf wire helpers to build a tiny ModelProto by hand.
std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}
std::string Field(int number, const std::string& bytes) {
  return Varint((static_cast<uint64_t>(number) << 3) | 2) + Varint(bytes.size()) + bytes;
}

std::string ZipMapNode(const std::string& output, const std::string& attribute) {
  return Field(2, output) + Field(4, "ZipMap") + Field(5, attribute);
}

TEST(OnnxGraphReaderTest, FindsIntAndStringLabels) {
  const std::string int_attr =
      Field(1, "classlabels_int64s") + Varint(8 << 3) + Varint(0) + Varint(8 << 3) + Varint(7);
  const std::string str_attr = Field(1, "classlabels_strings") + Field(9, "low") + Field(9, "high");
  const std::string weights = Field(5, std::string(1000, 'w'));  // an initializer to skip
  const std::string graph = weights + Field(1, Field(4, "Relu")) +
                            Field(1, ZipMapNode("probs", int_attr)) +
                            Field(1, ZipMapNode("probs2", str_attr));
  const std::string model = Varint(1 << 3) + Varint(8) + Field(7, graph);
  auto labels = ReadZipMapLabelsFromBytes(model);
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(labels->at("probs"), (std::vector<std::string>{"0", "7"}));
  EXPECT_EQ(labels->at("probs2"), (std::vector<std::string>{"low", "high"}));
}

TEST(OnnxGraphReaderTest, GarbageIsAnError) {
  EXPECT_FALSE(ReadZipMapLabelsFromBytes("this is not an onnx model\xff\xff").ok());
  const std::string truncated = Field(7, Field(1, Field(4, "ZipMap"))).substr(0, 5);
  EXPECT_FALSE(ReadZipMapLabelsFromBytes(truncated).ok());
}

}  // namespace
}  // namespace inferd::ort
