// The scheduler of one model version: a bounded queue feeding the model's
// instances (threads that each run one batch at a time), with Triton's
// dynamic batching when the config asks for it.
//
// Thread-safety: Enqueue may be called from any thread. The destructor runs
// what is queued, then joins the instances; it must not run on an instance
// thread (model versions are destroyed on the manager's reaper thread).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "backends/backend.h"
#include "core/request_validator.h"

namespace inferd {

struct SchedulerOptions {
  int instances = 1;
  bool dynamic_batching = false;
  int64_t max_batch_size = 0;  // rows per batch; 0: the model does not batch
  std::vector<int64_t> preferred_batch_sizes;
  std::chrono::microseconds max_queue_delay{0};
  size_t max_queue_size = 0;  // 0: unbounded
  uint32_t priority_levels = 1;
};

using SchedulerClock = std::chrono::steady_clock;

struct QueuedRequest {
  PreparedRequest prepared;
  // Gets the outputs (backend order, as prepared.outputs asked) or an error.
  std::function<void(StatusOr<std::vector<Tensor>>)> done;
  SchedulerClock::time_point enqueued = SchedulerClock::now();
  SchedulerClock::time_point deadline = SchedulerClock::time_point::max();
  uint32_t priority = 0;  // 0 is the most urgent level
};

class ModelScheduler {
 public:
  ModelScheduler(Backend* backend, SchedulerOptions options);
  ~ModelScheduler();
  ModelScheduler(const ModelScheduler&) = delete;
  ModelScheduler& operator=(const ModelScheduler&) = delete;

  // Queues the request; UNAVAILABLE when the queue is full. On error the
  // request's `done` is not called.
  Status Enqueue(QueuedRequest request);
  size_t queue_depth() const;

 private:
  void InstanceLoop();
  std::vector<QueuedRequest> TakeBatchLocked(std::unique_lock<std::mutex>& lock);
  void Run(std::vector<QueuedRequest> batch);

  Backend* backend_;
  const SchedulerOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::deque<QueuedRequest>> queues_;  // one per priority level
  size_t queued_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> instances_;
};

}  // namespace inferd
