// Model signatures the tabular fuzz targets decode against, chosen by a byte
// of the input: the example classifiers and regressor, a model with one
// input of every datatype, and one 3-D input.
#pragma once

#include <cstdint>

#include "frontends/http/tabular_test_util.h"

namespace inferd::fuzz {

inline ModelSignature AllTypes() {
  using http::testing::Spec;
  ModelSignature sig;
  const DataType types[] = {
      DataType::kBool, DataType::kUint8, DataType::kUint16, DataType::kUint32, DataType::kUint64,
      DataType::kInt8, DataType::kInt16, DataType::kInt32,  DataType::kInt64,  DataType::kFp16,
      DataType::kBf16, DataType::kFp32,  DataType::kFp64,   DataType::kBytes};
  int i = 0;
  for (DataType t : types) {
    sig.inputs.push_back(Spec(std::string(1, static_cast<char>('a' + i)), t,
                              i % 2 == 0 ? Shape{-1} : Shape{-1, -1}));
    sig.outputs.push_back(sig.inputs.back());
    ++i;
  }
  return sig;
}

inline ModelSignature PickSignature(uint8_t byte) {
  using http::testing::Spec;
  switch (byte % 5) {
    case 0:
      return http::testing::Classifier();
    case 1:
      return http::testing::Regressor();
    case 2:
      return http::testing::StringClassifier();
    case 3:
      return AllTypes();
    default: {
      ModelSignature sig;
      sig.inputs = {Spec("image", DataType::kFp32, {-1, 2, -1, 3})};
      sig.outputs = {Spec("y", DataType::kFp32, {-1, 2})};
      return sig;
    }
  }
}

// The decoded inputs as a response, for encoders that read a response by
// signature: every consistent tensor comes back as an "output".
inline InferResponse EchoResponse(const std::vector<Tensor>& inputs) {
  InferResponse response;
  response.model_name = "m";
  response.model_version = 1;
  for (const Tensor& t : inputs) response.outputs.push_back(t);
  return response;
}

}  // namespace inferd::fuzz
