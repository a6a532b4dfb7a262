// A job's validating phase: its input file read block by block (never held
// whole), checked where the file as a whole can be wrong (not JSONL, a CSV
// header that names no input of the model, a key field it lacks, no rows),
// and cut into chunks of consecutive rows that go to the job store in
// batches. A row that is wrong by itself is not refused here: it fails alone
// when its chunk runs.
//
// Thread-compatible: one job per call.
#pragma once

#include <atomic>
#include <filesystem>

#include "core/jobs/job.h"
#include "core/jobs/job_store.h"
#include "core/model_signature.h"
#include "core/scheduler/background_budget.h"

namespace inferd::jobs {

struct ValidatedInput {
  int64_t rows = 0;
  int64_t chunks = 0;
  uint64_t file_digest = 0;  // of the whole file (job_rows.h InputFileDigest)
};

// Reads `input` for `job` (its spec and chunk_rows) and adds its chunks to
// `store`. INVALID_ARGUMENT says what is wrong with the file; `stop` ends
// the reading early (CANCELLED). With a `budget` (not owned; may be null),
// each block is read and cut holding a unit of it, so that a large file
// shares the jobs' threads and their pacing block by block.
StatusOr<ValidatedInput> ValidateInput(const JobRecord& job, const ModelSignature& signature,
                                       const std::filesystem::path& input, JobStore& store,
                                       const std::atomic<bool>& stop,
                                       BackgroundBudget* budget = nullptr);

// The CSV header's columns (without the key column) against the model's
// inputs, as the tabular codec maps them: every column an input, or one
// input taking every column, or one column per input.
Status CheckCsvColumns(const std::vector<std::string>& columns, const ModelSignature& signature);

}  // namespace inferd::jobs
