// The JSON tensor codec shared by every JSON protocol: tensor data from a JSON
// value (flat or nested arrays, or a bare scalar for one element) and tensor
// data to a flat JSON array, for every datatype.
//
// Parsing uses simdjson: it validates UTF-8, rounds every number correctly and
// is fast; writing uses RapidJSON's Writer (shortest round-trip doubles).
#pragma once

#include <rapidjson/writer.h>
#include <simdjson.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "frontends/http/http_types.h"
#include "frontends/http/json_buffer.h"

namespace inferd::http {

using JsonWriter = rapidjson::Writer<JsonBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                     rapidjson::CrtAllocator, rapidjson::kWriteNanAndInfFlag>;

// Parses untrusted JSON text with this thread's parser. The element stays
// valid until the next ParseJson call on the same thread.
StatusOr<simdjson::dom::element> ParseJson(std::string_view text);

// An answer with `status` whose JSON body `write` produces (the admin APIs').
HttpResponse JsonAnswer(unsigned status, const std::function<void(JsonWriter&)>& write);

// Fills `tensor` (whose name, dtype and shape are set) from `data`. The number
// of elements must equal the shape's; each element must fit the datatype.
Status DecodeJsonTensorData(simdjson::dom::element data, Tensor& tensor);

// Leaf forms a protocol adds to plain JSON (TF Serving: NaN/Infinity markers,
// {"b64": ...} strings). An empty reader means the plain JSON form.
struct JsonLeafForms {
  // Reads a floating-point leaf; false when the leaf is not a number.
  std::function<bool(simdjson::dom::element, double&)> number;
  // Reads a BYTES leaf; false when the leaf is not a valid string.
  std::function<bool(simdjson::dom::element, std::string&)> bytes;
  const char* bytes_expected = "a string";
};

// Fills `tensor` from its leaves, already flattened in row-major order; their
// count must match the shape (the caller checks it).
Status DecodeJsonLeaves(const std::vector<simdjson::dom::element>& leaves, Tensor& tensor,
                        const JsonLeafForms& forms = {});

// Writes the tensor's elements as one flat JSON array.
void WriteJsonTensorData(const Tensor& tensor, JsonWriter& writer);

}  // namespace inferd::http
