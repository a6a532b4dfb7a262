// Base64 (RFC 4648, standard alphabet) for TF Serving's {"b64": ...} JSON
// values. Decoding takes the padding as optional, as TF Serving does.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace inferd::tfserving {

std::string Base64Encode(std::string_view bytes);
// The decoded bytes, or nothing for text that is not base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace inferd::tfserving
