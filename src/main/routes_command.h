// `inferd routes list|get|set|delete|rollout|status|pause|resume|abort`:
// the routes admin API of a running server (frontends/routes/routes_http.h)
// from the command line.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace inferd {

struct RoutesOptions {
  std::string url = "http://127.0.0.1:8000";
  std::string route;
  std::string file;  // set / rollout: the JSON body from a file instead of flags
  // set
  std::string key;
  std::string salt;
  std::vector<std::string> variants;  // name=model[@version]:weight
  std::string shadow;                 // variant[:sample]
  // rollout
  std::string stable;
  std::string candidate;
  std::vector<uint32_t> steps;
  uint32_t interval_secs = 60;
  uint32_t shadow_intervals = 0;
  double shadow_sample = 1.0;
  uint32_t failure_limit = 1;
  uint64_t min_requests = 20;
  double max_error_rate = -1;  // < 0: unset
  double max_error_rate_increase = -1;
  double max_p99_ms = -1;
  double max_p99_ratio = -1;
  double max_shadow_disagreement = -1;
  std::string promote_alias;
  std::string promote_stage;
  bool dry_run = false;
};

// Adds `routes` and its subcommands to `app`; returns the `routes` command.
CLI::App* AddRoutesCommand(CLI::App& app, RoutesOptions& options);

// Runs whichever subcommand of `routes` was parsed; the process exit code.
int RunRoutes(const CLI::App& routes, const RoutesOptions& options);

}  // namespace inferd
