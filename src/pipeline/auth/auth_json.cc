#include "pipeline/auth/auth_json.h"

#include <algorithm>
#include <vector>

#include "core/json_nesting.h"

namespace inferd::auth {

bool ParseJsonObject(std::string_view text, int max_depth, rapidjson::Document* doc) {
  if (!JsonNestingWithin(text, max_depth)) return false;
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
