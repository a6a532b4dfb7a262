// A small blocking HTTP/1.1 client for the CLI's admin commands (`inferd
// models ...`, `inferd registry ...`, `inferd keys ...`), which talk to a
// running server. The INFERD_API_KEY environment variable, when set, is sent
// as `Authorization: Bearer` (a server with authentication on wants it).
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "core/status.h"

namespace inferd {

struct AdminReply {
  unsigned status = 0;
  std::string body;
};

class AdminClient {
 public:
  // `url`: http://host[:port] (the server's HTTP address).
  static StatusOr<AdminClient> Connect(std::string_view url);

  StatusOr<AdminReply> Send(std::string_view method, std::string_view path,
                            std::string_view body = {},
                            std::string_view content_type = "application/json") const;

 private:
  std::string host_;
  std::string port_;
};

// The message of an error reply ({"error": ...} or TorchServe's "message"),
// or the raw body.
std::string ErrorMessageOf(const AdminReply& reply);

// The body of a 200 reply; otherwise the error as "<why> (HTTP <status>)",
// or the connection's error.
StatusOr<std::string> OkBody(const StatusOr<AdminReply>& reply);

// OkBody's body parsed by `parser` (the element lives as long as it does),
// or why not ("the server's answer is not JSON").
StatusOr<simdjson::dom::element> OkJson(const StatusOr<AdminReply>& reply,
                                        simdjson::dom::parser& parser);

// `text` percent-encoded for a URL's path segment or query value (RFC 3986
// unreserved characters kept).
std::string UrlEncode(std::string_view text);

// For a CLI command: prints `done` for a 200 reply and returns 0, else
// prints "inferd <command>: <why> (HTTP <status>)" to stderr and returns 1.
int ReportReply(const StatusOr<AdminReply>& reply, std::string_view command, std::string_view done);

}  // namespace inferd
