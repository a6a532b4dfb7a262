#include "frontends/tls/tls_reloader.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "observability/log.h"

namespace inferd::tls {

std::string_view ClientAuthName(ClientAuth auth) {
  switch (auth) {
    case ClientAuth::kNone:
      return "none";
    case ClientAuth::kOptional:
      return "optional";
    case ClientAuth::kRequired:
      return "required";
  }
  return "none";
}

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

// TLS 1.2 suites with forward secrecy and an AEAD cipher only; TLS 1.3 keeps
// OpenSSL's defaults (all of which are AEAD with forward secrecy).
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// OpenSSL's queued errors as one line, and the queue emptied.
std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    std::array<char, 256> text;
    ERR_error_string_n(e, text.data(), text.size());
    if (!out.empty()) out += "; ";
    out += text.data();
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

StatusOr<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read the " + std::string(what) + " " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return InvalidArgument("cannot read the " + std::string(what) + " " + path);
  return text.str();
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

// Every certificate of a PEM bundle.
std::vector<X509Ptr> ParseCertificates(const std::string& pem) {
  std::vector<X509Ptr> certs;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return certs;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) certs.emplace_back(cert);
  BIO_free(bio);
  ERR_clear_error();  // the read that ends the loop queues "no start line"
  return certs;
}

// The material as read from the files.
struct Material {
  std::string key;
  std::string chain;
  std::string client_ca;  // "" when clients are not asked for certificates
};

StatusOr<std::shared_ptr<ssl::context>> BuildHttpContext(const Material& m, const TlsFiles& files) {
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // No compression (CRIME), no renegotiation (a cheap way to make a server
  // compute), the server's order of suites.
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return Internal("cannot set the TLS 1.2 cipher suites: " + OpenSslErrors());
  }
  boost::system::error_code ec;
  context->use_certificate_chain(asio::buffer(m.chain), ec);
  if (ec) {
    ERR_clear_error();
    return InvalidArgument("no usable certificate chain in " + files.cert_file + ": " +
                           ec.message());
  }
  // Parsed here rather than by asio, to tell a key that does not match the
  // certificate from one that cannot be read, and so that an encrypted key
  // fails instead of prompting on the terminal.
  BIO* bio = BIO_new_mem_buf(m.key.data(), static_cast<int>(m.key.size()));
  EVP_PKEY* key = bio == nullptr
                      ? nullptr
                      : PEM_read_bio_PrivateKey(
                            bio, nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
  BIO_free(bio);
  if (key == nullptr) {
    ERR_clear_error();
    return InvalidArgument("no usable private key (unencrypted PEM) in " + files.key_file);
  }
  const bool matches = X509_check_private_key(SSL_CTX_get0_certificate(native), key) == 1;
  const bool used = matches && SSL_CTX_use_PrivateKey(native, key) == 1;
  EVP_PKEY_free(key);
  if (!matches) {
    ERR_clear_error();
    return InvalidArgument("the private key in " + files.key_file +
                           " does not match the certificate in " + files.cert_file);
  }
  if (!used) return InvalidArgument("cannot use the private key: " + OpenSslErrors());
  if (files.client_auth != ClientAuth::kNone) {
    const auto cas = ParseCertificates(m.client_ca);
    if (cas.empty()) {
      return InvalidArgument("no certificate in the client CA file " + files.client_ca_file);
    }
    X509_STORE* store = SSL_CTX_get_cert_store(native);
    for (const auto& ca : cas) {
      // Both add a reference of their own; ours is freed with `cas`.
      if (X509_STORE_add_cert(store, ca.get()) != 1 ||
          SSL_CTX_add_client_CA(native, ca.get()) != 1) {
        return Internal("cannot use the client CA: " + OpenSslErrors());
      }
    }
    context->set_verify_mode(ssl::verify_peer | (files.client_auth == ClientAuth::kRequired
                                                     ? ssl::verify_fail_if_no_peer_cert
                                                     : ssl::verify_none));
    // Session resumption with client verification needs a context id.
    static constexpr unsigned char kSessionContext[] = "inferd";
    SSL_CTX_set_session_id_context(native, kSessionContext, sizeof(kSessionContext) - 1);
  }
  return context;
}

// The serial (hex) and expiry of the context's own certificate, for the log.
std::pair<std::string, std::string> Describe(ssl::context& context) {
  X509* cert = SSL_CTX_get0_certificate(context.native_handle());
  if (cert == nullptr) return {};
  std::string serial;
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  std::string not_after;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (ASN1_TIME_print(bio, X509_get0_notAfter(cert)) == 1) {
      char* data = nullptr;
      const long n = BIO_get_mem_data(bio, &data);
      not_after.assign(data, static_cast<size_t>(n));
    }
    BIO_free(bio);
  }
  ERR_clear_error();
  return {serial, not_after};
}

// Writes `content` to `path` through a rename, so a reader sees the old file
// or the new one, never a part; mtime is set to `mtime` (seconds).
Status WriteCopy(const std::string& path, const std::string& content, int64_t mtime) {
  const std::string tmp = path + ".new";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return Internal("cannot write " + tmp + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  const timespec times[2] = {{mtime, 0}, {mtime, 0}};
  const bool ok = ::futimens(fd, times) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) return Internal("cannot set the mtime of " + tmp + ": " + std::strerror(err));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Internal("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

TlsReloader::TlsReloader(TlsFiles files) : files_(std::move(files)) {}

StatusOr<std::unique_ptr<TlsReloader>> TlsReloader::Create(TlsFiles files) {
  if (files.cert_file.empty() || files.key_file.empty()) {
    return InvalidArgument("TLS needs both a certificate file and a key file");
  }
  if (files.client_auth != ClientAuth::kNone && files.client_ca_file.empty()) {
    return InvalidArgument("verifying client certificates needs a client CA file");
  }
  std::unique_ptr<TlsReloader> reloader(new TlsReloader(std::move(files)));
  std::string dir = (std::filesystem::temp_directory_path() / "inferd-tls-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    return Internal("cannot create a directory for TLS material: " +
                    std::string(std::strerror(errno)));
  }
  reloader->copy_dir_ = dir;
  reloader->identity_copy_ = dir + "/identity.pem";
  if (reloader->files_.client_auth != ClientAuth::kNone) {
    reloader->client_ca_copy_ = dir + "/client-ca.pem";
  }
  std::lock_guard lock(reloader->mu_);
  bool changed = false;
  if (Status s = reloader->LoadLocked(&changed); !s.ok()) return s;
  return reloader;
}

TlsReloader::~TlsReloader() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  std::error_code ec;
  if (!copy_dir_.empty()) std::filesystem::remove_all(copy_dir_, ec);
}

void TlsReloader::StartWatching(std::chrono::milliseconds interval) {
  std::lock_guard lock(mu_);
  if (!watcher_.joinable()) watcher_ = std::thread([this, interval] { Watch(interval); });
}

void TlsReloader::Watch(std::chrono::milliseconds interval) {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    const bool changed = Stat() != seen_;
    if (!changed) continue;
    lock.unlock();
    Reload("file change");
    lock.lock();
  }
}

TlsReloader::Signature TlsReloader::Stat() const {
  Signature signature;
  for (const std::string* path : {&files_.cert_file, &files_.key_file, &files_.client_ca_file}) {
    struct stat st {};
    if (path->empty() || ::stat(path->c_str(), &st) != 0) {
      signature.insert(signature.end(), {-1, -1, -1, -1});
      continue;
    }
    signature.insert(signature.end(), {static_cast<int64_t>(st.st_ino), st.st_size,
                                       st.st_mtim.tv_sec, st.st_mtim.tv_nsec});
  }
  return signature;
}

Status TlsReloader::LoadLocked(bool* changed) {
  *changed = false;
  // Taken before reading: a write that lands after this is seen next time.
  seen_ = Stat();
  Material m;
  auto key = ReadFile(files_.key_file, "TLS private key");
  if (!key.ok()) return key.status();
  m.key = std::move(key).value();
  auto chain = ReadFile(files_.cert_file, "TLS certificate");
  if (!chain.ok()) return chain.status();
  m.chain = std::move(chain).value();
  if (files_.client_auth != ClientAuth::kNone) {
    auto ca = ReadFile(files_.client_ca_file, "TLS client CA");
    if (!ca.ok()) return ca.status();
    m.client_ca = std::move(ca).value();
  }
  std::string all = m.key + '\n' + m.chain + '\n' + m.client_ca;
  const bool first = loaded_pem_.empty();
  if (!first && all == loaded_pem_) return Status::Ok();  // touched, not changed
  *changed = true;

  auto context = BuildHttpContext(m, files_);
  if (!context.ok()) return context.status();
  // Strictly increasing whole seconds: see grpc_identity_file().
  copies_mtime_ = std::max<int64_t>(copies_mtime_ + 1, ::time(nullptr));
  if (!client_ca_copy_.empty()) {
    if (Status s = WriteCopy(client_ca_copy_, m.client_ca, copies_mtime_); !s.ok()) return s;
  }
  // Key first: gRPC reads the key and the chain from this one file.
  if (Status s = WriteCopy(identity_copy_, m.key + '\n' + m.chain, copies_mtime_); !s.ok()) {
    return s;
  }
  const auto [serial, not_after] = Describe(**context);
  http_context_.store(std::move(context).value());
  loaded_pem_ = std::move(all);
  if (!first) ++reloads_;
  LogInfo(first ? "TLS certificate loaded" : "TLS certificate reloaded",
          {{"cert_file", files_.cert_file},
           {"serial", serial},
           {"not_after", not_after},
           {"client_auth", ClientAuthName(files_.client_auth)}});
  return Status::Ok();
}

bool TlsReloader::Reload(std::string_view trigger) {
  std::lock_guard lock(mu_);
  bool changed = false;
  const Status s = LoadLocked(&changed);
  if (!s.ok()) {
    LogError("TLS certificate not reloaded; the one in use is kept",
             {{"trigger", trigger}, {"reason", s.message()}});
    return false;
  }
  if (!changed) LogInfo("TLS files unchanged", {{"trigger", trigger}});
  return true;
}

std::shared_ptr<boost::asio::ssl::context> TlsReloader::HttpContext() const {
  return http_context_.load();
}

uint64_t TlsReloader::reloads() const {
  std::lock_guard lock(mu_);
  return reloads_;
}

}  // namespace inferd::tls
