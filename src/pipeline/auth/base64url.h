// Base64url (RFC 4648 section 5) without padding, as JOSE uses it (RFC 7515
// section 2): the encoding of JWT segments and of JWK key parameters.
//
// Decoding is strict: it refuses '=' padding, characters outside the
// base64url alphabet (including whitespace and the '+' and '/' of plain
// base64), impossible lengths, and non-canonical trailing bits, so that each
// byte string has exactly one accepted encoding.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace inferd::auth {

// The unpadded base64url encoding of `bytes`.
std::string Base64UrlEncode(std::string_view bytes);

// The bytes that `text` encodes, or nullopt when `text` is not canonical
// unpadded base64url. The empty string decodes to the empty string.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace inferd::auth
