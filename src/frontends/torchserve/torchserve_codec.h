// TorchServe inference API bodies: a prediction request into the model's
// input tensors, and the answer back into JSON.
//
// Request bodies (JSON, or multipart/form-data whose field "data" holds the
// JSON):
//   [[...], [...]]          rows          -> a list of answers
//   [...]                   one row       -> one answer
//   [{col: v}, ...]         named rows    -> a list of answers
//   {col: v, ...}           one named row -> one answer
//   {"data": <any of the above>}
//   {"instances": [row, ...]}              -> a list (scalars are rows of one value)
// Rows become tensors through the tabular codec (frontends/http/tabular_codec.h).
//
// Raw bodies, as TorchServe hands them to a handler, feed a model with one
// BYTES input: a text/plain, application/octet-stream, image/*, audio/* or
// video/* body is one element; each part of a multipart/form-data body is one
// element; with no Content-Type (`curl -T file`), a body that is not a JSON
// list or object is one element. Any other model reads text/plain and
// octet-stream bodies as JSON and refuses image, audio and video bodies.
//
// Answer per row: for a classifier (an output carrying class labels, as
// scikit-learn's ZipMap) a dict {label: probability} in class order, as
// TorchServe's classifier handlers answer; otherwise the model's first
// output's row (a scalar for [N] and [N, 1] outputs, a list for [N, K]).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/infer_request.h"
#include "core/model_signature.h"

namespace inferd::torchserve {

struct DecodedPrediction {
  std::vector<Tensor> inputs;
  bool single_row = false;  // answer one prediction, not a list
};

// Decodes a /predictions body; every error is InvalidArgument.
StatusOr<DecodedPrediction> DecodePredictionBody(std::string_view content_type,
                                                 std::string_view body,
                                                 const ModelSignature& signature);

// The JSON answer; an error only when the outputs are inconsistent.
StatusOr<std::string> EncodePredictionResponse(const InferResponse& response,
                                               const ModelSignature& signature, bool single_row);

}  // namespace inferd::torchserve
