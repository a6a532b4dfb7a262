#include "observability/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>

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

std::string Render(std::string_view message, std::initializer_list<LogField> fields) {
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

}  // namespace

void InitLogging(LogFormat format, bool verbose) {
  g_format.store(format);
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

std::string JsonEscape(std::string_view in) {
  std::string out;
  out.reserve(in.size() + 2);
  for (unsigned char c : in) {
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
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

}  // namespace inferd
