// The batch job API (inferd's own, shaped after OpenAI's and Vertex's batch
// APIs) and the seeds' Celery-style shape:
//   POST   /v1/jobs                  submit: a JSON body {"model", "rows" | "input_path",
//                                    "input_format", "output_format", "key_field",
//                                    "join_input", "version"}, or the input itself as
//                                    the body (Content-Type text/csv or
//                                    application/x-ndjson; the rest in the query)
//   GET    /v1/jobs                  every job
//   GET    /v1/jobs/{job}            one job: state, request_counts, rows/s, ETA, errors
//   POST   /v1/jobs/{job}/cancel | retry
//   DELETE /v1/jobs/{job}
//   GET    /v1/jobs/{job}/results    the results file (JSONL or CSV)
//   POST   /predict/batch            {"data": [[...], ...], "model"} -> {"task_id"}
//   GET    /predict/batch/{task_id}  {"status": "pending"} or {"status": "completed",
//                                    "result": [...]}
// Translates HTTP and JSON to core/jobs/job_service.h; decides nothing.
#pragma once

#include <string>
#include <string_view>

#include "core/jobs/job_service.h"
#include "core/server_core.h"
#include "frontends/http/router.h"

namespace inferd::jobsfe {

// A POST whose body is a job's input file (text/csv, application/x-ndjson):
// the HTTP server streams it to disk as it arrives (HttpServerOptions::spool).
bool IsSpooledUpload(std::string_view target, std::string_view content_type);

// `jobs` null: every call answers 404 "batch jobs are off".
void AddJobRoutes(ServerCore* core, JobService* jobs, std::string default_model,
                  http::Router& router);

}  // namespace inferd::jobsfe
