#include "frontends/grpc/infer_call.h"

#include <algorithm>
#include <chrono>

namespace inferd::grpcfe {

void BindCallToRequest(const grpc::CallbackServerContext& context, const InferReactor& reactor,
                       InferRequest& request) {
  request.cancelled = reactor.cancelled();
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return;
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
      deadline - std::chrono::system_clock::now());
  // An already-passed deadline still gets a (minimal) timeout: the answer is
  // DEADLINE_EXCEEDED from the queue, like any other late request.
  const auto timeout = std::max(left, std::chrono::microseconds(1));
  if (!request.timeout || timeout < *request.timeout) request.timeout = timeout;
}

}  // namespace inferd::grpcfe
