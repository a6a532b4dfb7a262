// Turns one version directory into a LoadedModel: reads config.pbtxt, loads
// the model with the backend, completes and checks the config, and warms the
// model up. Stateless; safe to call from several threads.
#pragma once

#include <filesystem>
#include <optional>

#include "core/backend.h"
#include "core/lifecycle/model_handle.h"
#include "core/lifecycle/model_runtime_options.h"
#include "core/model_config.h"
#include "core/scheduler/online_activity.h"
#include "observability/metrics.h"

namespace inferd {

struct ModelLoaderOptions {
  AutoCompleteOptions autocomplete;
  ServerRuntimeDefaults runtime;
  // Warm a model whose config has no model_warmup with one zero-filled sample.
  bool default_warmup = true;
  MetricsRegistry* metrics = nullptr;  // where each version's series go; may be null
  // Given to every version's scheduler (SchedulerOptions::online_activity).
  OnlineActivity* online_activity = nullptr;
};

class ModelLoader {
 public:
  ModelLoader(BackendFactory* factory, ModelLoaderOptions options)
      : factory_(factory), options_(options) {}

  // Reads <model_dir>/config.pbtxt when present; warnings are logged.
  StatusOr<ParsedModelConfig> ReadConfig(const std::filesystem::path& model_dir,
                                         const std::string& model_name) const;

  // Loads, completes the config, warms up, then starts the version's scheduler.
  StatusOr<std::unique_ptr<LoadedModel>> Load(const std::string& model_name, int64_t version,
                                              const std::filesystem::path& version_dir,
                                              const ParsedModelConfig& config) const;

 private:
  BackendFactory* factory_;
  ModelLoaderOptions options_;
};

}  // namespace inferd
