// Model configuration: Triton's config.pbtxt, parsed, auto-completed from the
// model's own signature, and checked against it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model_signature.h"
#include "core/status.h"
#include "model_config.pb.h"

namespace inferd {

struct ParsedModelConfig {
  inference::ModelConfig config;
  bool max_batch_size_set = false;    // proto3 cannot tell 0 from absent
  std::vector<std::string> warnings;  // one per ignored (unknown) field
};

// Parses config.pbtxt text. Fields inferd does not know are skipped and named
// in `warnings`; syntax errors and wrong value types are errors.
StatusOr<ParsedModelConfig> ParseModelConfigText(std::string_view text);

// Parses a config given as JSON (Triton's load override, field names as in
// config.pbtxt). Unknown fields are ignored.
StatusOr<ParsedModelConfig> ParseModelConfigJson(std::string_view json);

struct AutoCompleteOptions {
  // max_batch_size given to a model whose config does not set it and whose
  // inputs and outputs all have a dynamic first dim.
  int default_max_batch_size = 65536;
  // Instances of a model whose instance_group leaves the count out.
  int default_instance_count = 1;
};

// Fills what the config leaves out from the model's signature (name, platform,
// max_batch_size, inputs, outputs, version policy, instance groups) and rejects
// a config that contradicts the model, with the reason. As Triton's ONNX
// Runtime backend does, a max_batch_size found by auto-completion comes with
// dynamic batching (no added delay) unless the config chose a scheduler.
Status CompleteModelConfig(const ModelSignature& signature, std::string_view model_name,
                           const AutoCompleteOptions& options, ParsedModelConfig& parsed);

// Gives every instance_group a name, a count (the default when it has none)
// and kind CPU, adding one group when there is none; part of
// CompleteModelConfig, and callable before it because the engine's session
// options depend on the instance count.
Status CompleteInstanceGroups(const AutoCompleteOptions& options, inference::ModelConfig& config);

// The config as Triton renders it in JSON (snake_case names, int64 as numbers).
std::string ModelConfigToJson(const inference::ModelConfig& config);

DataType FromConfigDataType(inference::DataType type);
inference::DataType ToConfigDataType(DataType type);

}  // namespace inferd
