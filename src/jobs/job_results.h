// A job's results file, written from the chunks' recorded lines in row order:
// JSONL as recorded, or CSV with one column per field (row, key, the input's
// columns with join_input, each output, error_status, error_message; a value
// that is a list is written as its JSON text). Written to a temporary file,
// synced and renamed into place, so a reader never sees half a file.
//
// Thread-compatible.
#pragma once

#include <filesystem>

#include "core/jobs/job.h"
#include "core/jobs/job_store.h"

namespace inferd::jobs {

Status WriteResultsFile(JobStore& store, const JobRecord& job, const std::filesystem::path& out);

}  // namespace inferd::jobs
