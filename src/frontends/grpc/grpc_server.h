// The gRPC server: a plain port, a TLS port, or both, hosting every
// protocol's gRPC services (KServe v2, TF Serving). Services use gRPC's
// callback API, so an inference never holds a gRPC thread while it runs.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <climits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "frontends/tls/tls_options.h"

namespace inferd::grpcfe {

class PipelineGate;

struct GrpcServerOptions {
  std::string address = "0.0.0.0";
  int port = 8001;    // 0: pick a free port; -1: none
  int tls_port = -1;  // the same, for TLS
  // TLS (when tls_port >= 0): a PEM file holding the private key and the
  // certificate chain, and the client CA ("" for none). gRPC re-reads both
  // every tls_refresh_secs: replace them only atomically (TlsReloader does).
  std::string tls_identity_file;
  std::string tls_client_ca_file;
  tls::ClientAuth tls_client_auth = tls::ClientAuth::kNone;
  unsigned tls_refresh_secs = 1;
  // As large as Triton's (and tritonclient's): 4 MiB is too small for tensors.
  int max_message_bytes = INT_MAX;
  // Runs the request pipeline on every call (null: none).
  PipelineGate* gate = nullptr;
};

class GrpcServer {
 public:
  explicit GrpcServer(GrpcServerOptions options) : options_(std::move(options)) {}
  ~GrpcServer();

  // Services must outlive the server; add them before Start.
  void AddService(grpc::Service* service) { services_.push_back(service); }
  Status Start();
  int port() const { return port_; }          // the bound plain port, -1 when none
  int tls_port() const { return tls_port_; }  // the bound TLS port, -1 when none
  // Stops accepting calls and waits up to `timeout` for calls in flight.
  void Shutdown(std::chrono::milliseconds timeout);

 private:
  GrpcServerOptions options_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = -1;
  int tls_port_ = -1;
};

// Maps a core Status to the gRPC status with the same meaning.
grpc::Status ToGrpcStatus(const Status& status);
// And back (a refusal answered in-band in a stream).
StatusCode FromGrpcCode(grpc::StatusCode code);

// Whether a gRPC peer string ("ipv4:127.0.0.1:5000", "ipv6:[::1]:5000",
// "unix:...") is this machine.
bool PeerIsLoopback(std::string_view peer);

}  // namespace inferd::grpcfe
