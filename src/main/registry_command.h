// `inferd registry ...`: the model registry of a running server (stages,
// aliases, uploads) from the command line.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace inferd {

struct RegistryOptions {
  std::string url = "http://127.0.0.1:8000";
  std::string model;
  int64_t version = 0;
  std::string stage;
  std::string alias;
  std::string source;       // register: a model file or version directory on the server
  std::string file;         // upload: a local ONNX file
  std::string config_file;  // upload: a config.pbtxt to send with it
  std::string description;
  bool archive_existing = false;
  bool remove = false;
};

// Adds `registry` and its subcommands to `app`; returns the `registry` command.
CLI::App* AddRegistryCommand(CLI::App& app, RegistryOptions& options);

// Runs whichever subcommand of `registry` was parsed; the process exit code.
int RunRegistry(const CLI::App& registry, const RegistryOptions& options);

}  // namespace inferd
