// The request pipeline for gRPC: one server interceptor runs it for every
// call of every service. Its call phase (request id, trace, identity,
// limits, admin rule) runs as soon as the call's metadata arrives, before
// any message is decoded; the answer's trailing metadata gets the filters'
// headers, and the filters' OnDone (access log) runs with the final status.
//
// gRPC's C++ server interceptors cannot answer a call themselves, so each
// rpc handler asks Admit() first, with the model its message names: Admit
// returns the call phase's refusal, or runs the target phase
// (authorization) and returns its refusal, as the gRPC status to finish
// with. A handler that skipped Admit would serve refused calls: every rpc is
// in the authorization matrix of tests/e2e/test_security.py.
//
// Ownership: main owns the gate; it must outlive the gRPC server and the
// services. Thread-safety: all methods are thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/model_visibility.h"
#include "core/routing/route_keys_scope.h"
#include "observability/request_scope.h"
#include "pipeline/pipeline.h"

namespace inferd::grpcfe {

// What Admit answers: the status to finish the call (or stream message) with
// when it is not OK. While it is alive, an admitted call's request (id,
// trace) is installed on this thread, so the lines the handler causes, here
// and on the core's threads, carry them: keep it to the end of the handler.
class Admission {
 public:
  Admission(grpc::Status status, std::shared_ptr<RequestScope> request = nullptr,
            bool as_unknown_model = false, std::unique_ptr<RouteKeyValues> keys = nullptr)
      : status_(std::move(status)),
        as_unknown_model_(as_unknown_model),
        installed_(request ? std::make_unique<ScopedRequest>(std::move(request)) : nullptr),
        keys_(std::move(keys)),
        keyed_(keys_ ? std::make_unique<ScopedRouteKeys>(keys_.get()) : nullptr) {}
  // Neither copied nor moved: its scope must end on the handler's thread
  // (returned by value all the same, as a prvalue).
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  bool ok() const { return status_.ok(); }
  const grpc::Status& status() const { return status_; }
  // Refused because the identity may not see the model: an rpc that answers
  // a missing model with something other than an error (ModelReady:
  // ready=false) answers this one the same way, so names do not leak.
  bool as_unknown_model() const { return as_unknown_model_; }

 private:
  grpc::Status status_;
  bool as_unknown_model_;
  std::unique_ptr<ScopedRequest> installed_;
  std::unique_ptr<RouteKeyValues> keys_;  // a route's sticky key, from the call's metadata
  std::unique_ptr<ScopedRouteKeys> keyed_;
};

// What the pipeline needs to know of an rpc ("/inference.GRPCInferenceService/ModelInfer").
struct RpcInfo {
  pipeline::RouteKind kind;
  std::string_view protocol;  // "kserve-grpc", "tfserving-grpc"
};
using RpcTable = std::map<std::string, RpcInfo, std::less<>>;

class PipelineGate {
 public:
  // Rpcs missing from `rpcs` are treated as admin calls (the strictest).
  PipelineGate(const pipeline::Pipeline* pipeline, RpcTable rpcs)
      : pipeline_(pipeline), rpcs_(std::move(rpcs)) {}

  // For ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeInterceptorFactory();

  // OK when the call may go on to serve `model` (empty when the rpc names
  // none); otherwise the status to finish the call (or stream message) with.
  Admission Admit(grpc::ServerContextBase* context, std::string_view model,
                  std::string_view version) const;
  // The same for a stream's further message (gRPC ModelStreamInfer): its
  // model, and the per-request limits again.
  Admission AdmitMessage(grpc::ServerContextBase* context, std::string_view model,
                         std::string_view version) const;

  // What the call's identity may see in listings (null: everything).
  std::shared_ptr<const ModelVisibility> Visibility(grpc::ServerContextBase* context) const;

  // The status a refusal is answered with.
  static grpc::Status RefusalStatus(const pipeline::RequestContext& context,
                                    const pipeline::Refusal& refusal);

  struct Call;  // one call's context and call-phase verdict

 private:
  friend class PipelineInterceptor;
  std::shared_ptr<Call> Begin(grpc::experimental::ServerRpcInfo* info);
  Admission AdmitAt(grpc::ServerContextBase* context, std::string_view model,
                    std::string_view version, bool message) const;
  void End(const grpc::ServerContextBase* context);

  const pipeline::Pipeline* pipeline_;
  const RpcTable rpcs_;
  mutable std::mutex mu_;
  std::unordered_map<const grpc::ServerContextBase*, std::shared_ptr<Call>> calls_;
};

// Admit through a gate that may be null (no pipeline: everything is admitted).
inline Admission Admit(const PipelineGate* gate, grpc::ServerContextBase* context,
                       std::string_view model, std::string_view version = {}) {
  return gate ? gate->Admit(context, model, version) : Admission(grpc::Status::OK);
}
inline std::shared_ptr<const ModelVisibility> Visibility(const PipelineGate* gate,
                                                         grpc::ServerContextBase* context) {
  return gate ? gate->Visibility(context) : nullptr;
}
inline Admission AdmitMessage(const PipelineGate* gate, grpc::ServerContextBase* context,
                              std::string_view model, std::string_view version = {}) {
  return gate ? gate->AdmitMessage(context, model, version) : Admission(grpc::Status::OK);
}

}  // namespace inferd::grpcfe
