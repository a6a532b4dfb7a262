#include "frontends/grpc/pipeline_gate.h"

#include <google/protobuf/message_lite.h>

#include "core/lifecycle/model_manager.h"
#include "frontends/grpc/grpc_server.h"
#include "observability/log.h"
#include "pipeline/auth/authorization_filter.h"
#include "pipeline/request_scope_link.h"

namespace inferd::grpcfe {

using grpc::experimental::InterceptionHookPoints;

struct PipelineGate::Call {
  std::mutex mu;  // the handler (Admit) and the interceptor may run on different threads
  pipeline::RequestContext context;
  std::shared_ptr<RequestScope> scope;  // made when the call is first admitted
  std::optional<pipeline::Refusal> refusal;
  bool call_ran = false;  // the call phase ran (metadata arrived)
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  bool done = false;
};

namespace {

class MetadataHeaders final : public pipeline::HeaderSource {
 public:
  explicit MetadataHeaders(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata)
      : metadata_(metadata) {}
  std::string_view Get(std::string_view lower_name) const override {
    auto it = metadata_.find(grpc::string_ref(lower_name.data(), lower_name.size()));
    if (it == metadata_.end()) return {};
    return {it->second.data(), it->second.size()};
  }

 private:
  const std::multimap<grpc::string_ref, grpc::string_ref>& metadata_;
};

// "ipv4:127.0.0.1:5000" -> "127.0.0.1:5000".
// gRPC percent-encodes the brackets of IPv6 peers ("ipv6:%5B::1%5D:5000").
std::string PeerAddress(const std::string& peer) {
  const size_t colon = peer.find(':');
  std::string address = colon == std::string::npos ? peer : peer.substr(colon + 1);
  for (const auto& [from, to] : {std::pair{"%5B", "["}, std::pair{"%5D", "]"}}) {
    for (size_t at = address.find(from); at != std::string::npos; at = address.find(from, at)) {
      address.replace(at, 3, to);
    }
  }
  return address;
}

// A route's sticky key from the call's metadata or its identity; borrows
// the metadata, which lives as long as the call.
class MetadataRouteKeys final : public RouteKeyValues {
 public:
  MetadataRouteKeys(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                    std::optional<std::string> identity, bool may_force)
      : metadata_(metadata), identity_(std::move(identity)), may_force_(may_force) {}
  std::optional<std::string> Header(std::string_view lower_name) const override {
    auto it = metadata_.find(grpc::string_ref(lower_name.data(), lower_name.size()));
    if (it == metadata_.end()) return std::nullopt;
    return std::string(it->second.data(), it->second.size());
  }
  std::optional<std::string> Query(std::string_view) const override { return std::nullopt; }
  std::optional<std::string> Identity() const override { return identity_; }
  std::optional<std::string> ForcedVariant() const override {
    return may_force_ ? Header("x-inferd-variant") : std::nullopt;
  }

 private:
  const std::multimap<grpc::string_ref, grpc::string_ref>& metadata_;
  std::optional<std::string> identity_;
  bool may_force_;  // an admin, or anyone without authentication
};

std::string CertificateSubject(const grpc::ServerContextBase& context) {
  auto auth = context.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return {};
  for (const auto& value : auth->FindPropertyValues("x509_subject")) {
    return std::string(value.data(), value.size());
  }
  return {};
}

}  // namespace

class PipelineInterceptor final : public grpc::experimental::Interceptor {
 public:
  PipelineInterceptor(PipelineGate* gate, grpc::experimental::ServerRpcInfo* info)
      : gate_(gate), info_(info), call_(gate->Begin(info)) {}
  ~PipelineInterceptor() override {
    {
      // A call that ended without a status sent (the client cancelled) still
      // ends in the filters: an admin action it started is audited.
      std::lock_guard lock(call_->mu);
      call_->context.held.clear();
      if (!call_->done) {
        call_->done = true;
        const pipeline::Outcome outcome{static_cast<int>(grpc::StatusCode::CANCELLED), "grpc",
                                        call_->bytes_in, call_->bytes_out};
        gate_->pipeline_->Done(call_->context, outcome);
      }
    }
    gate_->End(info_->server_context());
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      MetadataHeaders headers(*methods->GetRecvInitialMetadata());
      std::lock_guard lock(call_->mu);
      call_->context.headers = &headers;
      call_->refusal = gate_->pipeline_->RunCall(call_->context);
      call_->context.headers = nullptr;
      call_->call_ran = true;
      if (call_->refusal) {
        for (const auto& header : call_->refusal->headers) {
          call_->context.response_headers.push_back(header);
        }
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      if (auto* message = static_cast<google::protobuf::MessageLite*>(methods->GetRecvMessage())) {
        std::lock_guard lock(call_->mu);
        call_->bytes_in += message->ByteSizeLong();
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      if (const void* message = methods->GetSendMessage()) {
        std::lock_guard lock(call_->mu);
        call_->bytes_out +=
            static_cast<const google::protobuf::MessageLite*>(message)->ByteSizeLong();
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      std::lock_guard lock(call_->mu);
      if (call_->scope) pipeline::TakeNamedRequestId(call_->context, *call_->scope);
      auto* trailing = methods->GetSendTrailingMetadata();
      for (const auto& [name, value] : call_->context.response_headers) {
        trailing->emplace(name, value);
      }
      if (call_->scope) {
        pipeline::AddServedByHeaders(*call_->scope,
                                     [trailing](std::string_view name, std::string_view value) {
                                       trailing->emplace(std::string(name), std::string(value));
                                     });
      }
      call_->context.held.clear();  // permits back before the client hears the end
      if (!call_->done) {
        call_->done = true;
        pipeline::Outcome outcome{static_cast<int>(status.error_code()), "grpc", call_->bytes_in,
                                  call_->bytes_out};
        if (call_->scope) pipeline::AddExecutionTimes(outcome, *call_->scope);
        gate_->pipeline_->Done(call_->context, outcome);
      }
    }
    methods->Proceed();
  }

 private:
  PipelineGate* gate_;
  grpc::experimental::ServerRpcInfo* info_;
  std::shared_ptr<PipelineGate::Call> call_;
};

namespace {

class InterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit InterceptorFactory(PipelineGate* gate) : gate_(gate) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new PipelineInterceptor(gate_, info);
  }

 private:
  PipelineGate* gate_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
PipelineGate::MakeInterceptorFactory() {
  return std::make_unique<InterceptorFactory>(this);
}

std::shared_ptr<PipelineGate::Call> PipelineGate::Begin(grpc::experimental::ServerRpcInfo* info) {
  auto call = std::make_shared<Call>();
  pipeline::RequestContext& context = call->context;
  const std::string_view method = info->method() ? info->method() : "";
  auto it = rpcs_.find(method);
  context.kind = it != rpcs_.end() ? it->second.kind : pipeline::RouteKind::kAdmin;
  context.protocol = it != rpcs_.end() ? it->second.protocol : std::string_view("grpc");
  context.route = std::string(method);
  context.method = "RPC";
  grpc::ServerContextBase* server_context = info->server_context();
  const std::string peer = server_context->peer();
  context.client_address = PeerAddress(peer);
  context.client_is_loopback = PeerIsLoopback(peer);
  context.tls_peer = CertificateSubject(*server_context);
  std::lock_guard lock(mu_);
  calls_[server_context] = call;
  return call;
}

void PipelineGate::End(const grpc::ServerContextBase* context) {
  std::lock_guard lock(mu_);
  calls_.erase(context);
}

std::shared_ptr<const ModelVisibility> PipelineGate::Visibility(
    grpc::ServerContextBase* context) const {
  std::shared_ptr<Call> call;
  {
    std::lock_guard lock(mu_);
    auto it = calls_.find(context);
    if (it != calls_.end()) call = it->second;
  }
  // No call state: Admit refused the call already; see nothing.
  if (!call) return std::make_shared<const ModelVisibility>([](std::string_view) { return false; });
  std::lock_guard lock(call->mu);
  return pipeline::VisibilityOf(call->context.identity);
}

grpc::Status PipelineGate::RefusalStatus(const pipeline::RequestContext& context,
                                         const pipeline::Refusal& refusal) {
  if (refusal.as_unknown_model) return ToGrpcStatus(ModelManager::UnknownModel(context.model));
  return ToGrpcStatus(refusal.status);
}

Admission PipelineGate::Admit(grpc::ServerContextBase* context, std::string_view model,
                              std::string_view version) const {
  return AdmitAt(context, model, version, false);
}

Admission PipelineGate::AdmitMessage(grpc::ServerContextBase* context, std::string_view model,
                                     std::string_view version) const {
  return AdmitAt(context, model, version, true);
}

Admission PipelineGate::AdmitAt(grpc::ServerContextBase* context, std::string_view model,
                                std::string_view version, bool message) const {
  std::shared_ptr<Call> call;
  {
    std::lock_guard lock(mu_);
    auto it = calls_.find(context);
    if (it != calls_.end()) call = it->second;
  }
  // Every call is intercepted; a call without state means the interceptor
  // was not installed, and nothing is let through unchecked.
  if (!call) return grpc::Status(grpc::StatusCode::INTERNAL, "the request pipeline did not run");
  std::lock_guard lock(call->mu);
  // Fail closed: without the call phase there is no identity to go by.
  if (!call->call_ran) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "the request pipeline did not run");
  }
  if (call->refusal) return RefusalStatus(call->context, *call->refusal);
  call->context.model = std::string(model);
  call->context.version = std::string(version);
  auto refusal =
      message ? pipeline_->RunMessage(call->context) : pipeline_->RunTarget(call->context);
  if (refusal) {
    // A unary call's refusal is its end: its headers go in the trailers. A
    // stream's message is refused in-band and adds nothing there.
    if (!message) {
      for (auto& header : refusal->headers) call->context.response_headers.push_back(header);
    }
    return Admission(RefusalStatus(call->context, *refusal), nullptr, refusal->as_unknown_model);
  }
  if (!call->scope) call->scope = pipeline::MakeRequestScope(call->context);
  const pipeline::Identity& identity = call->context.identity;
  auto keys = std::make_unique<MetadataRouteKeys>(
      context->client_metadata(),
      identity.authenticated() ? std::optional<std::string>(identity.Label()) : std::nullopt,
      identity.roles.Has(Role::kAdmin));
  return Admission(grpc::Status::OK, call->scope, false, std::move(keys));
}

}  // namespace inferd::grpcfe
