// Protocol-free inference request and response.
//
// Every frontend decodes its wire format into an InferRequest and encodes the
// InferResponse it gets back; nothing here knows about HTTP, JSON or gRPC.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/classification.h"
#include "core/scheduler/background_budget.h"
#include "core/status.h"
#include "core/tensor.h"
#include "observability/request_scope.h"

namespace inferd {

// A request's place in a sequence (Triton's sequence_id, sequence_start and
// sequence_end parameters). Models without sequence batching ignore it.
struct SequenceParams {
  uint64_t id = 0;      // a numeric correlation id; 0 is none
  std::string id_text;  // or a string one
  bool start = false;
  bool end = false;
  bool HasId() const { return id != 0 || !id_text.empty(); }
  std::string IdString() const { return id_text.empty() ? std::to_string(id) : id_text; }
};

struct InferRequest {
  std::string model_name;
  // Empty: the model's default version. Otherwise a positive integer.
  std::string model_version;
  std::string id;
  std::vector<Tensor> inputs;
  // Names of the outputs to return; empty means all of them.
  std::vector<std::string> requested_outputs;
  // Requested outputs to answer as their top classes instead (Triton's
  // classification extension); each is also in requested_outputs.
  std::vector<OutputClassification> classifications;
  SequenceParams sequence;

  // How long the request may wait in the model's queue (KServe's `timeout`
  // parameter, a gRPC deadline); past it the answer is DEADLINE_EXCEEDED.
  std::optional<std::chrono::microseconds> timeout;
  // Triton's priority: 0 the model's default level, 1 the most urgent.
  uint32_t priority = 0;
  // A batch job's rows: queued below every priority level, run only when no
  // other request for the model waits.
  bool background = false;
  // Background work only: the budget its execution runs under (null: none).
  std::shared_ptr<BackgroundBudget> budget;
  // Executed in a batch of its own, never with other requests (a batch job
  // runs a row alone to find out whether that row is at fault).
  bool run_alone = false;
  // The frontend sets it when the client goes away before the answer.
  std::shared_ptr<std::atomic<bool>> cancelled;
  // The request's own parameters with a string, integer or boolean value
  // (KServe's request-level `parameters`), as text: a route may take its
  // sticky key from one (`param:<name>`).
  std::vector<std::pair<std::string, std::string>> parameters;
  // The protocol it came in on, a static name for metrics ("kserve_http", ...).
  std::string_view protocol = "unknown";
  // The request as logs see it; ServerCore::Infer takes the thread's current
  // one (observability/request_scope.h) when it is not set.
  std::shared_ptr<RequestScope> scope;
};

struct InferResponse {
  std::string model_name;
  int64_t model_version = 0;
  std::string id;
  // When the request named a route (core/routing/): the route, and the
  // variant that served it. Empty otherwise.
  std::string route;
  std::string variant;
  std::vector<Tensor> outputs;
};

// Called exactly once, on a core thread, with the response or an error.
using InferCallback = std::function<void(StatusOr<InferResponse>)>;

}  // namespace inferd
