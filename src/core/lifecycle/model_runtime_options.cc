#include "core/lifecycle/model_runtime_options.h"

#include <algorithm>
#include <charconv>

namespace inferd {
namespace {

QueuePolicy FromConfig(const inference::ModelQueuePolicy& policy, size_t default_max) {
  QueuePolicy out;
  out.max_queue_size = policy.max_queue_size() > 0 ? policy.max_queue_size() : default_max;
  out.default_timeout = std::chrono::microseconds(policy.default_timeout_microseconds());
  out.allow_timeout_override = policy.allow_timeout_override();
  return out;
}

StatusOr<int> IntParameter(const inference::ModelConfig& config, const std::string& key,
                           int fallback, int min, int max) {
  auto it = config.parameters().find(key);
  if (it == config.parameters().end()) return fallback;
  const std::string& text = it->second.string_value();
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return InvalidArgument("parameter '" + key + "' must be an integer from " +
                           std::to_string(min) + " to " + std::to_string(max) + ", not '" + text +
                           "'");
  }
  return value;
}

StatusOr<bool> BoolParameter(const inference::ModelConfig& config, const std::string& key,
                             bool fallback) {
  auto it = config.parameters().find(key);
  if (it == config.parameters().end()) return fallback;
  const std::string& text = it->second.string_value();
  if (text == "1" || text == "true") return true;
  if (text == "0" || text == "false") return false;
  return InvalidArgument("parameter '" + key + "' must be 1, 0, true or false, not '" + text + "'");
}

}  // namespace

int InstanceCount(const inference::ModelConfig& config) {
  int count = 0;
  for (const auto& group : config.instance_group()) count += std::max(1, group.count());
  return std::max(1, count);
}

SchedulerOptions SchedulerOptionsFor(const inference::ModelConfig& config,
                                     const ServerRuntimeDefaults& defaults) {
  SchedulerOptions options;
  options.instances = InstanceCount(config);
  auto scheduling = config.parameters().find("instance_scheduling");
  options.idle_priority =
      scheduling != config.parameters().end() && scheduling->second.string_value() == "idle";
  options.max_batch_size = config.max_batch_size();
  if (config.has_sequence_batching()) {
    // Requests of different sequences pinned to one instance batch together.
    const auto& sb = config.sequence_batching();
    options.dynamic_batching = config.max_batch_size() > 0;
    if (sb.has_oldest()) {
      options.max_queue_delay =
          std::chrono::microseconds(sb.oldest().max_queue_delay_microseconds());
      options.preferred_batch_sizes.assign(sb.oldest().preferred_batch_size().begin(),
                                           sb.oldest().preferred_batch_size().end());
    } else if (sb.has_direct()) {
      options.max_queue_delay =
          std::chrono::microseconds(sb.direct().max_queue_delay_microseconds());
    }
    options.levels.push_back(QueuePolicy{defaults.max_queue_size, {}, false});
    return options;
  }
  if (!config.has_dynamic_batching()) {
    options.levels.push_back(QueuePolicy{defaults.max_queue_size, {}, false});
    return options;
  }
  const auto& db = config.dynamic_batching();
  options.dynamic_batching = config.max_batch_size() > 0;
  options.preferred_batch_sizes.assign(db.preferred_batch_size().begin(),
                                       db.preferred_batch_size().end());
  options.max_queue_delay = std::chrono::microseconds(db.max_queue_delay_microseconds());
  const uint64_t levels = std::max<uint64_t>(1, db.priority_levels());
  for (uint64_t level = 1; level <= levels; ++level) {
    auto it = db.priority_queue_policy().find(level);
    options.levels.push_back(
        FromConfig(it != db.priority_queue_policy().end() ? it->second : db.default_queue_policy(),
                   defaults.max_queue_size));
  }
  options.default_level =
      db.priority_levels() > 0 ? static_cast<uint32_t>(db.default_priority_level() - 1) : 0;
  return options;
}

StatusOr<BackendOptions> BackendOptionsFor(const inference::ModelConfig& config,
                                           const ServerRuntimeDefaults& defaults) {
  BackendOptions options;
  const int instances = InstanceCount(config);
  const int automatic = defaults.intra_op_threads > 0 ? defaults.intra_op_threads
                                                      : std::max(1, defaults.cores / instances);
  INFERD_ASSIGN_OR_RETURN(options.intra_op_threads,
                          IntParameter(config, "intra_op_thread_count", automatic, 0, 1024));
  if (options.intra_op_threads == 0) options.intra_op_threads = automatic;
  INFERD_ASSIGN_OR_RETURN(options.inter_op_threads,
                          IntParameter(config, "inter_op_thread_count", 1, 0, 1024));
  if (options.inter_op_threads == 0) options.inter_op_threads = 1;
  INFERD_ASSIGN_OR_RETURN(int mode, IntParameter(config, "execution_mode", 0, 0, 1));
  options.parallel_execution = mode == 1;
  INFERD_ASSIGN_OR_RETURN(options.enable_mem_arena,
                          BoolParameter(config, "enable_mem_arena", true));
  INFERD_ASSIGN_OR_RETURN(options.enable_mem_pattern,
                          BoolParameter(config, "enable_mem_pattern", true));
  INFERD_ASSIGN_OR_RETURN(options.allow_spinning,
                          BoolParameter(config, "allow_spinning", defaults.allow_spinning));
  // Read by SchedulerOptionsFor; checked here, where a config can be refused.
  if (auto it = config.parameters().find("instance_scheduling");
      it != config.parameters().end() && it->second.string_value() != "normal" &&
      it->second.string_value() != "idle") {
    return InvalidArgument("parameter instance_scheduling is normal or idle, not '" +
                           it->second.string_value() + "'");
  }
  // Triton's levels: -1 basic, 1 basic and extended, 2 none; anything else all.
  switch (config.optimization().graph().level()) {
    case -1:
      options.graph_optimization = GraphOptimization::kBasic;
      break;
    case 1:
      options.graph_optimization = GraphOptimization::kExtended;
      break;
    case 2:
      options.graph_optimization = GraphOptimization::kDisabled;
      break;
    default:
      options.graph_optimization = GraphOptimization::kAll;
  }
  return options;
}

}  // namespace inferd
