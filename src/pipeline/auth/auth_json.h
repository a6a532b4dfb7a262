// JSON helpers shared by the JWKS parser and the JWT verifier: a parse that
// bounds nesting (RapidJSON builds and frees nested values recursively) and
// validates UTF-8, a duplicate-member check (RFC 7519 section 4 lets a parser
// reject duplicate claim names; accepting them would let two parsers disagree
// about which value counts), and member lookup by string_view.
//
// Thread-safety: pure functions; the caller owns each Document.
#pragma once

#include <rapidjson/document.h>

#include <string_view>

namespace inferd::auth {

// Parses `text` into `doc`. False when it is not well-formed UTF-8 JSON, nests
// deeper than `max_depth` arrays/objects, or is not an object whose member
// names are unique.
bool ParseJsonObject(std::string_view text, int max_depth, rapidjson::Document* doc);

// True when two members of the object `obj` share a name.
bool HasDuplicateMembers(const rapidjson::Value& obj);

// The member `key` of the object `obj`, or nullptr when absent.
const rapidjson::Value* FindMember(const rapidjson::Value& obj, std::string_view key);

// The string value `v` as a view (valid while the document lives).
inline std::string_view StringOf(const rapidjson::Value& v) {
  return std::string_view(v.GetString(), v.GetStringLength());
}

}  // namespace inferd::auth
