// When the last online request (anything but a batch job's) was queued, for
// background work that steps aside while online traffic arrives. Each model's
// scheduler notes its online requests here; the jobs' budget reads it.
//
// Ownership: one per server, owned by main and outliving the schedulers and
// the job manager that hold pointers to it. Thread-safety: thread-safe (one
// atomic; a note is a relaxed load, and a store at most once a millisecond).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace inferd {

class OnlineActivity {
 public:
  using Clock = std::chrono::steady_clock;

  void Note(Clock::time_point now = Clock::now()) {
    const int64_t ticks = now.time_since_epoch().count();
    // Every online request passes here: skip the store (and the cache line's
    // trip between cores) while the kept time is under a millisecond old.
    const int64_t last = last_.load(std::memory_order_relaxed);
    if (last == kNever || ticks - last >= kResolution) {
      last_.store(ticks, std::memory_order_relaxed);
    }
  }

  // True when an online request was queued within `window` before `now`.
  bool ActiveWithin(Clock::duration window, Clock::time_point now = Clock::now()) const {
    const int64_t last = last_.load(std::memory_order_relaxed);
    return last != kNever && now.time_since_epoch().count() - last <= window.count();
  }

 private:
  static constexpr int64_t kNever = INT64_MIN;
  static constexpr int64_t kResolution =
      std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(1)).count();
  std::atomic<int64_t> last_{kNever};
};

}  // namespace inferd
