#include "observability/log.h"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "observability/request_scope.h"

namespace inferd {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};

std::shared_ptr<spdlog::logger> Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_logger_mt("inferd");
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    return l;
  }();
  return logger;
}

// The fields of the requests installed on this thread (a batch's ids are
// joined with commas: "request_id=a,b").
std::vector<std::pair<std::string, std::string>> RequestFields() {
  std::vector<std::pair<std::string, std::string>> joined;
  for (const auto& request : CurrentRequests()) {
    for (auto& field : request->LogFields()) {
      auto it = std::find_if(joined.begin(), joined.end(),
                             [&](const auto& seen) { return seen.first == field.first; });
      if (it == joined.end()) {
        joined.push_back(std::move(field));
      } else {
        it->second += ',';
        it->second += field.second;
      }
    }
  }
  return joined;
}

std::string Render(std::string_view message, std::initializer_list<LogField> given) {
  std::vector<LogField> fields(given);
  const auto request_fields = RequestFields();
  for (const auto& field : request_fields) {
    // A field the line names itself (the audit's request_id) is not repeated.
    const std::string& key = field.first;
    if (std::none_of(given.begin(), given.end(), [&](const LogField& f) { return f.key == key; })) {
      fields.emplace_back(key, field.second);
    }
  }
  std::string out;
  if (g_format.load() == LogFormat::kJson) {
    out += "\"msg\":\"";
    out += JsonEscape(message);
    out += '"';
    for (const auto& f : fields) {
      out += ",\"";
      out += JsonEscape(f.key);
      out += "\":";
      if (f.quoted) out += '"';
      out += f.quoted ? JsonEscape(f.value) : f.value;
      if (f.quoted) out += '"';
    }
  } else {
    out.append(message);
    for (const auto& f : fields) {
      out += ' ';
      out.append(f.key);
      out += '=';
      const bool plain = !f.value.empty() && f.value.find_first_of(" \"=") == std::string::npos;
      if (plain) {
        out += f.value;
      } else {
        out += '"';
        out += JsonEscape(f.value);
        out += '"';
      }
    }
  }
  return out;
}

void Emit(spdlog::level::level_enum level, std::string_view message,
          std::initializer_list<LogField> fields) {
  auto logger = Logger();
  if (!logger->should_log(level)) return;
  logger->log(level, "{}", Render(message, fields));
}

// protobuf reports problems (invalid UTF-8 in a string field, ...) through
// its own log, which would print plain lines among the JSON ones.
void LogFromProtobuf(google::protobuf::LogLevel level, const char* filename, int line,
                     const std::string& message) {
  const std::string at = std::string(filename) + ":" + std::to_string(line);
  const std::initializer_list<LogField> fields = {{"source", "protobuf"}, {"at", at}};
  if (level >= google::protobuf::LOGLEVEL_ERROR) {
    Emit(spdlog::level::err, message, fields);
  } else {
    Emit(spdlog::level::warn, message, fields);
  }
}

}  // namespace

void InitLogging(LogFormat format, bool verbose) {
  g_format.store(format);
  google::protobuf::SetLogHandler(LogFromProtobuf);
  auto logger = Logger();
  if (format == LogFormat::kJson) {
    logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::info);
}

void LogInfo(std::string_view m, std::initializer_list<LogField> f) {
  Emit(spdlog::level::info, m, f);
}
void LogWarn(std::string_view m, std::initializer_list<LogField> f) {
  Emit(spdlog::level::warn, m, f);
}
void LogError(std::string_view m, std::initializer_list<LogField> f) {
  Emit(spdlog::level::err, m, f);
}
void LogDebug(std::string_view m, std::initializer_list<LogField> f) {
  Emit(spdlog::level::debug, m, f);
}

namespace {

// Length of the well-formed UTF-8 sequence at in[i] (RFC 3629: no overlong
// forms, no surrogates, nothing past U+10FFFF), or 0 when it is not one.
size_t Utf8SequenceLength(std::string_view in, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(in[k]); };
  const auto continuation = [&](size_t k) { return k < in.size() && (byte(k) & 0xC0) == 0x80; };
  const unsigned char c = byte(i);
  if (c >= 0xC2 && c <= 0xDF) return continuation(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!continuation(i + 1) || !continuation(i + 2)) return 0;
    const unsigned char c1 = byte(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!continuation(i + 1) || !continuation(i + 2) || !continuation(i + 3)) return 0;
    const unsigned char c1 = byte(i + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 > 0x8F) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

std::string JsonEscape(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 2);
  for (size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else if (c < 0x80) {
          out += static_cast<char>(c);
        } else if (const size_t n = Utf8SequenceLength(in, i); n > 0) {
          out.append(in.substr(i, n));
          i += n - 1;
        } else {
          // A log line must stay valid JSON whatever a client sent: a byte
          // that starts no well-formed UTF-8 sequence becomes U+FFFD.
          out += "\\ufffd";
        }
    }
  }
  return out;
}

}  // namespace inferd
