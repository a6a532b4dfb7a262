#include "jobs/job_pacer.h"

#include <algorithm>

namespace inferd::jobs {

JobPacer::JobPacer(const OnlineActivity* online, double share)
    : online_(share < 1.0 ? online : nullptr), share_(std::clamp(share, 0.01, 1.0)) {}

bool JobPacer::OnlineAt(Clock::time_point now) const {
  return online_ != nullptr && online_->ActiveWithin(kOnlineWindow, now);
}

void JobPacer::PayBackLocked(Clock::time_point now, Clock::duration held) {
  if (!OnlineAt(now)) {
    owed_ = Clock::duration::zero();  // online traffic starts with a clean slate
  } else {
    const auto paid = now > paid_at_
                          ? std::chrono::duration_cast<Clock::duration>((now - paid_at_) * share_)
                          : Clock::duration::zero();
    owed_ = std::max<Clock::duration>(owed_ - paid + held, -Clock::duration(kBurst));
  }
  paid_at_ = std::max(paid_at_, now);
}

JobPacer::Clock::duration JobPacer::WaitBefore(Clock::time_point now) {
  if (online_ == nullptr) return Clock::duration::zero();
  std::lock_guard lock(mu_);
  PayBackLocked(now, Clock::duration::zero());
  if (owed_ <= Clock::duration::zero()) return Clock::duration::zero();
  return std::chrono::duration_cast<Clock::duration>(owed_ / share_);
}

void JobPacer::Held(Clock::time_point start, Clock::time_point end) {
  if (online_ == nullptr) return;
  std::lock_guard lock(mu_);
  PayBackLocked(end, end - start);
}

}  // namespace inferd::jobs
