// Batch jobs' part of `inferd serve`: the job manager's options and its store
// (SQLite beside the repository, or Redis shared by replicas) from the flags.
//
// Thread-safety: pure function; the opener it returns may be called from any
// thread.
#pragma once

#include <string>

#include "core/status.h"
#include "jobs/job_manager.h"
#include "main/serve_command.h"

namespace inferd {

struct JobsSetup {
  jobs::JobManagerOptions options;
  jobs::JobManager::StoreOpener opener;
  std::string store;  // where jobs are kept, for the log
};

// INVALID_ARGUMENT (or UNSUPPORTED, for rediss://) for a bad --jobs-redis.
StatusOr<JobsSetup> MakeJobsSetup(const ServeOptions& o, int cores);

}  // namespace inferd
