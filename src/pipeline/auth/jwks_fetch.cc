#include "pipeline/auth/jwks_fetch.h"

#include <openssl/err.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace inferd::auth {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;

bool IsDigits(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return std::stoi(std::string(s)) <= 65535;
}

// One GET, as a chain of completion handlers on an I/O context the caller
// runs (C++20 coroutines in Boost 1.74's Asio do not build with clang and
// libstdc++). Destroy it before the context: its sockets belong to it.
class Fetcher {
 public:
  Fetcher(asio::io_context& io, ssl::context& tls, const FetchUrl& url, size_t max_bytes)
      : url_(url), resolver_(io), stream_(io, tls) {
    parser_.body_limit(max_bytes);
  }

  void Start() {
    resolver_.async_resolve(url_.host, url_.port, [this](beast::error_code ec, auto endpoints) {
      if (ec) return Fail(ec);
      beast::get_lowest_layer(stream_).async_connect(endpoints,
                                                     [this](beast::error_code ec, const auto&) {
                                                       if (ec) return Fail(ec);
                                                       if (!url_.tls)
                                                         return Send(stream_.next_layer());
                                                       Handshake();
                                                     });
    });
  }

  bool done() const { return done_; }
  const std::string& failure() const { return failure_; }
  unsigned status() const { return status_; }
  std::string& body() { return parser_.get().body(); }

 private:
  void Handshake() {
    boost::system::error_code ec;
    asio::ip::make_address(url_.host, ec);
    // SNI names hosts, never addresses (RFC 6066).
    if (ec && !SSL_set_tlsext_host_name(stream_.native_handle(), url_.host.c_str())) {
      return Fail(
          beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
    }
    stream_.set_verify_callback(ssl::host_name_verification(url_.host));
    stream_.async_handshake(ssl::stream_base::client, [this](beast::error_code ec) {
      if (ec) return Fail(ec);
      Send(stream_);
    });
  }

  template <typename Stream>
  void Send(Stream& stream) {
    request_ = {bhttp::verb::get, url_.target, 11};
    const bool default_port = url_.port == (url_.tls ? "443" : "80");
    const bool v6 = url_.host.find(':') != std::string::npos;
    std::string host = v6 ? "[" + url_.host + "]" : url_.host;
    if (!default_port) host += ":" + url_.port;
    request_.set(bhttp::field::host, host);
    request_.set(bhttp::field::user_agent, "inferd");
    request_.set(bhttp::field::accept, "application/json");
    bhttp::async_write(stream, request_, [this, &stream](beast::error_code ec, size_t) {
      if (ec) return Fail(ec);
      bhttp::async_read(stream, buffer_, parser_, [this](beast::error_code ec, size_t) {
        if (ec) return Fail(ec);
        status_ = parser_.get().result_int();
        done_ = true;
      });
    });
  }

  void Fail(const beast::error_code& ec) {
    failure_ = ec.message();
    done_ = true;
  }

  const FetchUrl& url_;
  asio::ip::tcp::resolver resolver_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  bhttp::request<bhttp::empty_body> request_;
  beast::flat_buffer buffer_;
  bhttp::response_parser<bhttp::string_body> parser_;
  bool done_ = false;
  std::string failure_;
  unsigned status_ = 0;
};

}  // namespace

std::string FetchUrl::Display() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" + port +
         target;
}

StatusOr<FetchUrl> ParseFetchUrl(std::string_view url) {
  FetchUrl out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return InvalidArgument("a JWKS URL starts with https:// or http://: " + std::string(url));
  }
  if (url.find('#') != std::string_view::npos) {
    return InvalidArgument("a JWKS URL has no fragment: " + std::string(url));
  }
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.target.front() == '?') out.target.insert(out.target.begin(), '/');
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("a JWKS URL carries no user or password: " + std::string(url));
  }
  std::string_view port;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return InvalidArgument("unclosed [ in " + std::string(url));
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgument("bad host in " + std::string(url));
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return InvalidArgument("a JWKS URL names a host: " + std::string(url));
  for (char c : out.host) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == '\\' || c == 0x7f) {
      return InvalidArgument("bad host in " + std::string(url));
    }
  }
  if (!port.empty() && !IsDigits(port)) return InvalidArgument("bad port in " + std::string(url));
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  for (char c : out.target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return InvalidArgument("bad path in " + std::string(url));
    }
  }
  return out;
}

StatusOr<std::string> FetchDocument(const FetchUrl& url, const FetchOptions& options) {
  ssl::context tls(ssl::context::tls_client);
  if (url.tls) {
    boost::system::error_code ec;
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls.set_verify_mode(ssl::verify_peer);
    if (options.ca_file.empty()) {
      tls.set_default_verify_paths(ec);
    } else {
      tls.load_verify_file(options.ca_file, ec);
    }
    if (ec) return Unavailable("cannot read the CAs for " + url.Display() + ": " + ec.message());
  }
  asio::io_context io;
  Fetcher fetcher(io, tls, url, options.max_bytes);
  fetcher.Start();
  io.run_for(options.timeout);
  if (!fetcher.done()) {
    return Unavailable("fetching " + url.Display() + " took longer than " +
                       std::to_string(options.timeout.count()) + " ms");
  }
  if (!fetcher.failure().empty()) {
    return Unavailable("fetching " + url.Display() + ": " + fetcher.failure());
  }
  if (fetcher.status() != 200) {
    return Unavailable("fetching " + url.Display() + ": HTTP status " +
                       std::to_string(fetcher.status()));
  }
  return std::move(fetcher.body());
}

}  // namespace inferd::auth
