// inferd: the command line. `inferd serve` wires the core, the backends and
// the frontends together and runs until SIGTERM/SIGINT.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

#include "core/version.h"
#include "main/audit_command.h"
#include "main/config_file.h"
#include "main/jobs_command.h"
#include "main/keys_command.h"
#include "main/models_command.h"
#include "main/registry_command.h"
#include "main/routes_command.h"
#include "main/serve_command.h"
#include "main/toolkit_command.h"

int main(int argc, char** argv) {
  CLI::App app{"inferd: a model server for ONNX models, speaking KServe v2 (Triton) over HTTP",
               "inferd"};
  app.set_version_flag("--version", std::string("inferd ") + inferd::kInferdVersion);
  app.require_subcommand(1);

  inferd::ServeOptions serve;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Serve the models of a model repository");
  inferd::AddServeFlags(*serve_cmd, serve);
  // --config FILE and INFERD_* variables for every serve flag.
  if (inferd::Status s = inferd::InstallConfigFile(*serve_cmd); !s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  inferd::ModelsOptions models;
  CLI::App* models_cmd = inferd::AddModelsCommand(app, models);
  inferd::RegistryOptions registry;
  CLI::App* registry_cmd = inferd::AddRegistryCommand(app, registry);
  inferd::KeysOptions keys;
  CLI::App* keys_cmd = inferd::AddKeysCommand(app, keys);
  inferd::RoutesOptions routes;
  CLI::App* routes_cmd = inferd::AddRoutesCommand(app, routes);
  inferd::JobsOptions jobs;
  CLI::App* jobs_cmd = inferd::AddJobsCommand(app, jobs);
  inferd::AuditOptions audit;
  CLI::App* audit_cmd = inferd::AddAuditCommand(app, audit);
  std::vector<CLI::App*> toolkit_cmds = inferd::AddToolkitCommands(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (serve_cmd->parsed()) {
    if (inferd::PrintConfigRequested(*serve_cmd)) {
      // A Redis address may hold a password.
      std::cout << inferd::RenderEffectiveConfig(*serve_cmd, {"jobs-redis"});
      return 0;
    }
    return inferd::RunServe(serve);
  }
  if (models_cmd->parsed()) return inferd::RunModels(*models_cmd, models);
  if (registry_cmd->parsed()) return inferd::RunRegistry(*registry_cmd, registry);
  if (keys_cmd->parsed()) return inferd::RunKeys(*keys_cmd, keys);
  if (routes_cmd->parsed()) return inferd::RunRoutes(*routes_cmd, routes);
  if (jobs_cmd->parsed()) return inferd::RunJobs(*jobs_cmd, jobs);
  if (audit_cmd->parsed()) return inferd::RunAudit(*audit_cmd, audit);
  for (CLI::App* toolkit : toolkit_cmds) {
    if (toolkit->parsed()) return inferd::RunToolkit(*toolkit);
  }
  return 0;
}
