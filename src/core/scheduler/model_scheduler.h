// The scheduler of one model version: bounded priority queues feeding the
// model's instances (threads that each run one batch at a time), with
// Triton's dynamic batching when the config asks for it. A request may be
// pinned to one instance (the sequence batcher pins each sequence): pinned
// requests wait in that instance's own queue, which it serves first, and
// batch only with each other. Batch jobs' requests (background) wait below
// every level and run on a thread of their own at idle priority, only while
// an instance is free and nothing else waits.
//
// Thread-safety: Enqueue may be called from any thread. The destructor runs
// what is queued, then joins the instances; it must not run on an instance
// thread (model versions are destroyed on the manager's reaper thread).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/backend.h"
#include "core/prepared_request.h"
#include "core/scheduler/background_budget.h"
#include "core/scheduler/execution_report.h"
#include "core/scheduler/online_activity.h"
#include "observability/request_scope.h"

namespace inferd {

// Triton's ModelQueuePolicy for one priority level.
struct QueuePolicy {
  size_t max_queue_size = 0;                     // 0: unbounded
  std::chrono::microseconds default_timeout{0};  // 0: none
  bool allow_timeout_override = false;
};

struct SchedulerOptions {
  int instances = 1;
  bool dynamic_batching = false;
  int64_t max_batch_size = 0;  // rows per batch; 0: the model does not batch
  std::vector<int64_t> preferred_batch_sizes;
  std::chrono::microseconds max_queue_delay{0};
  // One per priority level, most urgent first; empty means one default level.
  std::vector<QueuePolicy> levels;
  uint32_t default_level = 0;  // the level of a request that names none
  // The instance threads run at SCHED_IDLE: only on CPU time nothing else
  // wants (a shadow, a batch backfill). The model's own intra-op threads
  // follow only when it runs on its instance threads (intra_op_thread_count 1).
  bool idle_priority = false;
  // Told of every online (not background) request queued; may be null.
  // Not owned: outlives the scheduler.
  OnlineActivity* online_activity = nullptr;
};

struct QueuedRequest {
  PreparedRequest prepared;
  // Gets the outputs (backend order, as prepared.outputs asked) or an error.
  std::function<void(StatusOr<std::vector<Tensor>>, const ExecutionReport&)> done;
  SchedulerClock::time_point enqueued = SchedulerClock::now();
  // The request's own queue timeout; the level's policy decides if it applies.
  std::optional<std::chrono::microseconds> timeout;
  std::optional<uint32_t> level;  // priority level, 0 the most urgent; unset: default
  // A batch job's work: queued below every level, without the levels' bounds
  // and timeouts (the job runner bounds what it has queued), and taken only
  // when no other request of the model waits.
  bool background = false;
  // Background work's budget: a batch of it runs holding a unit (null: none).
  std::shared_ptr<BackgroundBudget> budget;
  // Executed in a batch of its own.
  bool run_alone = false;
  // Set by the frontend when the client goes away; a cancelled request that is
  // still queued is answered CANCELLED without running.
  std::shared_ptr<const std::atomic<bool>> cancelled;
  // Runs on this instance (0-based), in arrival order with the other
  // requests pinned to it; unset: any instance.
  std::optional<int> instance;
  // The request as logs see it: installed while its batch runs.
  std::shared_ptr<RequestScope> scope;
};

// Called once per execution (batch), on the instance thread, with the report
// and the number of requests the batch held.
using ExecutionObserver = std::function<void(const ExecutionReport&, size_t requests)>;

class ModelScheduler {
 public:
  ModelScheduler(Backend* backend, SchedulerOptions options, ExecutionObserver observer = {});
  ~ModelScheduler();
  ModelScheduler(const ModelScheduler&) = delete;
  ModelScheduler& operator=(const ModelScheduler&) = delete;

  // Queues the request; UNAVAILABLE when its level's queue is full or the
  // version is stopping. On error the request's `done` is not called.
  Status Enqueue(QueuedRequest request);
  size_t queue_depth() const;
  const SchedulerOptions& options() const { return options_; }

 private:
  struct Entry {
    QueuedRequest request;
    SchedulerClock::time_point deadline;
  };
  void InstanceLoop(int index);
  // Takes instance `index`'s next batch; requests found expired or cancelled
  // go to `dropped`.
  std::vector<Entry> TakeBatchLocked(std::unique_lock<std::mutex>& lock, int index,
                                     std::vector<Entry>& dropped);
  // The batch to run now from the front of `queue` (true), or false and
  // `wake`, the time to look again. `shared`: a queue every instance serves,
  // whose requests are spread over the free instances.
  bool TakeFromLocked(std::deque<Entry>& queue, bool shared, std::vector<Entry>& batch,
                      std::vector<Entry>& dropped, SchedulerClock::time_point& wake);
  // Every queue: the priority levels, then each instance's pinned queue.
  template <typename Fn>
  void ForEachQueueLocked(Fn fn);
  void DropDeadLocked(SchedulerClock::time_point now, std::vector<Entry>& dropped);
  void DropDeadHeadsLocked(SchedulerClock::time_point now, std::vector<Entry>& dropped);
  void Run(std::vector<Entry> batch);
  // Batch jobs' requests (the background queue), on a thread of their own at
  // SCHED_IDLE, started with the first of them: taken only while an instance
  // is free and no other request waits, and run at a priority that yields
  // the CPU to online requests at once. It is not one of the instances: while
  // it runs, an online request may take the free instance beside it.
  void BackgroundLoop();
  bool OnlineWaitingLocked() const;
  // Answers queued requests at their deadline even while every instance is
  // busy; started with the first request that has a deadline.
  void ExpiryLoop();
  static void AnswerDropped(std::vector<Entry>& dropped);

  Backend* backend_;
  const SchedulerOptions options_;
  const ExecutionObserver observer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // One per priority level, then the background queue (batch jobs).
  std::vector<std::deque<Entry>> queues_;
  std::vector<std::deque<Entry>> pinned_;  // one per instance
  size_t queued_ = 0;
  int64_t free_instances_ = 0;  // instances waiting for work (not running a batch)
  bool stopping_ = false;
  std::vector<std::thread> instances_;
  std::condition_variable expiry_cv_;
  SchedulerClock::time_point earliest_deadline_ = SchedulerClock::time_point::max();
  std::thread expiry_;
  std::condition_variable background_cv_;
  std::thread background_;
};

}  // namespace inferd
