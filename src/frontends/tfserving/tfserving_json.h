// TF Serving's REST bodies <-> core requests and responses.
//
// Predict, row format: {"instances": [v, ...]} where each instance is the
// value of the model's one input, or {name: value, ...} for named inputs;
// instances stack along a new leading (batch) dim, and each named input must
// have the same shape in every instance. Answer {"predictions": [row, ...]}:
// one output gives its rows, several give {name: row} per row (so every
// output needs the same dim 0).
// Predict, columnar format: {"inputs": v | {name: v}}, taken as given (no
// dim is added). Answer {"outputs": v | {name: v}}.
// Values: nested arrays of numbers, bools or strings; {"b64": "..."} for a
// string input; bare NaN, Infinity, -Infinity (see tf_json_nonfinite.h).
// String outputs whose name ends in "_bytes" (and, so the answer stays valid
// JSON, any string output that is not UTF-8) come back as {"b64": "..."}.
// "signature_name" may only be "serving_default" (inferd models have one
// signature).
//
// The model's signature gives each input its datatype, which the JSON does
// not carry. Input names, dtypes and shapes are checked by the core.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/infer_request.h"
#include "core/model_signature.h"
#include "frontends/tfserving/tf_examples.h"

namespace inferd::tfserving {

inline constexpr std::string_view kDefaultSignature = "serving_default";

enum class PredictFormat { kRow, kColumnar };

struct TfPredictRequest {
  InferRequest request;  // inputs only
  PredictFormat format = PredictFormat::kRow;
};

StatusOr<TfPredictRequest> DecodePredictRequest(std::string_view body,
                                                const ModelSignature& signature);
// An error when the outputs cannot take the row format (a rank-0 output, or
// outputs whose dim 0 differ).
StatusOr<std::string> EncodePredictResponse(const InferResponse& response, PredictFormat format);

// :classify and :regress: {"signature_name"?, "context"?: {feature: value},
// "examples": [{feature: value}, ...]}. A value is a number, a string, a
// {"b64": ...} or a list of one kind of these (nested lists are flattened):
// integers make an int64_list, any non-integer a float_list, strings a
// bytes_list; true and false are 1 and 0.
StatusOr<ExampleSet> DecodeExamplesRequest(std::string_view body);
// {"results": [[[label, score], ...], ...]}
std::string EncodeClassifyResponse(const std::vector<Classes>& results);
// {"results": [value, ...]}
std::string EncodeRegressResponse(const std::vector<float>& results);

}  // namespace inferd::tfserving
