// The seeds' simple JSON API (a FastAPI service): POST /predict bodies and
// answers.
//
// Request: {"features": [v, ...]}              one row
//          {"features": [[v, ...], ...]}       rows
//          {"features": {name: v, ...}}        one named row
//          {"features": [{name: v, ...}, ...]} named rows
//          optional "model": the model's name; other fields are ignored.
// Rows become tensors through the tabular codec (frontends/http/tabular_codec.h).
//
// Answer for one row: {"model", "version", "prediction", "probability"};
// for rows: {"model", "version", "predictions", "probabilities", "classes"}.
// For a classifier (an output carrying class labels) the prediction is the
// label (a number when the label output is INT64, else a string),
// "probability" the highest class probability, "probabilities" each row's
// class probabilities in "classes" order. For other models the prediction is
// the first output's row (a scalar for [N] and [N, 1]) and the probability
// fields are null.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/infer_request.h"
#include "core/model_signature.h"

namespace inferd::simple {

// A body that does not match the request schema: FastAPI answers 422 with
// {"detail": [{"type", "loc", "msg"}]}.
struct SchemaError {
  std::string type;
  std::vector<std::string> loc;
  std::string msg;
};
std::string EncodeSchemaError(const SchemaError& error);

struct PredictBody {
  std::string model;  // empty when the body names none
  simdjson::dom::element features;
  bool single_row = false;
};

// Parses and checks the body's schema. The result borrows this thread's JSON
// parser (see http::ParseJson): use it before the thread parses again.
std::optional<PredictBody> ParsePredictBody(std::string_view body, SchemaError& error);

// The model's input tensors from the features; errors are InvalidArgument.
StatusOr<std::vector<Tensor>> FeaturesToTensors(const PredictBody& body,
                                                const ModelSignature& signature);

StatusOr<std::string> EncodePredictResponse(const InferResponse& response,
                                            const ModelSignature& signature, bool single_row);

// "v2" -> "2": the seed's clients send versions with a "v" prefix.
std::string NormalizeVersion(std::string_view version);

}  // namespace inferd::simple
