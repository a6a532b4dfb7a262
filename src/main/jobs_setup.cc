#include "main/jobs_setup.h"

#include <algorithm>
#include <filesystem>

#include "storage/redis_job_store.h"
#include "storage/sqlite_job_store.h"

namespace inferd {

StatusOr<JobsSetup> MakeJobsSetup(const ServeOptions& o, int cores) {
  const std::filesystem::path repository(o.model_repository);
  JobsSetup setup;
  jobs::JobManagerOptions& options = setup.options;
  options.dir =
      !o.jobs_dir.empty() ? std::filesystem::path(o.jobs_dir) : repository / ".inferd-jobs";
  options.input_dir = o.jobs_input_dir;
  options.job_threads = o.jobs_concurrency > 0 ? o.jobs_concurrency : std::max(1, cores / 2);
  // Two chunks in flight per thread: one read or written while the other runs.
  options.max_running_chunks = 2 * options.job_threads;
  options.online_share = o.jobs_online_share;
  options.max_job_chunks = o.jobs_per_job > 0 ? o.jobs_per_job : options.max_running_chunks;
  options.retention = std::chrono::seconds(static_cast<int64_t>(o.jobs_retention_hours * 3600));
  options.max_input_bytes = o.max_upload_bytes;
  if (o.jobs_redis.empty()) {
    const std::filesystem::path db =
        !o.jobs_db.empty() ? std::filesystem::path(o.jobs_db) : repository / ".inferd-jobs.db";
    setup.store = db.string();
    setup.opener = [db](bool create) -> StatusOr<std::unique_ptr<JobStore>> {
      auto opened = SqliteJobStore::Open(db, create);
      if (!opened.ok()) return opened.status();
      return std::unique_ptr<JobStore>(std::move(opened).value());
    };
    return setup;
  }
  RedisJobStoreOptions redis;
  INFERD_ASSIGN_OR_RETURN(redis.endpoint, ParseRedisUrl(o.jobs_redis));
  redis.prefix = o.jobs_redis_prefix;
  redis.lease = std::chrono::milliseconds(static_cast<int64_t>(o.jobs_lease_seconds * 1000));
  options.lease = redis.lease;
  options.shared_store = true;
  setup.store = RedisEndpointName(redis.endpoint);
  // Redis always "exists": the store is opened (and Redis checked) at start.
  setup.opener = [redis](bool) -> StatusOr<std::unique_ptr<JobStore>> {
    auto opened = RedisJobStore::Open(redis);
    if (!opened.ok()) return opened.status();
    return std::unique_ptr<JobStore>(std::move(opened).value());
  };
  return setup;
}

}  // namespace inferd
