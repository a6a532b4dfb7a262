// Runs a function every interval on its own thread until stopped (or
// destroyed). Stop wakes the thread at once and waits for a run in progress,
// except when the task itself leads to Stop (its owner destroyed from inside
// the task): then the thread is detached and ends after that run, touching
// only state it shares ownership of.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace inferd {

class PeriodicTask {
 public:
  PeriodicTask(std::chrono::milliseconds interval, std::function<void()> task);
  ~PeriodicTask() { Stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void Stop();

 private:
  struct Shared {
    std::mutex mu;
    std::condition_variable wake;
    bool stopping = false;
  };
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::thread thread_;  // last: starts once the rest is set
};

}  // namespace inferd
