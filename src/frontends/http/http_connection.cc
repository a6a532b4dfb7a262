// One HTTP connection, plain or TLS: read a request, dispatch it, write the
// answer, repeat. The two kinds share this code (a template on kTls); they
// differ in the handshake, the peer's certificate, and how they close.
#include <fcntl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <type_traits>

#include "frontends/http/content_coding.h"
#include "frontends/http/http_server_impl.h"
#include "observability/log.h"

namespace inferd::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

// A refused request's body up to this size is read (and dropped) so its
// connection stays open; a larger one is not read at all.
constexpr uint64_t kRefusedBodyRead = 64 * 1024;
using PlainStream = beast::basic_stream<tcp, Strand>;
using TlsStream = beast::ssl_stream<PlainStream>;

Method ToMethod(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get:
      return Method::kGet;
    case bhttp::verb::post:
      return Method::kPost;
    case bhttp::verb::put:
      return Method::kPut;
    case bhttp::verb::patch:
      return Method::kPatch;
    case bhttp::verb::delete_:
      return Method::kDelete;
    case bhttp::verb::head:
      return Method::kHead;
    case bhttp::verb::options:
      return Method::kOptions;
    default:
      return Method::kOther;
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes a path; false when an escape is malformed.
bool DecodePath(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

// The subject of the client's certificate (RFC 2253, "CN=alice,O=acme") when
// it sent one and it was verified; "" otherwise.
std::string VerifiedPeerSubject(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  std::string subject;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      const long n = BIO_get_mem_data(bio, &data);
      subject.assign(data, static_cast<size_t>(n));
    }
    BIO_free(bio);
  }
  return subject;
}

// One connection. Owns itself: every pending operation holds a reference.
template <bool kTls>
class Session : public std::enable_shared_from_this<Session<kTls>> {
 public:
  using Stream = std::conditional_t<kTls, TlsStream, PlainStream>;

  // `context` is null for a plain connection; a TLS one keeps its context
  // alive (a reload swaps the server's, not this one's).
  Session(StrandSocket socket, std::shared_ptr<ssl::context> context, HttpServer::Impl* server)
      : context_(std::move(context)),
        stream_(MakeStream(std::move(socket), context_)),
        server_(server) {}

  ~Session() {
    CloseFile();
    if (!spool_path_.empty()) ::unlink(spool_path_.c_str());
    EndSpooling();
  }

  // The upload no longer counts against max_spooling.
  void EndSpooling() {
    if (spooling_counted_) server_->spooling_.fetch_sub(1);
    spooling_counted_ = false;
  }

  void Run() {
    if constexpr (kTls) {
      asio::dispatch(stream_.get_executor(),
                     beast::bind_front_handler(&Session::Handshake, this->shared_from_this()));
    } else {
      asio::dispatch(stream_.get_executor(),
                     beast::bind_front_handler(&Session::Read, this->shared_from_this()));
    }
  }

 private:
  static Stream MakeStream(StrandSocket socket, const std::shared_ptr<ssl::context>& context) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *context);
    } else {
      return Stream(std::move(socket));
    }
  }

  PlainStream& lowest() { return beast::get_lowest_layer(stream_); }
  std::shared_ptr<Session> shared() { return this->shared_from_this(); }

  // TLS: the handshake, bounded like a read. A failure (a client certificate
  // the CA did not sign or that expired, none when one is required, an old
  // protocol version, plain HTTP) closes the connection.
  void Handshake() {
    lowest().expires_after(server_->options_.idle_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&Session::OnHandshake, shared()));
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) {
      beast::error_code addr_ec;
      const auto remote = lowest().socket().remote_endpoint(addr_ec);
      LogDebug("TLS handshake failed",
               {{"client", addr_ec ? std::string() : remote.address().to_string()},
                {"reason", ec.message()}});
      return CloseSocket();
    }
    if constexpr (kTls) tls_peer_ = VerifiedPeerSubject(stream_.native_handle());
    handshake_done_ = true;
    Read();
  }

  void Read() {
    if (server_->stopping_.load()) return Close();
    const auto& options = server_->options_;
    // An idle keep-alive connection keeps no large body's room.
    if (buffer_.capacity() > kBodyReadRoom / 4 && buffer_.size() == 0) buffer_.shrink_to_fit();
    parser_.emplace();
    response_coding_ = ContentCoding::kIdentity;
    body_limit_ = options.max_body_bytes;
    // Beast would check Content-Length against the limit while it reads the
    // header, before the path is known: OnHeader checks it instead, against
    // the request's own limit.
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    parser_->header_limit(64 * 1024);
    lowest().expires_after(options.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::OnHeader, shared()));
  }

  // Uploads may be larger than other bodies, for clients that may upload.
  // The route and the pipeline's call phase (identity, limits) run here,
  // before the body is read: a refused caller costs no decoding, and one
  // with a large body is answered without reading it.
  void OnHeader(beast::error_code ec, size_t bytes) {
    if (ec) return OnRead(ec, bytes);
    const auto& options = server_->options_;
    const auto& header = parser_->get();
    const std::string_view target(header.target().data(), header.target().size());
    if (options.is_upload && header.method() == bhttp::verb::post && options.is_upload(target)) {
      beast::error_code addr_ec;
      const auto remote = lowest().socket().remote_endpoint(addr_ec);
      const bool loopback = !addr_ec && remote.address().is_loopback();
      if (!options.may_upload || options.may_upload(loopback)) {
        body_limit_ = std::max(body_limit_, options.max_upload_bytes);
      }
    }
    const auto type = header[bhttp::field::content_type];
    const bool spool = options.spool && header.method() == bhttp::verb::post &&
                       header[bhttp::field::content_encoding].empty() &&
                       options.spool(target, std::string_view(type.data(), type.size()));
    if (spool) body_limit_ = std::max(body_limit_, options.max_upload_bytes);
    http10_ = header.version() == 10;
    head_ = header.method() == bhttp::verb::head;
    request_ = MakeRequest(header);
    if (!request_) {
      keep_alive_ = false;  // the body is left unread
      server_->RequestStarted();
      return Write(JsonError(400, "malformed percent-escape in the request path"));
    }
    call_ = server_->router_->Begin(*request_);
    const auto length = parser_->content_length();
    const auto expect = header[bhttp::field::expect];
    const bool expects_continue = beast::iequals(expect, "100-continue");
    if (call_->refused() && !parser_->is_done() &&
        (!length || *length > kRefusedBodyRead || expects_continue)) {
      // A large (or chunked, or not yet sent) body is not worth reading for
      // a refusal: answer now, then end the connection (Linger drains it).
      keep_alive_ = false;
      return Dispatch();
    }
    if (length && *length > body_limit_) return OnRead(bhttp::error::body_limit, bytes);
    parser_->body_limit(body_limit_);  // bounds a chunked body too
    const bool body_to_read = !parser_->is_done();
    if (spool && body_to_read) {
      const auto known = length ? std::optional<uint64_t>(*length) : std::nullopt;
      if (Status opened = OpenSpool(known); !opened.ok()) {
        keep_alive_ = false;  // the body is left unread
        const unsigned status = opened.code() == StatusCode::kResourceExhausted ? 507 : 503;
        return AnswerNow(JsonError(status, opened.message()));
      }
    }
    // `curl -T` and other uploaders wait for 100 Continue before the body.
    if (expects_continue && body_to_read) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                               [self = shared()](beast::error_code ec, size_t) {
                                 if (ec) return self->CloseSocket();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    // Beast reads no more than the buffer's free room (at least 512 bytes)
    // at a time: a 600 KB body took hundreds of reads, each a trip through
    // asio's strand and timer, and its reading cost more CPU than a CNN's
    // inference left (bench/RESULTS.md, W4). Room for the body, up to
    // kBodyReadRoom, makes them a few 64 KiB reads.
    if (const auto length = parser_->content_length();
        length && *length > buffer_.capacity() - buffer_.size()) {
      buffer_.reserve(buffer_.size() +
                      static_cast<size_t>(std::min<uint64_t>(*length, kBodyReadRoom)));
    }
    if (file_parser_) {
      return bhttp::async_read(stream_, buffer_, *file_parser_,
                               beast::bind_front_handler(&Session::OnSpooled, shared()));
    }
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, shared()));
  }

  // The body goes to a new file in the spool folder: the header parser is
  // turned into one with a file body (beast allows it before any body byte).
  Status OpenSpool(std::optional<uint64_t> length) {
    const auto& options = server_->options_;
    const auto& dir = options.spool_dir;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (server_->spooling_.fetch_add(1) >= options.max_spooling) {
      server_->spooling_.fetch_sub(1);
      return Unavailable("too many uploads in progress (" + std::to_string(options.max_spooling) +
                         "); retry later");
    }
    spooling_counted_ = true;
    // The most this body may write, against the room left on the disk.
    const uint64_t need = length.value_or(body_limit_);
    struct statvfs disk {};
    if (::statvfs(dir.c_str(), &disk) == 0) {
      const uint64_t free = static_cast<uint64_t>(disk.f_bavail) * disk.f_frsize;
      if (free < need + options.spool_reserve_bytes) {
        return Status(StatusCode::kResourceExhausted,
                      "not enough disk for the upload: " + std::to_string(need) + " bytes asked, " +
                          std::to_string(free) + " free");
      }
    }
    std::string path = (dir / "upload-XXXXXX").string();
    const int fd = ::mkstemp(path.data());
    if (fd < 0) return Unavailable("cannot store the upload: " + std::string(std::strerror(errno)));
    ::close(fd);
    spool_path_ = path;
    file_parser_.emplace(std::move(*parser_));
    file_parser_->body_limit(body_limit_);
    beast::error_code open_ec;
    file_parser_->get().body().open(path.c_str(), beast::file_mode::write, open_ec);
    if (open_ec) return Unavailable("cannot store the upload: " + open_ec.message());
    return Status::Ok();
  }

  void OnSpooled(beast::error_code ec, size_t) {
    EndSpooling();
    if (ec) {
      file_parser_.reset();
      ::unlink(spool_path_.c_str());
      spool_path_.clear();
      if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
          ec == beast::error::timeout || ec == asio::error::connection_reset ||
          ec == asio::error::eof || ec == ssl::error::stream_truncated ||
          ec == bhttp::error::partial_message) {
        return Close();
      }
      keep_alive_ = false;
      if (ec == bhttp::error::body_limit) {
        return AnswerNow(JsonError(
            413, "request body exceeds the limit of " + std::to_string(body_limit_) + " bytes"));
      }
      if (ec == boost::system::errc::no_space_on_device) {
        return AnswerNow(JsonError(507, "the disk filled up while the upload was stored"));
      }
      if (ec.category() == boost::system::system_category()) {  // the file, not the client
        return AnswerNow(JsonError(500, "cannot store the upload: " + ec.message()));
      }
      return AnswerNow(JsonError(400, "malformed HTTP request: " + ec.message()));
    }
    auto message = file_parser_->release();
    keep_alive_ = message.keep_alive();
    message.body().close();
    file_parser_.reset();
    request_->body_file = std::move(spool_path_);
    spool_path_.clear();
    Dispatch();
  }

  // The request as the router sees it, from the header alone; null when its
  // path does not decode.
  std::shared_ptr<HttpRequest> MakeRequest(
      const bhttp::request_parser<bhttp::string_body>::value_type& header) {
    auto request = std::make_shared<HttpRequest>();
    request->method = ToMethod(header.method());
    const std::string_view target(header.target().data(), header.target().size());
    const size_t q = target.find('?');
    if (!DecodePath(target.substr(0, q), request->path)) return nullptr;
    if (q != std::string_view::npos) request->query = std::string(target.substr(q + 1));
    for (const auto& field : header) {
      request->AddHeader(std::string_view(field.name_string().data(), field.name_string().size()),
                         std::string_view(field.value().data(), field.value().size()));
    }
    response_coding_ = ChooseResponseCoding(request->Header("accept-encoding"));
    beast::error_code addr_ec;
    const auto remote = lowest().socket().remote_endpoint(addr_ec);
    request->remote_is_loopback = !addr_ec && remote.address().is_loopback();
    if (!addr_ec) {
      request->remote_address = remote.address().to_string() + ":" + std::to_string(remote.port());
    }
    request->tls_peer = tls_peer_;
    return request;
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == ssl::error::stream_truncated) {
      return Close();
    }
    if (ec) {
      // The request cannot be read to its end: answer and drop the connection.
      keep_alive_ = false;
      const bool too_large = ec == bhttp::error::body_limit;
      const bool header_read = parser_->is_header_done();
      if (!header_read && buffer_.size() == 0 && !too_large) return Close();
      HttpResponse answer = too_large ? JsonError(413, "request body exceeds the limit of " +
                                                           std::to_string(body_limit_) + " bytes")
                                      : JsonError(400, "malformed HTTP request: " + ec.message());
      if (call_) return AnswerNow(std::move(answer));
      server_->RequestStarted();
      return Write(std::move(answer));
    }
    auto message = parser_->release();
    keep_alive_ = message.keep_alive();
    HttpRequest& request = *request_;
    *request.body = std::move(message.body());
    // A refused request's body is dropped as it is.
    if (!call_->refused() && request.HasHeader("content-encoding")) {
      // Decoded before routing, so every route reads plain bytes; the body
      // limit applies to the decoded size.
      auto coding = ParseContentEncoding(request.Header("content-encoding"));
      StatusOr<std::string> decoded =
          coding.ok() ? Decode(*coding, *request.body, body_limit_) : coding.status();
      if (!decoded.ok()) {
        const auto code = decoded.status().code();
        return AnswerNow(JsonError(code == StatusCode::kResourceExhausted ? 413
                                   : code == StatusCode::kUnsupported     ? 415
                                                                          : 400,
                                   decoded.status().message()));
      }
      if (*coding != ContentCoding::kIdentity) *request.body = std::move(decoded).value();
    }
    Dispatch();
  }

  // An answer decided here after the pipeline admitted the call (a body
  // too large, malformed or not decodable): it still ends the request in the
  // pipeline (permits back, the filters' headers, the access log).
  void AnswerNow(HttpResponse answer) {
    call_->answer_now = std::move(answer);
    Dispatch();
  }

  void Dispatch() {
    std::shared_ptr<HttpRequest> request = std::move(request_);
    std::shared_ptr<Router::PendingCall> call = std::move(call_);
    server_->RequestStarted();
    auto self = shared();
    awaiting_answer_ = true;
    WatchForDisconnect(request, ++dispatched_);
    // Keeps the request alive until the handler has answered.
    server_->router_->Finish(std::move(call), *request, [self, request](HttpResponse response) {
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Write(std::move(response));
      });
    });
  }

  // While the answer is being computed, a readable socket means the client
  // closed it (or pipelined another request, which is left to be read).
  // Closing flags the request, so the core drops it if it is still queued.
  // `seq` ties the watch to its request: a completion that arrives after the
  // answer (and maybe after the next request was read) is ignored.
  void WatchForDisconnect(std::shared_ptr<HttpRequest> request, uint64_t seq) {
    lowest().socket().async_wait(
        tcp::socket::wait_read, [self = shared(), request, seq](beast::error_code ec) {
          if (ec || !self->awaiting_answer_ || self->dispatched_ != seq) return;
          // Never block the I/O thread: peek without waiting.
          char byte;
          const ssize_t n =
              ::recv(self->lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            return self->WatchForDisconnect(std::move(request), seq);
          }
          // Over TLS a leaving client sends an alert record (close_notify)
          // before its FIN.
          constexpr char kTlsAlert = 21;
          if (n <= 0 || (kTls && byte == kTlsAlert)) {
            request->gone.store(true, std::memory_order_relaxed);
          }
        });
  }

  void Write(HttpResponse response) {
    if (awaiting_answer_) {
      awaiting_answer_ = false;
      beast::error_code cancel_ec;
      lowest().socket().cancel(cancel_ec);  // ends the disconnect watch
    }
    const bool keep = keep_alive_ && !server_->stopping_.load();
    if (!response.body_file.empty()) return WriteFile(std::move(response), keep);
    // Compression runs on the I/O thread: very large answers go as they are.
    constexpr size_t kMaxCompressedAnswer = 64 << 20;
    if (response_coding_ != ContentCoding::kIdentity && !response.body.empty() &&
        response.body.size() <= kMaxCompressedAnswer) {
      response.body = Encode(response_coding_, response.body);
      response.headers.emplace_back("Content-Encoding",
                                    std::string(ContentCodingName(response_coding_)));
      response.headers.emplace_back("Vary", "Accept-Encoding");
    }
    // The head is written by hand into a buffer the connection reuses: beast's
    // response fields allocate a node per header on every answer.
    head_text_.clear();
    AppendHead(response, keep, response.body.size());
    body_ = std::move(response.body);
    const std::array<asio::const_buffer, 2> buffers{
        asio::buffer(head_text_), head_ ? asio::const_buffer() : asio::buffer(body_)};
    lowest().expires_after(server_->options_.idle_timeout);
    asio::async_write(stream_, buffers, [self = shared(), keep](beast::error_code ec, size_t) {
      self->server_->RequestFinished();
      if (ec) return self->CloseSocket();
      if (!keep) return self->Linger();
      self->Read();
    });
  }

  // A file's content as the body: the head, then pieces read as the socket
  // takes them. A file that shrinks meanwhile ends the connection (the
  // length was promised).
  void WriteFile(HttpResponse response, bool keep) {
    const int fd = ::open(response.body_file.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      if (fd >= 0) ::close(fd);
      return Write(JsonError(500, "cannot read the answer's file"));
    }
    file_fd_ = fd;
    file_left_ = head_ ? 0 : static_cast<uint64_t>(st.st_size);
    head_text_.clear();
    AppendHead(response, keep, static_cast<size_t>(st.st_size));
    lowest().expires_after(server_->options_.idle_timeout);
    asio::async_write(stream_, asio::buffer(head_text_),
                      [self = shared(), keep](beast::error_code ec, size_t) {
                        if (ec) return self->EndFile(false);
                        self->WriteFilePiece(keep);
                      });
  }

  void WriteFilePiece(bool keep) {
    if (file_left_ == 0) return EndFile(keep, true);
    constexpr uint64_t kPiece = 256 << 10;
    body_.resize(static_cast<size_t>(std::min(kPiece, file_left_)));
    const ssize_t n = ::read(file_fd_, body_.data(), body_.size());
    if (n <= 0) return EndFile(false);
    body_.resize(static_cast<size_t>(n));
    file_left_ -= static_cast<uint64_t>(n);
    lowest().expires_after(server_->options_.idle_timeout);
    asio::async_write(stream_, asio::buffer(body_),
                      [self = shared(), keep](beast::error_code ec, size_t) {
                        if (ec) return self->EndFile(false);
                        self->WriteFilePiece(keep);
                      });
  }

  void EndFile(bool keep, bool written = false) {
    CloseFile();
    body_.clear();
    body_.shrink_to_fit();
    server_->RequestFinished();
    if (!written) return CloseSocket();
    if (!keep) return Linger();
    Read();
  }

  void CloseFile() {
    if (file_fd_ >= 0) ::close(file_fd_);
    file_fd_ = -1;
  }

  void AppendHead(const HttpResponse& response, bool keep, size_t body_size) {
    const auto status = bhttp::int_to_status(response.status);
    const auto reason = bhttp::obsolete_reason(status);
    head_text_ += "HTTP/1.1 ";
    head_text_ += std::to_string(response.status);
    head_text_ += ' ';
    head_text_.append(reason.data(), reason.size());
    head_text_ += "\r\nServer: inferd\r\n";
    if (body_size > 0 || response.status != 200) {
      AppendField("Content-Type", response.content_type);
    }
    bool has_retry_after = false;
    for (const auto& [name, value] : response.headers) {
      has_retry_after = has_retry_after || beast::iequals(name, "retry-after");
      AppendField(name, value);
    }
    // Every 503 (queue full, model not ready) tells clients when to come back.
    if (response.status == 503 && !has_retry_after) AppendField("Retry-After", "1");
    if (response.status != 204 && response.status != 304 && response.status >= 200) {
      AppendField("Content-Length", std::to_string(body_size));
    }
    if (!keep) {
      AppendField("Connection", "close");
    } else if (http10_) {
      AppendField("Connection", "keep-alive");
    }
    head_text_ += "\r\n";
  }

  void AppendField(std::string_view name, std::string_view value) {
    head_text_ += name;
    head_text_ += ": ";
    head_text_ += value;
    head_text_ += "\r\n";
  }

  // TLS says goodbye with close_notify first (bounded: the peer may be gone).
  void Close() {
    if constexpr (kTls) {
      if (handshake_done_ && !shutting_down_) {
        shutting_down_ = true;
        lowest().expires_after(std::chrono::seconds(1));
        return stream_.async_shutdown(
            [self = shared()](beast::error_code) { self->CloseSocket(); });
      }
    }
    CloseSocket();
  }

  void CloseSocket() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().socket().close(ec);
  }

  // Closing with unread bytes from the client makes the kernel reset the
  // connection, which can destroy the answer before the client reads it (a
  // 413 sent while the client still uploads). So after the last answer: send
  // FIN, then read and drop what still arrives, for a bounded time and size.
  // Over TLS, close_notify goes first; OpenSSL drops what arrives while it
  // waits for the client's close_notify. When that wait ends in an error
  // other than the time limit, the TCP linger below still applies.
  void Linger() {
    if constexpr (kTls) {
      if (!shutting_down_) {
        shutting_down_ = true;
        lowest().expires_after(std::chrono::seconds(2));
        return stream_.async_shutdown([self = shared()](beast::error_code ec) {
          if (!ec || ec == beast::error::timeout) return self->CloseSocket();
          self->LingerTcp();
        });
      }
    }
    LingerTcp();
  }

  void LingerTcp() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return CloseSocket();
    lingered_ = 0;
    lowest().expires_after(std::chrono::seconds(2));
    DrainSome();
  }

  void DrainSome() {
    lowest().async_read_some(asio::buffer(drain_),
                             [self = shared()](beast::error_code ec, size_t n) {
                               self->lingered_ += n;
                               constexpr size_t kMaxDrained = 16 << 20;
                               if (ec || self->lingered_ > kMaxDrained) return self->CloseSocket();
                               self->DrainSome();
                             });
  }

  std::shared_ptr<ssl::context> context_;  // TLS: outlives stream_; plain: null
  Stream stream_;
  HttpServer::Impl* server_;
  std::string tls_peer_;  // the verified client certificate's subject, or ""
  bool handshake_done_ = false;
  bool shutting_down_ = false;     // TLS: close_notify sent or being sent
  std::array<char, 16384> drain_;  // what Linger reads and drops
  size_t lingered_ = 0;
  static constexpr uint64_t kBodyReadRoom = 1 << 20;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::request_parser<bhttp::file_body>> file_parser_;  // a spooled body
  std::string spool_path_;                     // its file, until the request takes it
  bool spooling_counted_ = false;              // counted in the server's spooling_
  int file_fd_ = -1;                           // an answer's file being sent
  uint64_t file_left_ = 0;                     // its bytes still to send
  std::shared_ptr<HttpRequest> request_;       // being read: headers known
  std::shared_ptr<Router::PendingCall> call_;  // its route and call-phase verdict
  uint64_t body_limit_ = 0;                    // of the request being read
  std::string head_text_;                      // the answer's status line and fields
  std::string body_;                           // the answer's body, alive until written
  ContentCoding response_coding_ = ContentCoding::kIdentity;  // of the answer being made
  bool keep_alive_ = true;
  bool http10_ = false;
  bool head_ = false;
  bool awaiting_answer_ = false;  // a request was dispatched and not answered yet
  uint64_t dispatched_ = 0;       // requests dispatched on this connection
};

}  // namespace

void ServePlainConnection(StrandSocket socket, HttpServer::Impl* server) {
  std::make_shared<Session<false>>(std::move(socket), nullptr, server)->Run();
}

void ServeTlsConnection(StrandSocket socket, std::shared_ptr<ssl::context> context,
                        HttpServer::Impl* server) {
  std::make_shared<Session<true>>(std::move(socket), std::move(context), server)->Run();
}

}  // namespace inferd::http
