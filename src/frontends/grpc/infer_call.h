// The server side of one unary inference call: a reactor that notices when
// the client cancels or its deadline passes, and the translation of the
// call's deadline and cancellation into the core's request fields, so a call
// whose client gave up is dropped from the queue instead of run.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>

#include "core/infer_request.h"

namespace inferd::grpcfe {

class InferReactor : public grpc::ServerUnaryReactor {
 public:
  InferReactor() : cancelled_(std::make_shared<std::atomic<bool>>(false)) {}
  const std::shared_ptr<std::atomic<bool>>& cancelled() const { return cancelled_; }
  void OnCancel() override { cancelled_->store(true, std::memory_order_relaxed); }
  void OnDone() override { delete this; }

 private:
  std::shared_ptr<std::atomic<bool>> cancelled_;
};

// Sets the request's queue timeout from the call's deadline (when it has one)
// and links its cancellation to the reactor.
void BindCallToRequest(const grpc::CallbackServerContext& context, const InferReactor& reactor,
                       InferRequest& request);

}  // namespace inferd::grpcfe
