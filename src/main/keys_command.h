// `inferd keys ...`: API keys from the command line. Through a running
// server's key admin API (`--url`, audited there, with INFERD_API_KEY as the
// admin credential), or straight in the key database (`--db`: to make the
// first admin key before the server starts; audited when --audit-log names
// the server's audit log and no server holds it).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace inferd {

struct KeysOptions {
  std::string url = "http://127.0.0.1:8000";
  std::string db;         // set: work on this database, not through a server
  std::string audit_log;  // with --db: the audit log to append to
  std::string name;
  std::vector<std::string> roles;
  std::vector<std::string> models;
  int64_t expires_in_secs = 0;
  std::string id;
};

CLI::App* AddKeysCommand(CLI::App& app, KeysOptions& options);
int RunKeys(const CLI::App& keys, const KeysOptions& options);

}  // namespace inferd
