// Per-version inference statistics: Triton's statistics extension (counts and
// cumulative nanoseconds) and the matching Prometheus series, recorded once
// in the core for every protocol.
//
// Thread-safety: all methods are thread-safe; the request path only touches
// atomics, except the first request of each (protocol, status) pair.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/scheduler/execution_report.h"
#include "core/status.h"
#include "observability/metrics.h"

namespace inferd {

struct DurationStat {
  uint64_t count = 0;
  uint64_t ns = 0;
};

struct BatchStat {
  int64_t batch_size = 0;
  DurationStat compute_input, compute_infer, compute_output;
};

// A consistent-enough copy for rendering (each field is read atomically).
struct ModelStatisticsSnapshot {
  uint64_t last_inference_ms = 0;  // since the epoch; 0: never
  uint64_t inference_count = 0;    // rows inferred by successful executions
  uint64_t execution_count = 0;
  DurationStat success, fail, queue, compute_input, compute_infer, compute_output;
  std::vector<BatchStat> batch_stats;  // ascending batch size
};

class ModelStatistics {
 public:
  // `registry` may be null (no Prometheus series, e.g. in unit tests).
  ModelStatistics(MetricsRegistry* registry, const std::string& model, int64_t version);

  // One per execution, from the scheduler's instance thread.
  void RecordExecution(const ExecutionReport& report, size_t requests);
  // One per request that reached this version, when its answer is known.
  void RecordRequest(std::string_view protocol, const Status& status,
                     std::chrono::nanoseconds total, const ExecutionReport& report);
  void RequestStarted();
  void RequestFinished();

  ModelStatisticsSnapshot Snapshot() const;

 private:
  struct AtomicDuration {
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> ns{0};
    void Add(std::chrono::nanoseconds d);
    DurationStat Load() const;
  };
  Counter* RequestCounter(std::string_view protocol, StatusCode code);

  MetricsRegistry* registry_;
  const MetricLabels labels_;
  std::atomic<uint64_t> last_inference_ms_{0};
  std::atomic<uint64_t> inference_count_{0};
  std::atomic<uint64_t> execution_count_{0};
  AtomicDuration success_, fail_, queue_, compute_input_, compute_infer_, compute_output_;

  mutable std::mutex batch_mu_;
  std::map<int64_t, BatchStat> batch_stats_;

  std::mutex counters_mu_;
  struct CounterKey {
    std::string protocol;
    StatusCode code;
    Counter* counter;
  };
  std::vector<CounterKey> counters_;

  // Prometheus series (null without a registry).
  Histogram* request_seconds_ = nullptr;
  Histogram* queue_seconds_ = nullptr;
  Histogram* compute_seconds_ = nullptr;
  Histogram* batch_size_ = nullptr;
  Counter* executions_ = nullptr;
  Counter* inferences_ = nullptr;
  Gauge* inflight_ = nullptr;
};

// The status label of a request: "success" or the code's name.
std::string_view RequestStatusLabel(StatusCode code);

}  // namespace inferd
