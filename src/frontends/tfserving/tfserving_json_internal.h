// Helpers shared by the TF Serving REST body codecs (not a public API).
#pragma once

#include <string>
#include <string_view>

#include "frontends/http/json_tensor_codec.h"
#include "frontends/tfserving/tf_json_nonfinite.h"

namespace inferd::tfserving::internal {

// A parsed TF REST body. `root` is valid until the next ParseJson on this
// thread; `nonfinite` says whether marker strings stand for NaN/Infinity.
struct ParsedBody {
  simdjson::dom::object root;
  bool nonfinite = false;
};

// Runs the NaN/Infinity pre-pass, parses, requires an object and checks
// "signature_name".
StatusOr<ParsedBody> ParseBody(std::string_view body);

// {"b64": "<string>"}: exactly one key.
bool IsB64Object(simdjson::dom::element value);

// The number a leaf stands for: any JSON number, or a NaN/Infinity marker.
bool LeafAsDouble(simdjson::dom::element leaf, bool nonfinite, double& out);

// Shortest round-trip form, always with a '.' or exponent; NaN, Infinity.
void WriteFloat(http::JsonWriter& w, float value);

}  // namespace inferd::tfserving::internal
