// The gRPC server: one listening port hosting every protocol's gRPC services
// (KServe v2, TF Serving). Services use gRPC's callback API, so an inference
// never holds a gRPC thread while it runs.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <climits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace inferd::grpcfe {

class PipelineGate;

struct GrpcServerOptions {
  std::string address = "0.0.0.0";
  int port = 8001;  // 0: pick a free port
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
  int port() const { return port_; }
  // Stops accepting calls and waits up to `timeout` for calls in flight.
  void Shutdown(std::chrono::milliseconds timeout);

 private:
  GrpcServerOptions options_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// Maps a core Status to the gRPC status with the same meaning.
grpc::Status ToGrpcStatus(const Status& status);

// Whether a gRPC peer string ("ipv4:127.0.0.1:5000", "ipv6:[::1]:5000",
// "unix:...") is this machine.
bool PeerIsLoopback(std::string_view peer);

}  // namespace inferd::grpcfe
