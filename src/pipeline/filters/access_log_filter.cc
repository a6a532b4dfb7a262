#include "pipeline/filters/access_log_filter.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "observability/log.h"

namespace inferd::pipeline {
namespace {

std::string UtcNow() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

void Field(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":\"";
  out += JsonEscape(value);
  out += '"';
}

void Number(std::string& out, std::string_view key, double value) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", value);
  out += ",\"";
  out += key;
  out += "\":";
  out += buf;
}

void Integer(std::string& out, std::string_view key, uint64_t value) {
  out += ",\"";
  out += key;
  out += "\":";
  out += std::to_string(value);
}

}  // namespace

StatusOr<std::unique_ptr<AccessLogFilter>> AccessLogFilter::Open(const std::string& path) {
  if (path == "-") return std::unique_ptr<AccessLogFilter>(new AccessLogFilter(stdout, false));
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return Unavailable("cannot open the access log " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<AccessLogFilter>(new AccessLogFilter(file, true));
}

AccessLogFilter::~AccessLogFilter() {
  if (owned_) std::fclose(file_);
}

std::string AccessLogFilter::Render(const RequestContext& context, const Outcome& outcome) {
  std::string line = "{\"time\":\"" + UtcNow() + "\"";
  Field(line, "request_id", context.request_id);
  Field(line, "trace_id", context.trace.trace_id);
  Field(line, "span_id", context.trace.span_id);
  Field(line, "client", context.client_address);
  Field(line, "identity", context.identity.Label());
  if (!context.tls_peer.empty()) Field(line, "tls_peer", context.tls_peer);
  Field(line, "protocol", context.protocol);
  Field(line, "method", context.method);
  Field(line, "route", context.route);
  Field(line, "kind", RouteKindName(context.kind));
  Field(line, "model", context.model);
  Field(line, "version", context.version);
  Integer(line, outcome.status_space == "grpc" ? "grpc_status" : "status",
          static_cast<uint64_t>(outcome.status));
  Integer(line, "bytes_in", outcome.bytes_in);
  Integer(line, "bytes_out", outcome.bytes_out);
  if (outcome.queue_ms) Number(line, "queue_ms", *outcome.queue_ms);
  if (outcome.compute_ms) Number(line, "compute_ms", *outcome.compute_ms);
  const auto total = std::chrono::steady_clock::now() - context.start;
  Number(line, "total_ms", std::chrono::duration<double, std::milli>(total).count());
  line += '}';
  return line;
}

void AccessLogFilter::OnDone(const RequestContext& context, const Outcome& outcome) {
  std::string line = Render(context, outcome);
  line += '\n';
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace inferd::pipeline
