// MLflow scoring server bodies (`mlflow models serve`'s /invocations): the
// request into the model's input tensors, and the answer back into JSON.
//
// Content types: application/json and text/csv (parameters such as charset
// are ignored); any other is unsupported (415).
// JSON: an object with exactly one of
//   "dataframe_split":   {"columns"?: [name...], "data": [[...], ...], "index"?: [...]}
//   "dataframe_records": [{name: value}, ...]
//   "instances":         [row, ...]  (rows as lists, objects, or single values)
//   "inputs":            {name: [value per row]} or [row, ...]
// and an optional "params" object (accepted and ignored).
// CSV: a header row of column names, then rows (frontends/http/csv_parser.h).
// Rows become tensors through the tabular codec (frontends/http/tabular_codec.h).
//
// Answer {"predictions": [...]}, one entry per row:
//  - a classifier with a label output (INT64 or BYTES, one per row) and a
//    class-probability output: the label, as scikit-learn's predict() gives;
//  - else a model with one output: that output's row (a scalar for [N] and
//    [N, 1], a list for [N, K]);
//  - else {output name: row value, ...}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/infer_request.h"
#include "core/model_signature.h"

namespace inferd::mlflow {

enum class ContentKind { kJson, kCsv, kUnsupported };
ContentKind ClassifyContentType(std::string_view content_type);

// Decodes an /invocations body; every error is InvalidArgument.
StatusOr<std::vector<Tensor>> DecodeInvocation(ContentKind kind, std::string_view body,
                                               const ModelSignature& signature);

// The outputs to ask the core for (empty: all of them).
std::vector<std::string> OutputsToRequest(const ModelSignature& signature);

// The {"predictions": ...} answer; an error only when the outputs are inconsistent.
StatusOr<std::string> EncodeInvocationResponse(const InferResponse& response,
                                               const ModelSignature& signature);

}  // namespace inferd::mlflow
