// `inferd jobs submit|list|status|wait|cancel|retry|results|delete`: the batch
// job API of a running server (frontends/jobs/jobs_http.h) from the command
// line, with a progress bar on a terminal while a job runs.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace inferd {

struct JobsOptions {
  std::string url = "http://127.0.0.1:8000";
  std::string job;
  // submit
  std::string file;        // a local .csv or .jsonl file, uploaded
  std::string input_path;  // or a file under the server's --jobs-input-dir
  std::string model;
  std::string version;
  std::string output_format;
  std::string key_field;
  bool join_input = false;
  bool wait = false;
  // results
  std::string output;  // a file; empty: standard output
};

// Adds `jobs` and its subcommands to `app`; returns the `jobs` command.
CLI::App* AddJobsCommand(CLI::App& app, JobsOptions& options);

// Runs whichever subcommand of `jobs` was parsed; the process exit code.
int RunJobs(const CLI::App& jobs, const JobsOptions& options);

}  // namespace inferd
