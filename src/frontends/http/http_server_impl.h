// HttpServer's insides, shared by the server (http_server.cc) and the
// connection code (http_connection.cc); no one else includes this.
//
// Thread-safety: as HttpServer's; the members the connections read (options,
// router, stopping_) do not change while the I/O threads run.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "frontends/http/http_server.h"

namespace inferd::http {

// Concrete executor types: the type-erased any_io_executor that
// beast::tcp_stream uses heap-allocates a copy of the strand on every
// operation (about 30 allocations per request, measured with heaptrack).
using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
using StrandSocket = boost::asio::ip::tcp::socket::rebind_executor<Strand>::other;

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, const Router* router)
      : options_(std::move(options)),
        router_(router),
        acceptor_(boost::asio::make_strand(ioc_)),
        tls_acceptor_(boost::asio::make_strand(ioc_)) {}

  Status Start();
  void BeginShutdown();
  bool WaitIdle(std::chrono::milliseconds timeout);
  void Stop();

  void RequestStarted() { in_flight_.fetch_add(1); }
  void RequestFinished() {
    if (in_flight_.fetch_sub(1) == 1) {
      std::lock_guard lock(idle_mu_);
      idle_cv_.notify_all();
    }
  }

  HttpServerOptions options_;
  const Router* router_;
  boost::asio::io_context ioc_;
  // Keeps the I/O threads running while the acceptors are closed and requests
  // are still in the core: their answers are posted to the context later.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      ioc_.get_executor()};
  boost::asio::ip::tcp::acceptor acceptor_;      // plain HTTP
  boost::asio::ip::tcp::acceptor tls_acceptor_;  // HTTPS
  // AcceptLater's waits, one per acceptor (used only on its strand, while its
  // accept is not pending).
  boost::asio::steady_timer accept_retry_{acceptor_.get_executor()};
  boost::asio::steady_timer tls_accept_retry_{tls_acceptor_.get_executor()};
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int> spooling_{0};  // uploads being written to the spool folder now
  std::mutex idle_mu_;
  std::condition_variable idle_cv_;
  int port_ = -1;
  int tls_port_ = -1;

 private:
  Status Listen(boost::asio::ip::tcp::acceptor& acceptor, int port, int& bound);
  void Accept(boost::asio::ip::tcp::acceptor& acceptor, bool tls);
  // After an accept: takes the connections already waiting, then accepts again.
  void AcceptWaiting(boost::asio::ip::tcp::acceptor& acceptor, bool tls);
  void Serve(StrandSocket socket, bool tls);
  // After an accept failed (out of file descriptors, say): again in 100 ms.
  void AcceptLater(boost::asio::ip::tcp::acceptor& acceptor, bool tls,
                   boost::system::error_code ec);

  std::atomic<int64_t> last_accept_warning_ms_{-60000};
};

// Serve one accepted connection until it closes; they own themselves.
void ServePlainConnection(StrandSocket socket, HttpServer::Impl* server);
void ServeTlsConnection(StrandSocket socket, std::shared_ptr<boost::asio::ssl::context> context,
                        HttpServer::Impl* server);

}  // namespace inferd::http
