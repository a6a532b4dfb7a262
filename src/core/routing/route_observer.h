// What the core tells about requests that a route resolved: when one is
// about to queue, whether it should also be mirrored to the route's shadow,
// and, when its answer is known, its outcome. The core calls it; main
// composes the implementation (core/routing/route_traffic.h).
//
// Thread-safety: implementations are called from any request thread at once.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/infer_request.h"
#include "core/status.h"

namespace inferd {

// How a routed request ended, as the variant that served it is judged.
enum class RouteOutcome {
  kSuccess,
  kCallerError,  // refused before it ran (bad inputs, unknown outputs)
  kFailure,      // the variant failed it: the model's execution failed, it
                 // timed out in the queue, or the queue was full
  kUnavailable,  // the variant's model was not there to take it (a failure,
                 // not timed: it never ran)
};

class RouteObserver {
 public:
  virtual ~RouteObserver() = default;

  // Whether this request to `route`, served by `variant`, is one of the
  // share its route mirrors. Called before the request queues, so the core
  // can keep a copy of its inputs.
  virtual bool SampleShadow(std::string_view route, std::string_view variant) = 0;

  // The answer of a request `route` sent to `variant`: its outcome and its
  // time in the core (queue and execution). Called before the answer is
  // handed on.
  virtual void Finished(std::string_view route, std::string_view variant, RouteOutcome outcome,
                        std::chrono::nanoseconds latency) = 0;

  // A sampled request, after its answer has been handed on: `request` holds
  // a private copy of its inputs, `primary` the outputs it was answered with.
  virtual void Mirror(std::string route, InferRequest request, std::vector<Tensor> primary) = 0;
};

}  // namespace inferd
