// What the job APIs (HTTP, the CLI through it, the seeds' /predict/batch)
// ask of batch jobs. jobs/job_manager.h implements it on the core and a job
// store.
//
// Thread-safety: implementations are thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/jobs/job.h"
#include "core/status.h"

namespace inferd {

struct JobSubmission {
  JobSpec spec;
  // Exactly one of: the rows as JSONL text (inline rows), or a file to read
  // (an upload saved to disk, or a path under the input directory).
  std::optional<std::string> rows;
  std::filesystem::path input_file;
  // The file is the job's own (an upload): it is removed with the job.
  bool owns_input_file = false;
};

class JobService {
 public:
  virtual ~JobService() = default;
  // Checks what can be checked at once (the model, the input's presence and
  // size), keeps the job and starts its validation; the job comes back in
  // state validating.
  virtual StatusOr<JobRecord> Submit(JobSubmission submission) = 0;
  // NOT_FOUND for an unknown id.
  virtual StatusOr<JobRecord> Get(std::string_view id) = 0;
  virtual StatusOr<std::vector<JobRecord>> List() = 0;
  // Stops a job that is not final: cancelling, then cancelled once its chunks
  // in flight are recorded; what was recorded stays downloadable.
  virtual StatusOr<JobRecord> Cancel(std::string_view id) = 0;
  // Runs the failed rows of a completed (or cancelled) job again, same id.
  // FAILED_PRECONDITION when the job is not final or has no failed rows.
  virtual StatusOr<JobRecord> Retry(std::string_view id) = 0;
  // Removes a job that is not running, with its files; FAILED_PRECONDITION
  // for one that is (cancel it first).
  virtual Status Delete(std::string_view id) = 0;
  // The results file of a final job (completed, or cancelled with what it
  // recorded; a failed job has none): FAILED_PRECONDITION while it runs.
  virtual StatusOr<std::filesystem::path> ResultsFile(std::string_view id) = 0;

  // Runs `work`, which calls the methods above, on the service's own
  // threads: they may wait on the store (a Redis call, up to its timeout) or
  // write a results file, and the caller's thread (an HTTP I/O thread that
  // serves other connections too) must not. The caller's model visibility
  // and request go along. `work` gets UNAVAILABLE instead, on the caller's
  // thread, when the service is stopping or too many calls already wait.
  virtual void RunCall(std::function<void(Status)> work) = 0;
};

}  // namespace inferd
