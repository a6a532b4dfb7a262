// The JSON tensor codec shared by every JSON protocol: tensor data from a JSON
// value (flat or nested arrays, or a bare scalar for one element) and tensor
// data to a flat JSON array, for every datatype.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/status.h"
#include "core/tensor.h"

namespace inferd::http {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                     rapidjson::CrtAllocator, rapidjson::kWriteNanAndInfFlag>;

// RapidJSON parse flags for request bodies: validate UTF-8, allow NaN/Infinity,
// keep full double precision.
inline constexpr unsigned kJsonParseFlags = rapidjson::kParseValidateEncodingFlag |
                                            rapidjson::kParseNanAndInfFlag |
                                            rapidjson::kParseFullPrecisionFlag;

// Fills `tensor` (whose name, dtype and shape are set) from `data`. The number
// of elements must equal the shape's; each element must fit the datatype.
Status DecodeJsonTensorData(const rapidjson::Value& data, Tensor& tensor);

// Writes the tensor's elements as one flat JSON array.
void WriteJsonTensorData(const Tensor& tensor, JsonWriter& writer);

// Parse error text for a body that failed to parse.
std::string JsonParseErrorMessage(const rapidjson::Document& doc);

}  // namespace inferd::http
