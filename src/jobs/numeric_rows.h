// The common batch job input, read fast: JSONL rows that are arrays of plain
// numbers, for a model whose one input is FP32 or FP64 of shape [-1, width].
// The rows go straight into the request's tensor: no JSON document, no table,
// no string per cell. The values are the ones the general path
// (http::TableToTensors on the parsed rows) makes, bit for bit; anything else
// (objects, strings, nested arrays, a wrong width, numbers the general path
// might read otherwise) is left to that path.
//
// Thread-safe (pure function).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "core/model_signature.h"
#include "core/tensor.h"

namespace inferd::jobs {

// The rows as the model's one input; nullopt when the fast path does not apply.
std::optional<Tensor> NumericJsonlRows(const ModelSignature& signature,
                                       std::span<const std::string_view> rows);

}  // namespace inferd::jobs
