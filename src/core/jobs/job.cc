#include "core/jobs/job.h"

#include <array>
#include <utility>

namespace inferd {
namespace {

constexpr std::array<std::pair<JobState, std::string_view>, 8> kStates{{
    {JobState::kValidating, "validating"},
    {JobState::kQueued, "queued"},
    {JobState::kInProgress, "in_progress"},
    {JobState::kFinalizing, "finalizing"},
    {JobState::kCompleted, "completed"},
    {JobState::kFailed, "failed"},
    {JobState::kCancelling, "cancelling"},
    {JobState::kCancelled, "cancelled"},
}};

}  // namespace

std::string_view JobStateName(JobState state) {
  for (const auto& [s, name] : kStates) {
    if (s == state) return name;
  }
  return "unknown";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (const auto& [s, n] : kStates) {
    if (n == name) return s;
  }
  return std::nullopt;
}

bool IsFinal(JobState state) {
  return state == JobState::kCompleted || state == JobState::kFailed ||
         state == JobState::kCancelled;
}

bool JobStateMayMove(JobState from, JobState to) {
  using S = JobState;
  switch (from) {
    case S::kValidating:
      return to == S::kQueued || to == S::kFailed || to == S::kCancelling;
    case S::kQueued:
      return to == S::kInProgress || to == S::kFinalizing || to == S::kFailed ||
             to == S::kCancelling;
    case S::kInProgress:
      return to == S::kFinalizing || to == S::kFailed || to == S::kCancelling;
    case S::kFinalizing:
      return to == S::kCompleted || to == S::kFailed || to == S::kCancelling;
    case S::kCancelling:
      return to == S::kCancelled || to == S::kFailed;
    case S::kCompleted:
    case S::kCancelled:
      return to == S::kQueued;
    case S::kFailed:
      return false;
  }
  return false;
}

std::string_view JobFormatName(JobFormat format) {
  return format == JobFormat::kCsv ? "csv" : "jsonl";
}

std::optional<JobFormat> ParseJobFormat(std::string_view name) {
  if (name == "jsonl") return JobFormat::kJsonl;
  if (name == "csv") return JobFormat::kCsv;
  return std::nullopt;
}

}  // namespace inferd
