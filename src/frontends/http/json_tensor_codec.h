// The JSON tensor codec shared by every JSON protocol: tensor data from a JSON
// value (flat or nested arrays, or a bare scalar for one element) and tensor
// data to a flat JSON array, for every datatype.
//
// Parsing uses simdjson: it validates UTF-8, rounds every number correctly and
// is fast; writing uses RapidJSON's Writer (shortest round-trip doubles).
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <string_view>

#include "core/status.h"
#include "core/tensor.h"

namespace inferd::http {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                     rapidjson::CrtAllocator, rapidjson::kWriteNanAndInfFlag>;

// Parses untrusted JSON text with this thread's parser. The element stays
// valid until the next ParseJson call on the same thread.
StatusOr<simdjson::dom::element> ParseJson(std::string_view text);

// Fills `tensor` (whose name, dtype and shape are set) from `data`. The number
// of elements must equal the shape's; each element must fit the datatype.
Status DecodeJsonTensorData(simdjson::dom::element data, Tensor& tensor);

// Writes the tensor's elements as one flat JSON array.
void WriteJsonTensorData(const Tensor& tensor, JsonWriter& writer);

}  // namespace inferd::http
