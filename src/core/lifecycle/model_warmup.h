// Warm-up at load: runs a model version before it takes traffic, so the first
// request does not pay for the engine's first-run allocations and kernel
// choices. Samples come from the config's `model_warmup` (Triton's format:
// zero_data, random_data or input_data_file under <model>/warmup/), or, when
// the config has none, one zero-filled sample (best effort: a model that
// rejects zeros still loads).
#pragma once

#include <filesystem>

#include "core/lifecycle/model_handle.h"
#include "core/status.h"

namespace inferd {

// Runs every sample through the backend. An error names the sample and why.
Status RunConfiguredWarmup(const LoadedModel& model, const std::filesystem::path& model_dir);

// One sample of zeros (empty strings), batch size 1, dynamic dims as 1.
Status RunDefaultWarmup(const LoadedModel& model);

}  // namespace inferd
