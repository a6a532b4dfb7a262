// A fixed set of worker threads running queued tasks in order.
//
// Thread-safety: Submit may be called from any thread. Shutdown runs the tasks
// already queued, then joins the workers; tasks submitted after it are dropped
// and reported by Submit's return value.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace inferd {

class ThreadPool {
 public:
  // `idle`: the workers run at SCHED_IDLE (core/scheduler/thread_priority.h).
  explicit ThreadPool(int threads, bool idle = false);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // False when the pool is shutting down and the task was not queued.
  bool Submit(std::function<void()> task);
  void Shutdown();
  size_t queued() const;

 private:
  void Work(bool idle);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace inferd
