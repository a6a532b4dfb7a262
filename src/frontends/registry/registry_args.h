// The arguments of a registry call, as MLflow's REST API sends them: a JSON
// object in the body (POST, PATCH, DELETE) or the query string (GET).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/registry/registry_store.h"
#include "core/status.h"
#include "frontends/http/http_types.h"

namespace inferd::registry {

// Registry text is stored and sent back as JSON strings: it must be UTF-8.
bool IsUtf8(std::string_view text);

class RegistryArgs {
 public:
  // INVALID_ARGUMENT when the body is not a JSON object.
  static StatusOr<RegistryArgs> Parse(const http::HttpRequest& request);
  ~RegistryArgs();
  RegistryArgs(RegistryArgs&&) noexcept;

  // A required string; INVALID_ARGUMENT when missing, empty or not a string.
  StatusOr<std::string> Required(std::string_view key) const;
  // An optional string ("" when absent).
  StatusOr<std::string> Optional(std::string_view key) const;
  // "version": a positive integer, as a string (MLflow) or a number.
  StatusOr<int64_t> Version() const;
  StatusOr<bool> Bool(std::string_view key, bool fallback) const;
  StatusOr<double> Number(std::string_view key) const;
  // "tags": [{"key": ..., "value": ...}]
  StatusOr<RegistryTags> Tags() const;
  // "metrics": [{"key": ..., "value": number}] (inferd's addition)
  StatusOr<std::map<std::string, double>> Metrics() const;
  // An array of strings, or the key repeated in the query.
  StatusOr<std::vector<std::string>> Strings(std::string_view key) const;

 private:
  struct Json;
  RegistryArgs() = default;
  std::unique_ptr<Json> json_;  // null for a query
  std::string query_;
};

}  // namespace inferd::registry
