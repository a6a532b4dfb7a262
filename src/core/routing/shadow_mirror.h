// Runs mirrored requests on a route's shadow variant and compares its
// answers with the primary's. Requests wait in a bounded queue (full: the
// request is dropped and counted) and go to the core from the mirror's own
// thread, so a slow or failing shadow never holds or fails a primary.
//
// Ownership: owns its queue and thread. Stop it before the core shuts down;
// destroy it after (answers still in flight report back to it).
// Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/infer_request.h"
#include "core/routing/route.h"
#include "observability/metrics.h"

namespace inferd {

struct ShadowOutputTotals {
  uint64_t values = 0;
  double abs_diff_sum = 0;
  double abs_diff_max = 0;
  uint64_t mismatches = 0;  // answers whose output differed in type or shape
};

// Running totals of one route's shadow variant since the server started.
struct ShadowTotals {
  std::string variant;    // the shadow variant last mirrored to
  uint64_t mirrored = 0;  // sent to the shadow
  uint64_t dropped = 0;   // not sent: the queue was full
  uint64_t errors = 0;    // the shadow answered an error (timeouts included)
  uint64_t compared = 0;  // answers compared with the primary's
  uint64_t rows = 0;      // rows compared by label (or argmax)
  uint64_t rows_agreeing = 0;
  uint64_t latency_count = 0;
  double latency_sum_s = 0;
  std::string last_error;
  std::map<std::string, ShadowOutputTotals> outputs;
};

class ShadowMirror {
 public:
  // Runs a request in the core (ServerCore::Infer).
  using Runner = std::function<void(InferRequest, InferCallback)>;

  // `capacity`: mirrored requests waiting at once; `max_running`: in the
  // core at once (a slow shadow's queue holds no more of them).
  ShadowMirror(MetricsRegistry* registry, size_t capacity, size_t max_running = 64);
  ~ShadowMirror();
  ShadowMirror(const ShadowMirror&) = delete;
  ShadowMirror& operator=(const ShadowMirror&) = delete;

  // Before the first Offer.
  void SetRunner(Runner runner);
  // Runs `request` on `variant` (the route's shadow), then compares its
  // outputs with `primary`. Dropped (and counted) when full or stopped.
  void Offer(const std::string& route, const RouteVariant& variant, uint32_t timeout_ms,
             InferRequest request, std::vector<Tensor> primary);
  // What the route mirrored to `variant`; zero totals when it never did.
  ShadowTotals Totals(const std::string& route, const std::string& variant) const;
  // Drops what waits, cancels what is queued in the core (it never runs) and
  // ends the thread; answers in flight still report.
  void Stop();

 private:
  struct Job {
    std::string route;
    std::string variant;
    InferRequest request;
    std::vector<Tensor> primary;
  };
  void Run();
  void Done(const Job& job, const StatusOr<InferResponse>& answer,
            std::chrono::steady_clock::duration took);
  Counter& Outcome(const std::string& route, const std::string& variant, const char* outcome);

  MetricsRegistry* registry_;
  const size_t capacity_;
  const size_t max_running_;
  // Set by Stop: every mirrored request carries it, so a shutdown does not
  // wait for a slow shadow's queue.
  const std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
  Runner runner_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::map<std::pair<std::string, std::string>, ShadowTotals> totals_;  // by route, variant
  std::thread thread_;  // last: starts once the rest is set
};

}  // namespace inferd
