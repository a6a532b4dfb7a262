// Structured logging: a message plus key/value fields, rendered as a text line
// or one JSON object per line (--log-format). A line logged while requests
// are installed on the thread (observability/request_scope.h) carries their
// ids and trace. Thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inferd {

enum class LogFormat { kText, kJson };

struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v), quoted(true) {}
  LogField(std::string_view k, const char* v) : key(k), value(v), quoted(true) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v), quoted(true) {}
  template <typename N, typename = std::enable_if_t<std::is_arithmetic_v<N>>>
  LogField(std::string_view k, N v) : key(k), value(std::to_string(v)), quoted(false) {}
  std::string_view key;
  std::string value;
  bool quoted;
};

void InitLogging(LogFormat format, bool verbose = false);

void LogInfo(std::string_view message, std::initializer_list<LogField> fields = {});
void LogWarn(std::string_view message, std::initializer_list<LogField> fields = {});
void LogError(std::string_view message, std::initializer_list<LogField> fields = {});
void LogDebug(std::string_view message, std::initializer_list<LogField> fields = {});

// Escapes a string for inclusion inside JSON double quotes.
std::string JsonEscape(std::string_view in);

}  // namespace inferd
