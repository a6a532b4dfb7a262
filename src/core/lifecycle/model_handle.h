// A loaded, servable model version and the handle that pins it.
//
// A LoadedModel is immutable once published (its scheduler and statistics are
// internally synchronized). Every request holds a ModelHandle (a shared
// pointer) for as long as it runs, so a version that is replaced or unloaded
// is destroyed only after its last request is done, and then on the model
// manager's reaper thread, never on one of its own instance threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/model_signature.h"
#include "core/scheduler/model_scheduler.h"
#include "core/scheduler/sequence_batcher.h"
#include "model_config.pb.h"
#include "observability/model_statistics.h"

namespace inferd {

struct LoadedModel {
  std::string name;
  int64_t version = 0;
  inference::ModelConfig config;  // completed
  // Inputs and outputs the model serves, as listed by the completed config
  // (outputs may be a subset of the engine's), with class labels.
  ModelSignature signature;
  // For each signature output, its index in the backend's signature.
  std::vector<size_t> backend_output_index;
  // For each backend input, its index in signature.inputs.
  std::vector<size_t> input_order;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<ModelStatistics> stats;
  // Sequence batching, for a model whose config asks for it (else null).
  std::unique_ptr<SequenceBatcher> sequences;
  // Declared last so it is destroyed first: its instances use the backend and
  // the statistics until they have finished the queue.
  std::unique_ptr<ModelScheduler> scheduler;
};

using ModelHandle = std::shared_ptr<const LoadedModel>;

enum class ModelState { kLoading, kReady, kUnavailable, kUnloading };
std::string_view ModelStateName(ModelState state);  // "READY", "UNAVAILABLE", ...

struct VersionStatus {
  int64_t version = 0;
  ModelState state = ModelState::kLoading;
  std::string reason;  // why it is not ready, when it is not
};

struct ModelStatus {
  std::string name;
  std::vector<VersionStatus> versions;  // ascending
  // A model-level failure (e.g. a config that does not parse); versions may be empty then.
  std::string reason;
  // Version labels ("stable" -> 3), from the config and the API.
  std::map<std::string, int64_t, std::less<>> labels;
  // False once the model was unloaded on request: readiness no longer waits for it.
  bool wanted = true;
  // The version requests without one get (TorchServe's set-default); 0: the
  // highest ready version.
  int64_t default_version = 0;
};

}  // namespace inferd
