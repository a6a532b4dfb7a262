// How a model version runs: its scheduler (instances, dynamic batching, queue
// policies) and its engine session options, derived from the completed
// config.pbtxt and the server-wide defaults. Pure functions, unit-tested.
#pragma once

#include <chrono>

#include "core/backend.h"
#include "core/scheduler/model_scheduler.h"
#include "core/status.h"
#include "model_config.pb.h"

namespace inferd {

struct ServerRuntimeDefaults {
  int cores = 1;  // CPU cores the server may use
  // Engine threads per instance; 0: the cores divided among the instances.
  int intra_op_threads = 0;
  bool allow_spinning = false;  // idle engine threads spin (faster, burns CPU)
  // Queue bound of a model whose config sets none; 0: unbounded.
  size_t max_queue_size = 0;
};

// Sums the instance_group counts (the config is completed, so counts are set).
int InstanceCount(const inference::ModelConfig& config);

SchedulerOptions SchedulerOptionsFor(const inference::ModelConfig& config,
                                     const ServerRuntimeDefaults& defaults);

// Reads Triton's ONNX Runtime keys: optimization.graph.level and the
// parameters intra_op_thread_count, inter_op_thread_count, execution_mode,
// enable_mem_arena, enable_mem_pattern, plus inferd's allow_spinning. A value
// that does not parse is an error naming the key.
StatusOr<BackendOptions> BackendOptionsFor(const inference::ModelConfig& config,
                                           const ServerRuntimeDefaults& defaults);

}  // namespace inferd
