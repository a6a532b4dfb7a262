#include "frontends/grpc/grpc_server.h"

#include <absl/synchronization/mutex.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "frontends/grpc/pipeline_gate.h"

namespace inferd::grpcfe {
namespace {

// TLS credentials whose key material gRPC's own watcher re-reads from the
// files, so a certificate replaced on disk reaches new connections without a
// restart. gRPC defaults to TLS 1.2 at least, and to AEAD suites with forward
// secrecy only (GRPC_SSL_CIPHER_SUITES can narrow them further).
std::shared_ptr<grpc::ServerCredentials> TlsCredentials(const GrpcServerOptions& o) {
  using grpc::experimental::FileWatcherCertificateProvider;
  const bool verify_clients = o.tls_client_auth != tls::ClientAuth::kNone;
  auto provider = std::make_shared<FileWatcherCertificateProvider>(
      o.tls_identity_file, o.tls_identity_file, verify_clients ? o.tls_client_ca_file : "",
      o.tls_refresh_secs);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (verify_clients) {
    options.watch_root_certs();
    options.set_cert_request_type(o.tls_client_auth == tls::ClientAuth::kRequired
                                      ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                      : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace

GrpcServer::~GrpcServer() {
  Shutdown(std::chrono::milliseconds(0));
}

Status GrpcServer::Start() {
  if (options_.port < 0 && options_.tls_port < 0) return Status::Ok();  // no gRPC at all
  // Debian's Abseil is built without NDEBUG, which leaves absl::Mutex's
  // deadlock detector on: every lock gRPC takes updated its lock graph, about
  // 3.5% of the server's CPU under W1 over gRPC (bench/PROFILE.md). A release
  // build of Abseil, as gRPC's own, has it off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  grpc::ServerBuilder builder;
  int plain_port = 0;
  int tls_port = 0;
  if (options_.port >= 0) {
    builder.AddListeningPort(options_.address + ":" + std::to_string(options_.port),
                             grpc::InsecureServerCredentials(), &plain_port);
  }
  if (options_.tls_port >= 0) {
    builder.AddListeningPort(options_.address + ":" + std::to_string(options_.tls_port),
                             TlsCredentials(options_), &tls_port);
  }
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  if (options_.gate != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(options_.gate->MakeInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  server_ = builder.BuildAndStart();
  if (!server_ || (options_.port >= 0 && plain_port == 0) ||
      (options_.tls_port >= 0 && tls_port == 0)) {
    return Unavailable("cannot listen for gRPC on " + options_.address + ":" +
                       std::to_string(options_.port) +
                       (options_.tls_port >= 0 ? " and " + std::to_string(options_.tls_port) : ""));
  }
  if (options_.port >= 0) port_ = plain_port;
  if (options_.tls_port >= 0) tls_port_ = tls_port;
  return Status::Ok();
}

void GrpcServer::Shutdown(std::chrono::milliseconds timeout) {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + timeout);
  server_->Wait();
  server_.reset();
}

grpc::Status ToGrpcStatus(const Status& status) {
  grpc::StatusCode code = grpc::StatusCode::UNKNOWN;
  switch (status.code()) {
    case StatusCode::kOk:
      return grpc::Status::OK;
    case StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case StatusCode::kAlreadyExists:
      code = grpc::StatusCode::ALREADY_EXISTS;
      break;
    case StatusCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case StatusCode::kUnsupported:
      code = grpc::StatusCode::UNIMPLEMENTED;
      break;
    case StatusCode::kInternal:
      code = grpc::StatusCode::INTERNAL;
      break;
    case StatusCode::kResourceExhausted:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    case StatusCode::kDeadlineExceeded:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case StatusCode::kCancelled:
      code = grpc::StatusCode::CANCELLED;
      break;
    case StatusCode::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case StatusCode::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case StatusCode::kUnauthenticated:
      code = grpc::StatusCode::UNAUTHENTICATED;
      break;
  }
  return grpc::Status(code, status.message());
}

StatusCode FromGrpcCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return StatusCode::kOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return StatusCode::kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND:
      return StatusCode::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS:
      return StatusCode::kAlreadyExists;
    case grpc::StatusCode::UNAVAILABLE:
      return StatusCode::kUnavailable;
    case grpc::StatusCode::UNIMPLEMENTED:
      return StatusCode::kUnsupported;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return StatusCode::kResourceExhausted;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return StatusCode::kDeadlineExceeded;
    case grpc::StatusCode::CANCELLED:
      return StatusCode::kCancelled;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return StatusCode::kFailedPrecondition;
    case grpc::StatusCode::PERMISSION_DENIED:
      return StatusCode::kPermissionDenied;
    case grpc::StatusCode::UNAUTHENTICATED:
      return StatusCode::kUnauthenticated;
    default:
      return StatusCode::kInternal;
  }
}

bool PeerIsLoopback(std::string_view peer) {
  auto starts = [peer](std::string_view prefix) { return peer.substr(0, prefix.size()) == prefix; };
  return starts("ipv4:127.") || starts("ipv6:[::1]") || starts("ipv6:%5B::1%5D") ||
         starts("ipv6:[::ffff:127.") || starts("unix:");
}

}  // namespace inferd::grpcfe
