// Runs one chunk of a batch job on the core: its rows (JSONL or CSV) become
// inference requests of as many rows as the model batches, queued below every
// online request (InferRequest::background), and each row gets one canonical
// result line:
//   {"row": 12, "key": "a7", "input": {...}, "prediction": {"label": 1, ...}}
//   {"row": 13, "key": "a8", "error": {"status": 400, "message": "..."}}
// ("key" with the job's key_field, "input" with join_input). A row that does
// not parse or convert, or that the model refuses, fails alone: a request of
// many rows that fails is run again row by row to find the ones at fault.
//
// Ownership: borrows the core, which must outlive every chunk in flight.
// Thread-safety: thread-safe; `done` is called once per Run, on a thread of
// the pool (or a core thread without one) or the caller's.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "core/jobs/job.h"
#include "core/server_core.h"
#include "jobs/job_threads.h"

namespace inferd::jobs {

// Rows per request for the model: its max batch size (capped at `cap`), all
// rows at once for a model without a batch dim whose inputs' first dims are
// dynamic, else 1.
int64_t RowsPerRequest(const LoadedModel& model, int64_t cap);

class ChunkRunner {
 public:
  // The chunk's results, or an error that leaves it unrecorded: UNAVAILABLE
  // (the model's queue was full, it was swapped or the server is stopping:
  // run it again later), CANCELLED (the job was), NOT_FOUND (the model is
  // gone).
  using Done = std::function<void(StatusOr<JobChunkResult>)>;

  // `threads`: where the answers' rows are parsed and written (the jobs' own,
  // so the models' instance threads go back to online requests); null: on
  // the thread that answers.
  ChunkRunner(ServerCore* core, std::shared_ptr<JobThreads> threads)
      : core_(core), threads_(std::move(threads)) {}
  // `cancelled`, once set, drops the chunk's requests still queued (they
  // answer CANCELLED and the chunk is not recorded).
  void Run(const JobSpec& spec, JobChunk chunk, std::shared_ptr<std::atomic<bool>> cancelled,
           Done done) const;

 private:
  ServerCore* core_;
  std::shared_ptr<JobThreads> threads_;
};

}  // namespace inferd::jobs
