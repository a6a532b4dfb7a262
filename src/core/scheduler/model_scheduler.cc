#include "core/scheduler/model_scheduler.h"

#include <algorithm>

#include "core/scheduler/batch_assembly.h"

namespace inferd {

ModelScheduler::ModelScheduler(Backend* backend, SchedulerOptions options)
    : backend_(backend), options_(std::move(options)) {
  queues_.resize(std::max<uint32_t>(1, options_.priority_levels));
  for (int i = 0; i < std::max(1, options_.instances); ++i) {
    instances_.emplace_back([this] { InstanceLoop(); });
  }
}

ModelScheduler::~ModelScheduler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : instances_) t.join();
}

Status ModelScheduler::Enqueue(QueuedRequest request) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Unavailable("the model version is unloading");
    if (options_.max_queue_size > 0 && queued_ >= options_.max_queue_size) {
      return Status(StatusCode::kUnavailable, "the model's queue is full (" +
                                                  std::to_string(options_.max_queue_size) +
                                                  " requests); retry later");
    }
    const size_t level = std::min<size_t>(request.priority, queues_.size() - 1);
    queues_[level].push_back(std::move(request));
    ++queued_;
  }
  cv_.notify_one();
  return Status::Ok();
}

size_t ModelScheduler::queue_depth() const {
  std::lock_guard lock(mu_);
  return queued_;
}

void ModelScheduler::InstanceLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    std::vector<QueuedRequest> batch = TakeBatchLocked(lock);
    if (batch.empty()) return;  // stopping and drained
    lock.unlock();
    Run(std::move(batch));
    lock.lock();
  }
}

std::vector<QueuedRequest> ModelScheduler::TakeBatchLocked(std::unique_lock<std::mutex>& lock) {
  for (;;) {
    auto level = std::find_if(queues_.begin(), queues_.end(), [](auto& q) { return !q.empty(); });
    if (level == queues_.end()) {
      if (stopping_) return {};
      cv_.wait(lock);
      continue;
    }
    std::deque<QueuedRequest>& queue = *level;
    const bool batching = options_.dynamic_batching && options_.max_batch_size > 0;
    // Requests that can join the oldest one, in arrival order, up to the max batch.
    size_t take = 1;
    int64_t rows = BatchSizeOf(queue.front().prepared);
    bool full = !batching || rows >= options_.max_batch_size;
    for (size_t i = 1; batching && i < queue.size() && !full; ++i) {
      const int64_t more = BatchSizeOf(queue[i].prepared);
      if (!BatchCompatible(queue.front().prepared, queue[i].prepared)) break;
      if (rows + more > options_.max_batch_size) {
        full = true;
        break;
      }
      rows += more;
      ++take;
      full = rows >= options_.max_batch_size;
    }
    const auto& preferred = options_.preferred_batch_sizes;
    const bool preferred_hit =
        std::find(preferred.begin(), preferred.end(), rows) != preferred.end();
    const auto due = queue.front().enqueued + options_.max_queue_delay;
    if (full || preferred_hit || stopping_ || SchedulerClock::now() >= due) {
      std::vector<QueuedRequest> batch;
      batch.reserve(take);
      for (size_t i = 0; i < take; ++i) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      queued_ -= take;
      return batch;
    }
    cv_.wait_until(lock, due);
  }
}

void ModelScheduler::Run(std::vector<QueuedRequest> batch) {
  const auto now = SchedulerClock::now();
  std::erase_if(batch, [now](QueuedRequest& r) {
    if (r.deadline > now) return false;
    r.done(
        Status(StatusCode::kDeadlineExceeded, "the request's timeout passed while it was queued"));
    return true;
  });
  if (batch.empty()) return;
  if (batch.size() == 1) {
    QueuedRequest& r = batch.front();
    r.done(backend_->Execute(r.prepared.inputs, r.prepared.outputs));
    return;
  }
  std::vector<const PreparedRequest*> parts;
  std::vector<int64_t> sizes;
  for (const QueuedRequest& r : batch) {
    parts.push_back(&r.prepared);
    sizes.push_back(BatchSizeOf(r.prepared));
  }
  std::vector<Tensor> merged = ConcatInputs(parts);
  auto outputs = backend_->Execute(merged, batch.front().prepared.outputs);
  if (!outputs.ok()) {
    for (QueuedRequest& r : batch) r.done(outputs.status());
    return;
  }
  auto pieces = SplitOutputs(std::move(outputs).value(), sizes);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!pieces.ok()) {
      batch[i].done(pieces.status());
    } else {
      batch[i].done(std::move((*pieces)[i]));
    }
  }
}

}  // namespace inferd
