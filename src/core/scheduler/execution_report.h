// Where one request's time went inside the scheduler, and the batch it ran in.
// The scheduler fills it; statistics and metrics read it.
#pragma once

#include <chrono>
#include <cstdint>

namespace inferd {

using SchedulerClock = std::chrono::steady_clock;

struct ExecutionReport {
  std::chrono::nanoseconds queue{0};
  std::chrono::nanoseconds compute_input{0};   // merging the batch's inputs
  std::chrono::nanoseconds compute_infer{0};   // the backend's Execute
  std::chrono::nanoseconds compute_output{0};  // splitting the outputs back
  int64_t batch_size = 0;  // rows of the execution (1 for a model that does not batch)
  bool succeeded = false;  // the execution returned outputs for every request
};

}  // namespace inferd
