#include "frontends/grpc/grpc_server.h"

#include "frontends/grpc/pipeline_gate.h"

namespace inferd::grpcfe {

GrpcServer::~GrpcServer() {
  Shutdown(std::chrono::milliseconds(0));
}

Status GrpcServer::Start() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.address + ":" + std::to_string(options_.port),
                           grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  for (grpc::Service* service : services_) builder.RegisterService(service);
  if (options_.gate != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(options_.gate->MakeInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    return Unavailable("cannot listen for gRPC on " + options_.address + ":" +
                       std::to_string(options_.port));
  }
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

bool PeerIsLoopback(std::string_view peer) {
  auto starts = [peer](std::string_view prefix) { return peer.substr(0, prefix.size()) == prefix; };
  return starts("ipv4:127.") || starts("ipv6:[::1]") || starts("ipv6:%5B::1%5D") ||
         starts("ipv6:[::ffff:127.") || starts("unix:");
}

}  // namespace inferd::grpcfe
