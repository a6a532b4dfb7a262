// `inferd convert|verify|quantize|push ...`: the Python toolkit's commands,
// reached through the server's binary so that users meet one `inferd`. The
// binary replaces itself (exec) with `python3 -m inferd`'s entry point, passing
// every argument on; when the package is missing it says how to install it.
// $INFERD_PYTHON chooses the interpreter (default: python3 on PATH).
#pragma once

#include <CLI/CLI.hpp>
#include <vector>

namespace inferd {

// The four commands, each taking any arguments (their own --help included).
std::vector<CLI::App*> AddToolkitCommands(CLI::App& app);

// Runs the parsed command; returns only when Python could not be started.
int RunToolkit(const CLI::App& command);

}  // namespace inferd
