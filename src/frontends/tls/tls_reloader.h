// The server's TLS material (certificate chain, private key, client CA), read
// from PEM files, checked, and re-read when the files change or on request
// (SIGHUP), without dropping a connection:
//   - HTTP asks HttpContext() at every accept: new connections get the newest
//     context, open ones keep the one they started with;
//   - gRPC's own file watcher reads checked copies of the files (see
//     grpc_identity_file), so a broken pair never reaches it either.
// New material that cannot be used (unreadable, a key that does not match the
// certificate, no certificate) is logged and the material in use is kept.
//
// Ownership: owns the watcher thread and a private directory (mode 0700) that
// holds the copies for gRPC, removed on destruction.
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"
#include "frontends/tls/tls_options.h"

namespace boost::asio::ssl {
class context;
}

namespace inferd::tls {

class TlsReloader {
 public:
  // Reads and checks the files once; an error when they are unusable, so a
  // server never starts with TLS it cannot serve.
  static StatusOr<std::unique_ptr<TlsReloader>> Create(TlsFiles files);
  ~TlsReloader();
  TlsReloader(const TlsReloader&) = delete;
  TlsReloader& operator=(const TlsReloader&) = delete;

  // Starts a thread that looks at the files' modification times every
  // `interval` and reloads when one changed.
  void StartWatching(std::chrono::milliseconds interval);

  // Re-reads the files now; true when the new material is in use (also when
  // it did not change), false when it was refused (logged, the old one kept).
  // `trigger` says why, for the log ("SIGHUP", "file change").
  bool Reload(std::string_view trigger);

  // The context for a new HTTPS connection; never null.
  std::shared_ptr<boost::asio::ssl::context> HttpContext() const;

  // For gRPC's FileWatcherCertificateProvider: the checked private key and
  // certificate chain in one PEM file (key first), and the checked client CA
  // ("" when there is none). Each is replaced by a rename, and its mtime
  // always moves forward by at least a second, so gRPC's watcher (which
  // compares mtimes in seconds before and after reading) never reads a key
  // and a chain from different generations.
  const std::string& grpc_identity_file() const { return identity_copy_; }
  const std::string& grpc_client_ca_file() const { return client_ca_copy_; }

  const TlsFiles& files() const { return files_; }
  // How many times new material was taken into use after the first load.
  uint64_t reloads() const;

 private:
  // The files' identity (inode, size, mtime), to notice a change cheaply.
  using Signature = std::vector<int64_t>;

  explicit TlsReloader(TlsFiles files);
  // Reads, checks, swaps; mu_ held. `changed`: new material taken into use.
  Status LoadLocked(bool* changed);
  Signature Stat() const;
  void Watch(std::chrono::milliseconds interval);

  const TlsFiles files_;
  std::filesystem::path copy_dir_;
  std::string identity_copy_;
  std::string client_ca_copy_;

  // What new HTTPS connections get; swapped without a lock, so an accept
  // never waits for a reload.
  std::atomic<std::shared_ptr<boost::asio::ssl::context>> http_context_;

  mutable std::mutex mu_;   // guards everything below; held by a reload
  std::string loaded_pem_;  // key + chain + CA as last taken into use
  Signature seen_;          // the files as they were at the last attempt
  int64_t copies_mtime_ = 0;
  uint64_t reloads_ = 0;
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread watcher_;
};

}  // namespace inferd::tls
