#include "backends/onnxruntime/onnx_graph_reader.h"

#include <gtest/gtest.h>

#include "backends/onnxruntime/proto_wire.h"

namespace inferd::ort {
namespace {

// Protobuf wire helpers to build a tiny ModelProto by hand.
using wire::Varint;
std::string Field(int number, const std::string& bytes) {
  return wire::Bytes(number, bytes);
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
  auto facts = ReadOnnxFactsFromBytes(model);
  ASSERT_TRUE(facts.ok()) << facts.status().ToString();
  const auto labels = facts->ZipMapLabels();
  EXPECT_EQ(labels.at("probs"), (std::vector<std::string>{"0", "7"}));
  EXPECT_EQ(labels.at("probs2"), (std::vector<std::string>{"low", "high"}));
  EXPECT_EQ(facts->ir_version, 8);
}

std::string Node(const std::string& op, std::vector<std::string> inputs,
                 std::vector<std::string> outputs, const std::string& attribute = "") {
  std::string node = Field(4, op);
  for (const auto& i : inputs) node += Field(1, i);
  for (const auto& o : outputs) node += Field(2, o);
  if (!attribute.empty()) node += Field(5, attribute);
  return Field(1, node);
}

TEST(OnnxGraphReaderTest, ReadsIrVersionAndOpsets) {
  const std::string opsets = Field(8, Field(1, "") + Varint(2 << 3) + Varint(26)) +
                             Field(8, Field(1, "ai.onnx.ml") + Varint(2 << 3) + Varint(5));
  const std::string model = Varint(1 << 3) + Varint(13) + opsets + Field(7, "");
  auto facts = ReadOnnxFactsFromBytes(model);
  ASSERT_TRUE(facts.ok()) << facts.status().ToString();
  EXPECT_EQ(facts->ir_version, 13);
  EXPECT_EQ(facts->opsets.at(""), 26);
  EXPECT_EQ(facts->opsets.at("ai.onnx.ml"), 5);
}

// skl2onnx without ZipMap: LinearClassifier -> Normalizer -> Cast -> output.
TEST(OnnxGraphReaderTest, TracesScoresBackToTheClassifier) {
  const std::string labels = Field(1, "classlabels_strings") + Field(9, "setosa") +
                             Field(9, "versicolor") + Field(9, "virginica");
  const std::string graph =
      Node("LinearClassifier", {"X"}, {"label", "scores"}, labels) +
      Node("Normalizer", {"scores"}, {"norm"}) + Node("Cast", {"norm"}, {"probabilities"}) +
      Node("MatMul", {"X", "W"}, {"other"}) + Node("Concat", {"X", "W"}, {"binary_probs"});
  auto facts = ReadOnnxFactsFromBytes(Field(7, graph));
  ASSERT_TRUE(facts.ok()) << facts.status().ToString();
  const std::vector<std::string> want = {"setosa", "versicolor", "virginica"};
  EXPECT_EQ(facts->ScoreLabels("probabilities", -1), want);
  EXPECT_EQ(facts->ScoreLabels("scores", -1), want);
  EXPECT_TRUE(facts->ScoreLabels("label", -1).empty());  // labels, not scores
  // Untraceable outputs: labelled only when named as scores and as wide as
  // the one classifier's classes.
  EXPECT_TRUE(facts->ScoreLabels("binary_probs", -1).empty());
  EXPECT_TRUE(facts->ScoreLabels("binary_probs", 2).empty());
  EXPECT_EQ(facts->ScoreLabels("binary_probs", 3), want);
  EXPECT_TRUE(facts->ScoreLabels("other", 3).empty());
}

TEST(OnnxGraphReaderTest, TwoClassifiersAreNotGuessedBetween) {
  const std::string a =
      Field(1, "classlabels_int64s") + Varint(8 << 3) + Varint(0) + Varint(8 << 3) + Varint(1);
  const std::string graph = Node("TreeEnsembleClassifier", {"X"}, {"l1", "p1"}, a) +
                            Node("SVMClassifier", {"X"}, {"l2", "p2"}, a) +
                            Node("Concat", {"p1", "p2"}, {"both_probs"});
  auto facts = ReadOnnxFactsFromBytes(Field(7, graph));
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->ScoreLabels("p2", 2), (std::vector<std::string>{"0", "1"}));
  EXPECT_TRUE(facts->ScoreLabels("both_probs", 2).empty());
}

TEST(OnnxGraphReaderTest, CyclesEnd) {
  const std::string graph = Node("Identity", {"b"}, {"a"}) + Node("Identity", {"a"}, {"b"});
  auto facts = ReadOnnxFactsFromBytes(Field(7, graph));
  ASSERT_TRUE(facts.ok());
  EXPECT_TRUE(facts->ScoreLabels("a", 2).empty());
}

TEST(OnnxGraphReaderTest, GarbageIsAnError) {
  EXPECT_FALSE(ReadOnnxFactsFromBytes("this is not an onnx model\xff\xff").ok());
  const std::string truncated = Field(7, Field(1, Field(4, "ZipMap"))).substr(0, 5);
  EXPECT_FALSE(ReadOnnxFactsFromBytes(truncated).ok());
}

}  // namespace
}  // namespace inferd::ort
