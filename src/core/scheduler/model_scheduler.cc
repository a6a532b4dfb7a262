#include "core/scheduler/model_scheduler.h"

#include <algorithm>

#include "core/scheduler/batch_assembly.h"
#include "core/scheduler/thread_priority.h"
#include "observability/log.h"

namespace inferd {
namespace {

std::chrono::nanoseconds Since(SchedulerClock::time_point start, SchedulerClock::time_point end) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(end - start);
}

bool IsCancelled(const QueuedRequest& r) {
  return r.cancelled && r.cancelled->load(std::memory_order_relaxed);
}

}  // namespace

ModelScheduler::ModelScheduler(Backend* backend, SchedulerOptions options,
                               ExecutionObserver observer)
    : backend_(backend), options_(std::move(options)), observer_(std::move(observer)) {
  queues_.resize(std::max<size_t>(1, options_.levels.size()) + 1);
  const int instances = std::max(1, options_.instances);
  pinned_.resize(static_cast<size_t>(instances));
  for (int i = 0; i < instances; ++i) {
    instances_.emplace_back([this, i] { InstanceLoop(i); });
  }
}

ModelScheduler::~ModelScheduler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  expiry_cv_.notify_all();
  background_cv_.notify_all();
  if (expiry_.joinable()) expiry_.join();
  // Joining itself would throw; the reaper thread makes this unreachable,
  // but a detached thread is still better than a crash.
  const auto join = [](std::thread& t) {
    if (!t.joinable()) return;
    if (t.get_id() == std::this_thread::get_id()) {
      t.detach();
    } else {
      t.join();
    }
  };
  join(background_);
  for (auto& t : instances_) join(t);
}

template <typename Fn>
void ModelScheduler::ForEachQueueLocked(Fn fn) {
  for (auto& queue : queues_) fn(queue);
  for (auto& queue : pinned_) fn(queue);
}

Status ModelScheduler::Enqueue(QueuedRequest request) {
  bool pinned = false;
  const bool background = request.background;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Unavailable("the model version is unloading");
    if (request.instance &&
        (*request.instance < 0 || static_cast<size_t>(*request.instance) >= pinned_.size())) {
      return Internal("request pinned to instance " + std::to_string(*request.instance) + " of " +
                      std::to_string(pinned_.size()));
    }
    const size_t last = queues_.size() - 1;  // the background queue
    const size_t level =
        background ? last
                   : std::min<size_t>(request.level.value_or(options_.default_level), last - 1);
    const QueuePolicy policy =
        options_.levels.empty() || level == last ? QueuePolicy{} : options_.levels[level];
    // A pinned request counts against its instance's queue.
    const size_t depth = request.instance ? pinned_[static_cast<size_t>(*request.instance)].size()
                                          : queues_[level].size();
    if (policy.max_queue_size > 0 && depth >= policy.max_queue_size) {
      return Unavailable("the model's queue is full (" + std::to_string(policy.max_queue_size) +
                         " requests); retry later");
    }
    // Triton's rule: the level's default timeout holds unless the request may
    // override it and asks for less (or there is no default).
    std::optional<std::chrono::microseconds> timeout;
    if (policy.default_timeout.count() > 0) timeout = policy.default_timeout;
    if (request.timeout &&
        (!timeout || (policy.allow_timeout_override && *request.timeout < *timeout))) {
      timeout = request.timeout;
    }
    const auto deadline = timeout ? request.enqueued + *timeout : SchedulerClock::time_point::max();
    pinned = request.instance.has_value();
    auto& queue = pinned ? pinned_[static_cast<size_t>(*request.instance)] : queues_[level];
    queue.push_back(Entry{std::move(request), deadline});
    ++queued_;
    if (background && !pinned && !background_.joinable()) {
      background_ = std::thread([this] { BackgroundLoop(); });
    }
    if (deadline < earliest_deadline_) {
      earliest_deadline_ = deadline;
      if (!expiry_.joinable()) expiry_ = std::thread([this] { ExpiryLoop(); });
      expiry_cv_.notify_one();
    }
  }
  // Only the pinned instance may take a pinned request: wake them all.
  if (background && !pinned) {
    background_cv_.notify_one();
  } else if (pinned) {
    cv_.notify_all();
  } else {
    cv_.notify_one();
  }
  if (!background && options_.online_activity != nullptr) options_.online_activity->Note();
  return Status::Ok();
}

size_t ModelScheduler::queue_depth() const {
  std::lock_guard lock(mu_);
  return queued_;
}

void ModelScheduler::InstanceLoop(int index) {
  if (options_.idle_priority) RunThisThreadWhenIdle("model instance");
  std::unique_lock lock(mu_);
  std::vector<Entry> dropped;
  for (;;) {
    ++free_instances_;
    std::vector<Entry> batch = TakeBatchLocked(lock, index, dropped);
    --free_instances_;
    lock.unlock();
    AnswerDropped(dropped);
    dropped.clear();
    if (batch.empty()) {
      lock.lock();
      if (stopping_) {
        // Done once nothing this instance could take is left.
        size_t mine = pinned_[static_cast<size_t>(index)].size();
        for (size_t q = 0; q + 1 < queues_.size(); ++q) mine += queues_[q].size();
        if (mine == 0) return;
      }
      continue;
    }
    Run(std::move(batch));
    lock.lock();
  }
}

void ModelScheduler::AnswerDropped(std::vector<Entry>& dropped) {
  const auto now = SchedulerClock::now();
  for (Entry& e : dropped) {
    ExecutionReport report;
    report.queue = Since(e.request.enqueued, now);
    if (IsCancelled(e.request)) {
      e.request.done(Status(StatusCode::kCancelled, "the client went away"), report);
    } else {
      e.request.done(
          Status(StatusCode::kDeadlineExceeded, "the request's timeout passed while it was queued"),
          report);
    }
  }
  dropped.clear();
}

void ModelScheduler::ExpiryLoop() {
  std::unique_lock lock(mu_);
  std::vector<Entry> dropped;
  while (!stopping_) {
    if (earliest_deadline_ == SchedulerClock::time_point::max()) {
      expiry_cv_.wait(lock);
    } else {
      expiry_cv_.wait_until(lock, earliest_deadline_);
    }
    DropDeadLocked(SchedulerClock::now(), dropped);
    earliest_deadline_ = SchedulerClock::time_point::max();
    ForEachQueueLocked([&](std::deque<Entry>& queue) {
      for (const Entry& e : queue) earliest_deadline_ = std::min(earliest_deadline_, e.deadline);
    });
    if (dropped.empty()) continue;
    lock.unlock();
    AnswerDropped(dropped);
    lock.lock();
  }
}

void ModelScheduler::DropDeadHeadsLocked(SchedulerClock::time_point now,
                                         std::vector<Entry>& dropped) {
  ForEachQueueLocked([&](std::deque<Entry>& queue) {
    while (!queue.empty() &&
           (queue.front().deadline <= now || IsCancelled(queue.front().request))) {
      dropped.push_back(std::move(queue.front()));
      queue.pop_front();
      --queued_;
    }
  });
}

void ModelScheduler::DropDeadLocked(SchedulerClock::time_point now, std::vector<Entry>& dropped) {
  ForEachQueueLocked([&](std::deque<Entry>& queue) {
    for (auto it = queue.begin(); it != queue.end();) {
      if (it->deadline <= now || IsCancelled(it->request)) {
        dropped.push_back(std::move(*it));
        it = queue.erase(it);
        --queued_;
      } else {
        ++it;
      }
    }
  });
}

std::vector<ModelScheduler::Entry> ModelScheduler::TakeBatchLocked(
    std::unique_lock<std::mutex>& lock, int index, std::vector<Entry>& dropped) {
  for (;;) {
    // Only the heads of the queues: the expiry thread scans the rest when a
    // deadline passes, and a cancelled request is dropped when it comes up.
    DropDeadHeadsLocked(SchedulerClock::now(), dropped);
    if (!dropped.empty()) return {};  // answer them before waiting any longer
    // This instance's pinned requests first, then the shared levels; a
    // pinned batch that is not due yet does not hold up shared work.
    std::vector<Entry> batch;
    auto wake = SchedulerClock::time_point::max();
    std::deque<Entry>& pinned = pinned_[static_cast<size_t>(index)];
    if (!pinned.empty() && TakeFromLocked(pinned, /*shared=*/false, batch, dropped, wake)) {
      return batch;
    }
    // The levels only: the background queue is BackgroundLoop's.
    const auto levels_end = queues_.end() - 1;
    auto level = std::find_if(queues_.begin(), levels_end, [](auto& q) { return !q.empty(); });
    if (level != levels_end) {
      SchedulerClock::time_point shared_wake;
      if (TakeFromLocked(*level, /*shared=*/true, batch, dropped, shared_wake)) return batch;
      wake = std::min(wake, shared_wake);
    }
    // This instance is about to be free: background work may go now.
    if (!queues_.back().empty()) background_cv_.notify_one();
    if (wake == SchedulerClock::time_point::max()) {
      if (stopping_) return {};
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, wake);
    }
  }
}

bool ModelScheduler::OnlineWaitingLocked() const {
  for (size_t q = 0; q + 1 < queues_.size(); ++q) {
    if (!queues_[q].empty()) return true;
  }
  return std::any_of(pinned_.begin(), pinned_.end(), [](const auto& q) { return !q.empty(); });
}

void ModelScheduler::BackgroundLoop() {
  RunThisThreadWhenIdle("model background work");
  std::unique_lock lock(mu_);
  std::vector<Entry> dropped;
  std::deque<Entry>& queue = queues_.back();
  // The budget unit this thread holds, taken before a batch is chosen so that
  // the choice (an instance free, no online request waiting) is made after
  // any wait for it, and given back before the thread waits for work.
  std::shared_ptr<BackgroundBudget> held;
  const auto release = [&held] {
    if (held) held->Release();
    held.reset();
  };
  for (;;) {
    std::vector<Entry> batch;
    auto wake = SchedulerClock::time_point::max();
    if (queue.empty()) {
      if (stopping_) return release();
    } else if (stopping_ || (free_instances_ > 0 && !OnlineWaitingLocked())) {
      const std::shared_ptr<BackgroundBudget>& budget = queue.front().request.budget;
      if (budget != held) {
        release();
        if (budget) {
          std::shared_ptr<BackgroundBudget> wanted = budget;
          lock.unlock();
          wanted->Acquire();
          lock.lock();
          held = std::move(wanted);
          continue;  // look again: the queue and the instances may have moved on
        }
      }
      TakeFromLocked(queue, /*shared=*/false, batch, dropped, wake);
    }
    if (batch.empty() && dropped.empty()) {
      release();
      if (wake == SchedulerClock::time_point::max()) {
        background_cv_.wait(lock);
      } else {
        background_cv_.wait_until(lock, wake);
      }
      continue;
    }
    lock.unlock();
    AnswerDropped(dropped);
    dropped.clear();
    if (!batch.empty()) Run(std::move(batch));
    release();
    lock.lock();
  }
}

bool ModelScheduler::TakeFromLocked(std::deque<Entry>& queue, bool shared,
                                    std::vector<Entry>& batch, std::vector<Entry>& dropped,
                                    SchedulerClock::time_point& wake) {
  const bool batching = options_.dynamic_batching && options_.max_batch_size > 0;
  // Requests that can join the oldest one, in arrival order, up to the max batch.
  int64_t limit = options_.max_batch_size;
  if (shared && batching && options_.max_queue_delay.count() == 0 && free_instances_ > 1) {
    // Without a delay to fill batches, share what is queued among the free
    // instances rather than let one take it all while the others idle.
    int64_t queued_rows = 0;
    for (const Entry& e : queue) queued_rows += BatchSizeOf(e.request.prepared);
    limit = std::min(limit, (queued_rows + free_instances_ - 1) / free_instances_);
  }
  size_t take = 1;
  int64_t rows = BatchSizeOf(queue.front().request.prepared);
  bool full = !batching || rows >= limit || queue.front().request.run_alone;
  for (size_t i = 1; batching && i < queue.size() && !full; ++i) {
    const PreparedRequest& next = queue[i].request.prepared;
    if (queue[i].request.run_alone || !BatchCompatible(queue.front().request.prepared, next)) {
      break;
    }
    const int64_t more = BatchSizeOf(next);
    if (rows + more > limit) {
      full = true;
      break;
    }
    rows += more;
    ++take;
    full = rows >= limit;
  }
  const auto& preferred = options_.preferred_batch_sizes;
  const bool preferred_hit = std::find(preferred.begin(), preferred.end(), rows) != preferred.end();
  // Nothing else waits in the queue behind an incompatible request: run now.
  const bool blocked = take < queue.size();
  const auto due = queue.front().request.enqueued + options_.max_queue_delay;
  const auto now = SchedulerClock::now();
  if (full || preferred_hit || blocked || stopping_ || now >= due) {
    batch.reserve(take);
    for (size_t i = 0; i < take; ++i) {
      // A request behind the head may have gone since it was queued.
      const bool dead = queue.front().deadline <= now || IsCancelled(queue.front().request);
      (dead ? dropped : batch).push_back(std::move(queue.front()));
      queue.pop_front();
    }
    queued_ -= take;
    return true;
  }
  // Wake at the batch's due time, or earlier for a deadline inside the wait.
  wake = due;
  for (const Entry& e : queue) wake = std::min(wake, e.deadline);
  return false;
}

void ModelScheduler::Run(std::vector<Entry> batch) {
  const auto start = SchedulerClock::now();
  ExecutionReport report;
  std::vector<int64_t> sizes;
  sizes.reserve(batch.size());
  for (const Entry& e : batch) {
    sizes.push_back(BatchSizeOf(e.request.prepared));
    report.batch_size += sizes.back();
  }
  if (options_.max_batch_size == 0) report.batch_size = 1;
  const std::vector<size_t>& outputs = batch.front().request.prepared.outputs;
  // What the engine logs while the batch runs names every request in it.
  std::vector<std::shared_ptr<RequestScope>> requests;
  requests.reserve(batch.size());
  for (const Entry& e : batch) requests.push_back(e.request.scope);
  ScopedRequest logged_as(std::move(requests));

  StatusOr<std::vector<Tensor>> result = std::vector<Tensor>{};
  std::vector<std::vector<Tensor>> pieces;
  if (batch.size() == 1) {
    const auto infer_start = SchedulerClock::now();
    result = backend_->Execute(batch.front().request.prepared.inputs, outputs);
    report.compute_infer = Since(infer_start, SchedulerClock::now());
  } else {
    std::vector<const PreparedRequest*> parts;
    parts.reserve(batch.size());
    for (const Entry& e : batch) parts.push_back(&e.request.prepared);
    std::vector<Tensor> merged = ConcatInputs(parts);
    const auto infer_start = SchedulerClock::now();
    report.compute_input = Since(start, infer_start);
    result = backend_->Execute(merged, outputs);
    const auto infer_end = SchedulerClock::now();
    report.compute_infer = Since(infer_start, infer_end);
    if (result.ok()) {
      auto split = SplitOutputs(std::move(result).value(), sizes);
      if (split.ok()) {
        pieces = std::move(split).value();
      } else {
        result = split.status();
      }
    }
    report.compute_output = Since(infer_end, SchedulerClock::now());
  }
  report.succeeded = result.ok();
  if (observer_) observer_(report, batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    QueuedRequest& r = batch[i].request;
    ExecutionReport own = report;
    own.queue = Since(r.enqueued, start);
    if (!result.ok()) {
      r.done(result.status(), own);
    } else if (batch.size() == 1) {
      r.done(std::move(result).value(), own);
    } else {
      r.done(std::move(pieces[i]), own);
    }
  }
}

}  // namespace inferd
