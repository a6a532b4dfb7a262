#include "frontends/http/http_types.h"

#include <rapidjson/writer.h>
#include <unistd.h>

#include <cctype>

#include "frontends/http/json_buffer.h"

namespace inferd::http {

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  const std::string_view text(header_text_);
  for (const HeaderSpan& h : headers_) {
    if (text.substr(h.name_begin, h.name_size) == lower_name) {
      return text.substr(h.value_begin, h.value_size);
    }
  }
  return {};
}

bool HttpRequest::HasHeader(std::string_view lower_name) const {
  const std::string_view text(header_text_);
  for (const HeaderSpan& h : headers_) {
    if (text.substr(h.name_begin, h.name_size) == lower_name) return true;
  }
  return false;
}

HttpRequest::~HttpRequest() {
  if (!body_file.empty()) ::unlink(body_file.c_str());
}

std::shared_ptr<std::atomic<bool>> HttpRequest::ClientGone() const {
  std::shared_ptr<const HttpRequest> self = weak_from_this().lock();
  if (!self) return nullptr;
  return std::shared_ptr<std::atomic<bool>>(std::move(self), &gone);
}

void HttpRequest::AddHeader(std::string_view name, std::string_view value) {
  if (headers_.empty()) {
    headers_.reserve(16);
    header_text_.reserve(512);
  }
  HeaderSpan span{static_cast<uint32_t>(header_text_.size()), static_cast<uint32_t>(name.size()), 0,
                  static_cast<uint32_t>(value.size())};
  for (char c : name) {
    header_text_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  span.value_begin = static_cast<uint32_t>(header_text_.size());
  header_text_ += value;
  headers_.push_back(span);
}

std::string_view HttpRequest::Param(std::string_view name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

HttpResponse StatusJsonError(const Status& status) {
  return JsonError(HttpStatusFor(status), status.message());
}

HttpResponse JsonError(unsigned status, std::string_view message) {
  JsonBuffer buffer;
  rapidjson::Writer<JsonBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("error");
  writer.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  writer.EndObject();
  HttpResponse response;
  response.status = status;
  response.body = buffer.Release();
  return response;
}

unsigned HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kUnsupported:
      return 501;
    case StatusCode::kInternal:
      return 500;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 400;
  }
}

}  // namespace inferd::http
