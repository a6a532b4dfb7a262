// Helpers for the tabular frontends' unit tests: the signatures of the
// example scikit-learn models and hand-made responses.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "core/infer_request.h"
#include "core/model_signature.h"

namespace inferd::http::testing {

inline TensorSpec Spec(std::string name, DataType dtype, Shape shape,
                       std::vector<std::string> labels = {}) {
  TensorSpec s;
  s.name = std::move(name);
  s.dtype = dtype;
  s.shape = std::move(shape);
  s.class_labels = std::move(labels);
  return s;
}

// Like the random_forest example: FP32 [N, 4] in; INT64 labels and ZipMap
// probabilities out.
inline ModelSignature Classifier() {
  ModelSignature sig;
  sig.inputs = {Spec("float_input", DataType::kFp32, {-1, 4})};
  sig.outputs = {Spec("output_label", DataType::kInt64, {-1}),
                 Spec("output_probability", DataType::kFp32, {-1, 3}, {"0", "1", "2"})};
  return sig;
}

// Like the gbr example: FP32 [N, 3] in, FP32 [N, 1] out.
inline ModelSignature Regressor() {
  ModelSignature sig;
  sig.inputs = {Spec("float_input", DataType::kFp32, {-1, 3})};
  sig.outputs = {Spec("variable", DataType::kFp32, {-1, 1})};
  return sig;
}

// Like the string_pipeline example: string and float [N, 1] inputs, string labels.
inline ModelSignature StringClassifier() {
  ModelSignature sig;
  sig.inputs = {Spec("city", DataType::kBytes, {-1, 1}), Spec("x", DataType::kFp32, {-1, 1})};
  sig.outputs = {Spec("output_label", DataType::kBytes, {-1}),
                 Spec("output_probability", DataType::kFp32, {-1, 2}, {"high", "low"})};
  return sig;
}

template <typename T>
Tensor MakeTensor(std::string name, DataType dtype, Shape shape, std::vector<T> values) {
  Tensor t(std::move(name), dtype, std::move(shape));
  std::memcpy(t.Allocate(values.size() * sizeof(T)), values.data(), values.size() * sizeof(T));
  return t;
}

inline Tensor MakeStrings(std::string name, std::vector<std::string> values) {
  Tensor t(std::move(name), DataType::kBytes, {static_cast<int64_t>(values.size())});
  std::vector<std::byte> buffer;
  for (const auto& v : values) AppendBytesElement(buffer, v);
  t.Adopt(std::move(buffer));
  return t;
}

// Two rows of the Classifier() outputs.
inline InferResponse ClassifierResponse() {
  InferResponse r;
  r.model_name = "random_forest";
  r.model_version = 1;
  r.outputs.push_back(MakeTensor<int64_t>("output_label", DataType::kInt64, {2}, {0, 2}));
  r.outputs.push_back(MakeTensor<float>("output_probability", DataType::kFp32, {2, 3},
                                        {1.0f, 0, 0, 0, 0.25f, 0.75f}));
  return r;
}

inline InferResponse RegressorResponse() {
  InferResponse r;
  r.model_name = "gbr";
  r.model_version = 1;
  r.outputs.push_back(MakeTensor<float>("variable", DataType::kFp32, {2, 1}, {150.5f, 80}));
  return r;
}

}  // namespace inferd::http::testing
