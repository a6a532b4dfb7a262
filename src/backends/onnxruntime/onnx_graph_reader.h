// Reads the few facts inferd needs from an ONNX file that ONNX Runtime's API
// does not expose: the IR version and operator sets the file declares, and the
// class labels of classifier nodes (scikit-learn's ZipMap and the ai.onnx.ml
// classifiers: LinearClassifier, TreeEnsembleClassifier, SVMClassifier, ...)
// with the graph's wiring around them. Streams the protobuf wire format and
// skips everything else (weights included) without reading it into memory.
//
// Stateless functions; safe to call from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace inferd::ort {

// One node of the top-level graph, as far as labels need it.
struct OnnxNode {
  std::string op_type;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  // classlabels_int64s (as decimal strings) or classlabels_strings; empty when
  // the node has neither.
  std::vector<std::string> class_labels;
};

struct OnnxFileFacts {
  int64_t ir_version = 0;
  // Operator set domain ("" is ai.onnx) -> version.
  std::map<std::string, int64_t> opsets;
  std::vector<OnnxNode> nodes;

  // Output name of each ZipMap node -> its class labels.
  std::map<std::string, std::vector<std::string>> ZipMapLabels() const;
  // The class labels of the classifier whose scores reach graph output
  // `output`: traced back through label-preserving nodes (Identity, Cast,
  // Normalizer, Softmax, ...) to a classifier's scores output; failing that,
  // for an output named like probabilities or scores, the labels of the
  // graph's only classifier when `columns` (the output's static last dim, -1
  // when unknown) equals their count. Empty when neither.
  std::vector<std::string> ScoreLabels(const std::string& output, int64_t columns) const;
};

StatusOr<OnnxFileFacts> ReadOnnxFacts(const std::filesystem::path& model_file);

// The same, from bytes already in memory (for tests and fuzzing).
StatusOr<OnnxFileFacts> ReadOnnxFactsFromBytes(std::string_view bytes);

}  // namespace inferd::ort
