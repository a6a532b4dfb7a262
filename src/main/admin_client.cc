#include "main/admin_client.h"

#include <simdjson.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstdlib>
#include <iostream>

namespace inferd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

StatusOr<AdminClient> AdminClient::Connect(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return InvalidArgument("the server URL must start with http:// (got '" + std::string(url) +
                           "')");
  }
  url.remove_prefix(kScheme.size());
  url = url.substr(0, url.find('/'));
  AdminClient client;
  const size_t colon = url.rfind(':');
  if (colon == std::string_view::npos || url.find(']', colon) != std::string_view::npos) {
    client.host_ = std::string(url);
    client.port_ = "80";
  } else {
    client.host_ = std::string(url.substr(0, colon));
    client.port_ = std::string(url.substr(colon + 1));
  }
  if (client.host_.size() > 2 && client.host_.front() == '[' && client.host_.back() == ']') {
    client.host_ = client.host_.substr(1, client.host_.size() - 2);
  }
  if (client.host_.empty() || client.port_.empty()) {
    return InvalidArgument("cannot read a host and port from the server URL");
  }
  return client;
}

StatusOr<AdminReply> AdminClient::Send(std::string_view method, std::string_view path,
                                       std::string_view body, std::string_view content_type) const {
  try {
    asio::io_context ioc;
    asio::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::minutes(10));  // a load can take a while
    stream.connect(resolver.resolve(host_, port_));
    bhttp::request<bhttp::string_body> request(
        bhttp::string_to_verb(beast::string_view(method.data(), method.size())),
        beast::string_view(path.data(), path.size()), 11);
    request.set(bhttp::field::host, host_);
    request.set(bhttp::field::user_agent, "inferd-cli");
    // A server with authentication on wants an admin credential.
    if (const char* key = std::getenv("INFERD_API_KEY"); key != nullptr && *key != '\0') {
      request.set(bhttp::field::authorization, std::string("Bearer ") + key);
    }
    if (!body.empty()) {
      request.set(bhttp::field::content_type,
                  beast::string_view(content_type.data(), content_type.size()));
    }
    request.body() = std::string(body);
    request.prepare_payload();
    bhttp::write(stream, request);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream, buffer, response);
    beast::error_code ec;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return AdminReply{response.result_int(), std::move(response.body())};
  } catch (const std::exception& e) {
    return Unavailable("cannot reach the server at " + host_ + ":" + port_ + ": " + e.what());
  }
}

std::string ErrorMessageOf(const AdminReply& reply) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(reply.body).get(doc) == simdjson::SUCCESS &&
      doc.type() == simdjson::dom::element_type::OBJECT) {
    for (const char* key : {"error", "message"}) {
      std::string_view text;
      if (doc[key].get(text) == simdjson::SUCCESS) return std::string(text);
    }
  }
  return reply.body.empty() ? "HTTP " + std::to_string(reply.status) : reply.body;
}

StatusOr<std::string> OkBody(const StatusOr<AdminReply>& reply) {
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return Unavailable(ErrorMessageOf(*reply) + " (HTTP " + std::to_string(reply->status) + ")");
  }
  return reply->body;
}

StatusOr<simdjson::dom::element> OkJson(const StatusOr<AdminReply>& reply,
                                        simdjson::dom::parser& parser) {
  INFERD_ASSIGN_OR_RETURN(std::string body, OkBody(reply));
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc) != simdjson::SUCCESS) {
    return Unavailable("the server's answer is not JSON");
  }
  return doc;
}

int ReportReply(const StatusOr<AdminReply>& reply, std::string_view command,
                std::string_view done) {
  auto body = OkBody(reply);
  if (!body.ok()) {
    std::cerr << "inferd " << command << ": " << body.status().message() << "\n";
    return 1;
  }
  std::cout << done << "\n";
  return 0;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace inferd
