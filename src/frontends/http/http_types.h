// Protocol-neutral HTTP request and response, as the HTTP server hands them to
// route handlers. Handlers never see the network library.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace inferd::pipeline {
struct Identity;
}  // namespace inferd::pipeline

namespace inferd::http {

enum class Method { kGet, kPost, kPut, kPatch, kDelete, kHead, kOptions, kOther };

class HttpRequest : public std::enable_shared_from_this<HttpRequest> {
 public:
  Method method = Method::kOther;
  std::string path;   // percent-decoded path, without the query
  std::string query;  // raw query string, without '?'
  // The body; shared so decoded tensors can borrow its bytes without copying.
  std::shared_ptr<std::string> body = std::make_shared<std::string>();
  // A body the server wrote to a file as it arrived (HttpServerOptions::spool)
  // instead of `body`, which stays empty. The file is removed with the
  // request; a handler that keeps it moves it and clears this.
  std::string body_file;
  bool remote_is_loopback = false;
  std::string remote_address;  // "ip:port"
  std::string tls_peer;        // subject of a verified client certificate, or ""
  // Set when the client closes the connection before the answer is written.
  mutable std::atomic<bool> gone{false};
  // The caller as the request pipeline identified it, set by the router while
  // the handler runs (null without a pipeline: every caller may do anything).
  const pipeline::Identity* identity = nullptr;
  // Path parameters filled by the router ("model", "version", ...).
  std::map<std::string, std::string, std::less<>> params;

  // The first header with this (lower-case) name, or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
  bool HasHeader(std::string_view lower_name) const;
  // `gone` as frontends pass it to the core, so a queued request is dropped
  // when its client leaves. It shares the request's ownership (no allocation
  // of its own); null for a request not owned by a shared_ptr. Never store it
  // in the request itself: that would be a cycle.
  std::shared_ptr<std::atomic<bool>> ClientGone() const;

  HttpRequest() = default;
  ~HttpRequest();
  HttpRequest(const HttpRequest&) = delete;
  HttpRequest& operator=(const HttpRequest&) = delete;

  // Adds a header; the name is lower-cased. All headers share one buffer.
  void AddHeader(std::string_view name, std::string_view value);
  std::string_view Param(std::string_view name) const;

 private:
  struct HeaderSpan {
    uint32_t name_begin, name_size, value_begin, value_size;
  };
  std::string header_text_;
  std::vector<HeaderSpan> headers_;
};

struct HttpResponse {
  unsigned status = 200;
  std::string_view content_type = "application/json";  // a string literal
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is this file's content instead of `body`: sent in
  // pieces as it is read (never whole in memory), and never compressed.
  std::string body_file = {};
};

// Sends the response; call exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest& request, Responder respond)>;

// The HTTP status of a core error as Triton (KServe v2) answers it, which the
// REST frontends without a mapping of their own share.
unsigned HttpStatusFor(const Status& status);

// A JSON body {"error": message} with the given status.
HttpResponse JsonError(unsigned status, std::string_view message);
// The same for a core error, with HttpStatusFor's status: KServe's shape, which
// the routes without an error shape of their own share.
HttpResponse StatusJsonError(const Status& status);

}  // namespace inferd::http
