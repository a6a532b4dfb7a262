#include "frontends/http/http_server.h"

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <cerrno>
#include <chrono>

#include "frontends/http/http_server_impl.h"
#include "observability/log.h"

namespace inferd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

Status HttpServer::Impl::Listen(tcp::acceptor& acceptor, int port, int& bound) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(options_.address, ec);
  if (ec) return InvalidArgument("invalid HTTP address '" + options_.address + "'");
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) acceptor.non_blocking(true, ec);  // for AcceptWaiting's draining
  // A client gone before it was accepted is an error to skip, not a reason
  // for asio's synchronous accept to wait in poll() for the next client.
  if (!ec) acceptor.set_option(asio::socket_base::enable_connection_aborted(true), ec);
  if (ec) {
    return Unavailable("cannot listen on " + options_.address + ":" + std::to_string(port) + ": " +
                       ec.message());
  }
  bound = acceptor.local_endpoint().port();
  return Status::Ok();
}

Status HttpServer::Impl::Start() {
  if (options_.port >= 0) {
    if (Status s = Listen(acceptor_, options_.port, port_); !s.ok()) return s;
    Accept(acceptor_, false);
  }
  if (options_.tls_port >= 0) {
    if (!options_.tls_context) return InvalidArgument("an HTTPS port needs a TLS context");
    if (Status s = Listen(tls_acceptor_, options_.tls_port, tls_port_); !s.ok()) return s;
    Accept(tls_acceptor_, true);
  }
  const int n = std::max(1, options_.io_threads);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
  return Status::Ok();
}

namespace {

// The connection was reset or aborted while it waited in the backlog.
bool ClientLeftFirst(const beast::error_code& ec) {
  return ec == asio::error::connection_aborted || ec.value() == EPROTO;
}

}  // namespace

void HttpServer::Impl::Accept(tcp::acceptor& acceptor, bool tls) {
  acceptor.async_accept(asio::make_strand(ioc_),
                        [this, &acceptor, tls](beast::error_code ec, StrandSocket socket) {
                          if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
                          if (ClientLeftFirst(ec)) return Accept(acceptor, tls);
                          if (ec) return AcceptLater(acceptor, tls, ec);
                          Serve(std::move(socket), tls);
                          AcceptWaiting(acceptor, tls);
                        });
}

void HttpServer::Impl::AcceptWaiting(tcp::acceptor& acceptor, bool tls) {
  // An asynchronous accept completes at the back of the I/O threads' queue:
  // with a thousand busy connections, a burst of new ones would be taken one
  // per round of every ready request (seconds for 1,024 clients arriving at
  // once, measured in bench's scale part). What is already in the backlog
  // is taken now, a bounded number at a time so requests are not held up.
  constexpr int kAtOnce = 64;
  beast::error_code ec;
  StrandSocket socket(asio::make_strand(ioc_));  // kept for the next try when none came
  for (int i = 0; i < kAtOnce; ++i) {
    acceptor.accept(socket, ec);  // the acceptor is non-blocking: would_block once drained
    if (ClientLeftFirst(ec)) continue;
    if (ec) break;
    Serve(std::move(socket), tls);
    socket = StrandSocket(asio::make_strand(ioc_));
  }
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again &&
      !ClientLeftFirst(ec)) {
    return AcceptLater(acceptor, tls, ec);
  }
  Accept(acceptor, tls);
}

void HttpServer::Impl::Serve(StrandSocket socket, bool tls) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (tls) {
    // The newest context: certificates reloaded since reach this one.
    ServeTlsConnection(std::move(socket), options_.tls_context(), this);
  } else {
    ServePlainConnection(std::move(socket), this);
  }
}

void HttpServer::Impl::AcceptLater(tcp::acceptor& acceptor, bool tls, beast::error_code ec) {
  // Out of file descriptors (or memory), accepting again at once fails again
  // at once: an I/O thread would spin while the connections waiting in the
  // backlog stay there. They wait a little instead, and one line a minute
  // says why.
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = last_accept_warning_ms_.load();
  if (now - last >= 60000 && last_accept_warning_ms_.compare_exchange_strong(last, now)) {
    LogWarn("cannot accept connections; retrying every 100 ms", {{"reason", ec.message()}});
  }
  boost::asio::steady_timer& timer = tls ? tls_accept_retry_ : accept_retry_;
  timer.expires_after(std::chrono::milliseconds(100));
  timer.async_wait([this, &acceptor, tls](beast::error_code) {
    if (!stopping_.load() && acceptor.is_open()) Accept(acceptor, tls);
  });
}

void HttpServer::Impl::BeginShutdown() {
  stopping_.store(true);
  for (tcp::acceptor* acceptor : {&acceptor_, &tls_acceptor_}) {
    asio::post(acceptor->get_executor(), [acceptor] {
      beast::error_code ec;
      acceptor->close(ec);
    });
  }
}

bool HttpServer::Impl::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(idle_mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return in_flight_.load() == 0; });
}

void HttpServer::Impl::Stop() {
  work_.reset();
  ioc_.stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

HttpServer::HttpServer(HttpServerOptions options, const Router* router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}
HttpServer::~HttpServer() {
  impl_->Stop();
}
Status HttpServer::Start() {
  return impl_->Start();
}
int HttpServer::port() const {
  return impl_->port_;
}
int HttpServer::tls_port() const {
  return impl_->tls_port_;
}
void HttpServer::BeginShutdown() {
  impl_->BeginShutdown();
}
bool HttpServer::WaitIdle(std::chrono::milliseconds timeout) {
  return impl_->WaitIdle(timeout);
}
void HttpServer::Stop() {
  impl_->Stop();
}
int64_t HttpServer::in_flight() const {
  return impl_->in_flight_.load();
}

}  // namespace inferd::http
