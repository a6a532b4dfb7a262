#include "core/lifecycle/model_runtime_options.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

namespace inferd {
namespace {

inference::ModelConfig Config(const char* text) {
  inference::ModelConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config)) << text;
  return config;
}

TEST(ModelRuntimeOptionsTest, InstancesShareTheCores) {
  ServerRuntimeDefaults defaults;
  defaults.cores = 8;
  auto config = Config("instance_group [ { count: 2 }, { count: 2 } ]");
  EXPECT_EQ(InstanceCount(config), 4);
  auto options = BackendOptionsFor(config, defaults);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->intra_op_threads, 2);
  EXPECT_FALSE(options->allow_spinning);
  EXPECT_EQ(options->graph_optimization, GraphOptimization::kAll);
}

TEST(ModelRuntimeOptionsTest, TritonOnnxRuntimeParametersWin) {
  auto config = Config(R"(
    instance_group [ { count: 1 } ]
    optimization { graph { level: 2 } }
    parameters { key: "intra_op_thread_count" value { string_value: "3" } }
    parameters { key: "execution_mode" value { string_value: "1" } }
    parameters { key: "enable_mem_arena" value { string_value: "0" } }
    parameters { key: "allow_spinning" value { string_value: "true" } }
  )");
  auto options = BackendOptionsFor(config, ServerRuntimeDefaults{});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->intra_op_threads, 3);
  EXPECT_TRUE(options->parallel_execution);
  EXPECT_FALSE(options->enable_mem_arena);
  EXPECT_TRUE(options->allow_spinning);
  EXPECT_EQ(options->graph_optimization, GraphOptimization::kDisabled);
}

TEST(ModelRuntimeOptionsTest, BadParameterNamesTheKey) {
  auto config =
      Config(R"(parameters { key: "intra_op_thread_count" value { string_value: "x" } })");
  auto options = BackendOptionsFor(config, ServerRuntimeDefaults{});
  ASSERT_FALSE(options.ok());
  EXPECT_NE(options.status().message().find("intra_op_thread_count"), std::string::npos);
}

TEST(ModelRuntimeOptionsTest, InstanceSchedulingIsNormalOrIdle) {
  const ServerRuntimeDefaults defaults;
  EXPECT_FALSE(SchedulerOptionsFor(Config(""), defaults).idle_priority);
  auto idle = Config(R"(parameters { key: "instance_scheduling" value { string_value: "idle" } })");
  EXPECT_TRUE(BackendOptionsFor(idle, defaults).ok());
  EXPECT_TRUE(SchedulerOptionsFor(idle, defaults).idle_priority);
  auto bad = Config(R"(parameters { key: "instance_scheduling" value { string_value: "low" } })");
  auto refused = BackendOptionsFor(bad, defaults);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("normal or idle, not 'low'"), std::string::npos);
}

TEST(ModelRuntimeOptionsTest, QueuePoliciesPerPriorityLevel) {
  ServerRuntimeDefaults defaults;
  defaults.max_queue_size = 100;
  auto config = Config(R"(
    max_batch_size: 16
    instance_group [ { count: 3 } ]
    dynamic_batching {
      preferred_batch_size: [ 4, 8 ]
      max_queue_delay_microseconds: 250
      priority_levels: 2
      default_priority_level: 2
      default_queue_policy { max_queue_size: 5 default_timeout_microseconds: 1000 }
      priority_queue_policy { key: 1 value { allow_timeout_override: true } }
    }
  )");
  SchedulerOptions options = SchedulerOptionsFor(config, defaults);
  EXPECT_EQ(options.instances, 3);
  EXPECT_TRUE(options.dynamic_batching);
  EXPECT_EQ(options.max_batch_size, 16);
  EXPECT_EQ(options.max_queue_delay, std::chrono::microseconds(250));
  EXPECT_EQ(options.preferred_batch_sizes, (std::vector<int64_t>{4, 8}));
  ASSERT_EQ(options.levels.size(), 2u);
  EXPECT_EQ(options.default_level, 1u);
  EXPECT_EQ(options.levels[0].max_queue_size, 100u);  // level 1 sets none: the server's bound
  EXPECT_TRUE(options.levels[0].allow_timeout_override);
  EXPECT_EQ(options.levels[1].max_queue_size, 5u);
  EXPECT_EQ(options.levels[1].default_timeout, std::chrono::microseconds(1000));

  SchedulerOptions plain = SchedulerOptionsFor(Config("max_batch_size: 16"), defaults);
  EXPECT_FALSE(plain.dynamic_batching);
  ASSERT_EQ(plain.levels.size(), 1u);
  EXPECT_EQ(plain.levels[0].max_queue_size, 100u);
}

}  // namespace
}  // namespace inferd
