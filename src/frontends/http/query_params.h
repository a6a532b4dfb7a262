// Reads an URL query string ("a=1&b=x%20y"): values are percent-decoded and
// '+' reads as a space, as HTML forms and Python's requests send them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace inferd::http {

// The first value of `key`; nullopt when absent or malformed (a bad escape).
std::optional<std::string> QueryParam(std::string_view query, std::string_view key);
// Every value of `key`, in order (repeated keys: "stages=a&stages=b").
std::vector<std::string> QueryParams(std::string_view query, std::string_view key);

}  // namespace inferd::http
