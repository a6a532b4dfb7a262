// TF Serving's Classify and Regress for models that have no TensorFlow
// classification or regression signature: how tf.Example features become
// model inputs, and which model output answers. Shared by the REST
// (:classify, :regress) and gRPC (Classify, Regress) translators.
//
// Features to inputs, for each example with the context's features added
// (the example's own feature wins on a clash):
//   1. By name: when every model input is a feature, each input is built from
//      its feature, one row per example. A feature fills the input's dims
//      after the batch dim (one -1 among them is inferred). Other features
//      are ignored.
//   2. By column: otherwise, a model with exactly one input of shape [N, F]
//      (or [N]) gets each example's feature values, concatenated in the
//      order of the first example's features, as its row: one feature per
//      column, or one feature holding all F values. Every example must have
//      the same features with the same number of values. REST keeps the
//      JSON key order; gRPC's Features is a protobuf map, which has no order,
//      so the gRPC translator sorts keys numeric-aware ("x2" before "x10").
// float_list and int64_list feed floating inputs, int64_list feeds integer
// and bool inputs, bytes_list feeds string inputs.
//
// The answer:
//   Classify: the first output with class labels (a scikit-learn ZipMap
//     probability output); else the one floating output of shape [N, C]
//     (C not 1), labelled "0".."C-1". Each example gets (label, score) for
//     every class.
//   Regress: the one floating output of shape [N] or [N, 1].
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/infer_request.h"
#include "core/model_signature.h"

namespace inferd::tfserving {

struct FeatureValue {
  enum class Kind { kFloat, kInt64, kBytes };
  Kind kind = Kind::kFloat;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> bytes;

  size_t size() const;
};

// Features in the order the client gave them.
using Features = std::vector<std::pair<std::string, FeatureValue>>;

struct ExampleSet {
  std::vector<Features> examples;
  Features context;
};

// Sorts features by key, numeric-aware ("x2" before "x10").
void SortFeaturesNaturally(Features& features);

// The inputs of an InferRequest for the examples (model name and version are
// left for the caller).
StatusOr<InferRequest> ExamplesToRequest(const ExampleSet& set, const ModelSignature& signature);

struct ClassifyOutput {
  std::string name;
  std::vector<std::string> labels;  // empty: "0".."C-1"
};
StatusOr<ClassifyOutput> PickClassifyOutput(const ModelSignature& signature);
StatusOr<std::string> PickRegressOutput(const ModelSignature& signature);

using Classes = std::vector<std::pair<std::string, float>>;
// One list of (label, score) per example, from the response to a request
// made by ExamplesToRequest with only `pick.name` requested.
StatusOr<std::vector<Classes>> ClassificationsFrom(const InferResponse& response,
                                                   const ClassifyOutput& pick, size_t examples);
StatusOr<std::vector<float>> RegressionsFrom(const InferResponse& response, size_t examples);

}  // namespace inferd::tfserving
