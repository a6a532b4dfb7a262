#include "pipeline/auth/auth_json.h"

#include <algorithm>
#include <vector>

namespace inferd::auth {
namespace {

// Counts bracket nesting outside strings. Malformed text may confuse the count
// but then the parser refuses it anyway; this only bounds the depth.
bool NestingWithin(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace

bool ParseJsonObject(std::string_view text, int max_depth, rapidjson::Document* doc) {
  if (!NestingWithin(text, max_depth)) return false;
  doc->Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(),
                                                                                     text.size());
  return !doc->HasParseError() && doc->IsObject() && !HasDuplicateMembers(*doc);
}

bool HasDuplicateMembers(const rapidjson::Value& obj) {
  std::vector<std::string_view> names;
  names.reserve(obj.MemberCount());
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it)
    names.push_back(StringOf(it->name));
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) != names.end();
}

const rapidjson::Value* FindMember(const rapidjson::Value& obj, std::string_view key) {
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    if (StringOf(it->name) == key) return &it->value;
  }
  return nullptr;
}

}  // namespace inferd::auth
