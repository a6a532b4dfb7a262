// `inferd audit verify FILE`: checks an audit log's hash chain; exit 0 when
// intact, 1 with the first broken line, 2 on a usage error.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace inferd {

struct AuditOptions {
  std::string file;
  uint64_t expect_last_seq = 0;  // an anchor kept elsewhere: the log must reach it
  std::string expect_hash;       // ... and that line must have this hash
};

CLI::App* AddAuditCommand(CLI::App& app, AuditOptions& options);
int RunAudit(const CLI::App& audit, const AuditOptions& options);

}  // namespace inferd
