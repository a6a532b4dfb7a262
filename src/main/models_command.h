// `inferd models list|load|unload|label|default`: the repository API of a
// running server, from the command line.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace inferd {

struct ModelsOptions {
  std::string url = "http://127.0.0.1:8000";
  std::string model;
  std::string label;
  int64_t version = 0;
  std::string config_file;  // load: config.pbtxt or JSON to use instead of the repository's
  bool remove = false;      // label: remove the label instead
  bool ready_only = false;  // list: ready versions only
};

// Adds `models` and its subcommands to `app`; returns the `models` command.
CLI::App* AddModelsCommand(CLI::App& app, ModelsOptions& options);

// Runs whichever subcommand of `models` was parsed; the process exit code.
int RunModels(const CLI::App& models, const ModelsOptions& options);

}  // namespace inferd
