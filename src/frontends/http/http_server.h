// Asynchronous HTTP/1.1 server: a few I/O threads serve many keep-alive
// connections; handlers answer through a Responder from any thread, so an
// inference never occupies an I/O thread while it runs. It listens on a plain
// port, a TLS port, or both; both serve the same routes.
//
// Thread-safety: Start/BeginShutdown/WaitIdle/Stop are called from one control
// thread; everything else runs on the I/O threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "frontends/http/router.h"

namespace boost::asio::ssl {
class context;
}

namespace inferd::http {

struct HttpServerOptions {
  std::string address = "0.0.0.0";
  int port = 8000;    // plain HTTP; 0: pick a free port; -1: none
  int tls_port = -1;  // HTTPS, the same way
  // The TLS context of a new HTTPS connection, asked for at every accept (so
  // reloaded certificates reach new connections; open ones keep theirs).
  // Required when tls_port >= 0; called on an I/O thread.
  std::function<std::shared_ptr<boost::asio::ssl::context>()> tls_context;
  int io_threads = 2;
  uint64_t max_body_bytes = 64ull << 20;
  // Uploads: a POST whose target `is_upload` accepts may send up to
  // max_upload_bytes when `may_upload(client_is_loopback)` says the client may
  // (other requests, and clients that may not, keep max_body_bytes).
  std::function<bool(std::string_view target)> is_upload;
  std::function<bool(bool client_is_loopback)> may_upload;
  uint64_t max_upload_bytes = 0;
  // Bodies written to a file as they arrive, never held in memory: a POST,
  // not content-encoded, whose target and Content-Type `spool` accepts may
  // send up to max_upload_bytes, into a new file in spool_dir (made when
  // first needed). The handler finds it in HttpRequest::body_file.
  std::function<bool(std::string_view target, std::string_view content_type)> spool;
  std::filesystem::path spool_dir;
  // At most this many bodies are written to spool_dir at once (503 past it),
  // and one is refused with 507 unless the disk has room for all it may send
  // beside spool_reserve_bytes, so that uploads do not fill the disk.
  int max_spooling = 8;
  uint64_t spool_reserve_bytes = 256ull << 20;
  std::chrono::seconds idle_timeout{60};  // also bounds a slow request or reader
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const Router* router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the I/O threads.
  Status Start();
  int port() const;      // the bound plain port, -1 when none
  int tls_port() const;  // the bound TLS port, -1 when none

  // Stops accepting; requests already read are still answered, and their
  // connections close after the answer.
  void BeginShutdown();
  // Waits until no request is in flight, up to `timeout`; false on time-out.
  bool WaitIdle(std::chrono::milliseconds timeout);
  // Closes everything and joins the I/O threads.
  void Stop();

  int64_t in_flight() const;

  class Impl;  // opaque; public only so the connection code can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace inferd::http
