// How long the jobs' work waits while online requests arrive. The jobs' slots
// (jobs/job_threads.h) are paced: while an online request was queued within
// the last kOnlineWindow, their holders together may be busy `share` of the
// time, and work that would start past that waits until the time held is paid
// back; the share is for all the slots together. With no online request in
// the window, nothing waits.
//
// Why: on two cores, even one idle-priority thread that keeps a core busy
// raises W1's p99 by a fifth to a half, and a job at full speed about 2.3x
// (bench/RESULTS.md, W5job): an idle-priority thread's core is handed back to
// a woken online thread late. Pacing trades the job's speed under online
// traffic for online latency (--jobs-online-share).
//
// Ownership: reads an OnlineActivity it does not own, which outlives it.
// Thread-safety: thread-safe.
#pragma once

#include <chrono>
#include <mutex>

#include "core/scheduler/online_activity.h"

namespace inferd::jobs {

class JobPacer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kOnlineWindow{100};
  // Time saved up while little was held, usable at once: about a chunk's
  // parse or a batch.
  static constexpr std::chrono::milliseconds kBurst{2};

  // `share` in (0, 1]; at 1, or without `online`, nothing ever waits.
  JobPacer(const OnlineActivity* online, double share);

  bool enabled() const { return online_ != nullptr; }

  // How long work about to start at `now` must wait first (zero: none).
  Clock::duration WaitBefore(Clock::time_point now);
  // Work held a slot from `start` to `end`.
  void Held(Clock::time_point start, Clock::time_point end);

 private:
  bool OnlineAt(Clock::time_point now) const;
  // What the share paid back up to `now`, less `held` (work that ended then).
  void PayBackLocked(Clock::time_point now, Clock::duration held);

  const OnlineActivity* const online_;
  const double share_;
  std::mutex mu_;
  // Time held beyond what the share allowed, as of paid_at_: positive is
  // owed; negative (at most kBurst) saved up.
  Clock::duration owed_{0};
  Clock::time_point paid_at_{};
};

}  // namespace inferd::jobs
