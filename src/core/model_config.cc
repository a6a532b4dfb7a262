#include "core/model_config.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <set>

#include "core/config_text_filter.h"
#include "core/json_nesting.h"

namespace inferd {
namespace {

namespace pb = google::protobuf;

// Collects parser messages: errors fail the parse, warnings (unknown fields)
// are kept for the loader to log.
class ConfigErrorCollector : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
    if (error_.empty()) error_ = Where(line, column) + message;
  }
  void AddWarning(int line, pb::io::ColumnNumber column, const std::string& message) override {
    warnings_.push_back(Where(line, column) + message);
  }
  const std::string& error() const { return error_; }
  std::vector<std::string>& warnings() { return warnings_; }

 private:
  static std::string Where(int line, pb::io::ColumnNumber column) {
    return "config.pbtxt:" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": ";
  }
  std::string error_;
  std::vector<std::string> warnings_;
};

std::string JoinNames(const std::vector<TensorSpec>& specs) {
  std::string out;
  for (const auto& s : specs) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

const TensorSpec* FindSpec(const std::vector<TensorSpec>& specs, const std::string& name) {
  for (const auto& s : specs) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// Completes the config's inputs or outputs (Msg = ModelInput or ModelOutput)
// from the model's tensors and checks the ones the config gives.
template <typename Msg>
Status CompleteTensors(const std::vector<TensorSpec>& model, pb::RepeatedPtrField<Msg>* config,
                       std::string_view kind, bool batched, bool config_may_be_subset,
                       std::vector<std::string>& warnings) {
  const bool config_empty = config->empty();
  std::set<std::string> seen;
  for (Msg& entry : *config) {
    const std::string& name = entry.name();
    if (!seen.insert(name).second) {
      return InvalidArgument("config lists " + std::string(kind) + " '" + name + "' twice");
    }
    const TensorSpec* spec = FindSpec(model, name);
    if (spec == nullptr) {
      return InvalidArgument("config " + std::string(kind) + " '" + name +
                             "' is not in the model; the model's " + std::string(kind) +
                             "s are: " + JoinNames(model));
    }
    if (entry.data_type() == inference::TYPE_INVALID) {
      entry.set_data_type(ToConfigDataType(spec->dtype));
    } else if (FromConfigDataType(entry.data_type()) != spec->dtype) {
      return InvalidArgument("config " + std::string(kind) + " '" + name + "' has data_type " +
                             inference::DataType_Name(entry.data_type()) + " but the model has " +
                             std::string(DataTypeConfigName(spec->dtype)));
    }
    const Shape model_dims =
        batched ? Shape(spec->shape.begin() + 1, spec->shape.end()) : spec->shape;
    if (entry.dims().empty() && !model_dims.empty()) {
      for (int64_t d : model_dims) entry.add_dims(d);
      continue;
    }
    if (static_cast<size_t>(entry.dims_size()) != model_dims.size()) {
      return InvalidArgument("config " + std::string(kind) + " '" + name + "' has " +
                             std::to_string(entry.dims_size()) + " dims but the model's shape " +
                             (batched ? "without its batch dim " : "") + "is " +
                             ShapeToString(model_dims));
    }
    for (size_t i = 0; i < model_dims.size(); ++i) {
      const int64_t want = entry.dims(static_cast<int>(i));
      const int64_t have = model_dims[i];
      if (want < -1) {
        return InvalidArgument("config " + std::string(kind) + " '" + name +
                               "' has an invalid dim " + std::to_string(want));
      }
      if (have != -1 && want != -1 && want != have) {
        return InvalidArgument("config " + std::string(kind) + " '" + name + "' dim " +
                               std::to_string(i) + " is " + std::to_string(want) +
                               " but the model's is " + std::to_string(have));
      }
      if (want == -1 && have != -1) entry.set_dims(static_cast<int>(i), have);
    }
  }
  if (!config_empty && config_may_be_subset) return Status::Ok();
  for (const TensorSpec& spec : model) {
    if (seen.count(spec.name)) continue;
    if (!config_empty) {
      warnings.push_back("model " + std::string(kind) + " '" + spec.name +
                         "' is missing from config.pbtxt; taken from the model");
    }
    Msg* entry = config->Add();
    entry->set_name(spec.name);
    entry->set_data_type(ToConfigDataType(spec.dtype));
    auto first = spec.shape.begin() + (batched ? 1 : 0);
    for (auto it = first; it != spec.shape.end(); ++it) entry->add_dims(*it);
  }
  return Status::Ok();
}

// The name of a tensor that stops the model from batching along dim 0, or ""
// when every input and output has a dynamic first dim and no two of those dims
// carry different symbolic names.
std::string FirstUnbatchableTensor(const ModelSignature& sig) {
  std::string symbol;
  for (const auto* list : {&sig.inputs, &sig.outputs}) {
    for (const auto& t : *list) {
      if (t.shape.empty() || t.shape[0] != -1) return t.name;
      if (t.first_dim_symbol.empty()) continue;
      if (symbol.empty()) symbol = t.first_dim_symbol;
      if (t.first_dim_symbol != symbol) return t.name;
    }
  }
  return "";
}

void NumberifyInt64Strings(rapidjson::Value& value, bool convert) {
  if (value.IsObject()) {
    for (auto& m : value.GetObject()) {
      static const std::set<std::string_view> kInt64Fields = {"dims",
                                                              "shape",
                                                              "versions",
                                                              "max_queue_delay_microseconds",
                                                              "priority_levels",
                                                              "default_priority_level",
                                                              "default_timeout_microseconds"};
      NumberifyInt64Strings(m.value, kInt64Fields.count(m.name.GetString()) > 0);
    }
  } else if (value.IsArray()) {
    for (auto& v : value.GetArray()) NumberifyInt64Strings(v, convert);
  } else if (convert && value.IsString()) {
    const std::string s = value.GetString();
    char* end = nullptr;
    const long long n = std::strtoll(s.c_str(), &end, 10);
    if (end && *end == '\0' && !s.empty()) value.SetInt64(n);
  }
}

}  // namespace

DataType FromConfigDataType(inference::DataType type) {
  return DataTypeFromConfigName(inference::DataType_Name(type));
}

inference::DataType ToConfigDataType(DataType type) {
  inference::DataType out = inference::TYPE_INVALID;
  inference::DataType_Parse(std::string(DataTypeConfigName(type)), &out);
  return out;
}

StatusOr<ParsedModelConfig> ParseModelConfigText(std::string_view text) {
  ParsedModelConfig parsed;
  FilteredText filtered = RemoveUnknownTextFields(text, inference::ModelConfig::descriptor());
  ConfigErrorCollector errors;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  pb::TextFormat::ParseInfoTree info;
  parser.WriteLocationsTo(&info);
  if (!parser.ParseFromString(filtered.text, &parsed.config)) {
    return InvalidArgument(errors.error().empty() ? "config.pbtxt does not parse" : errors.error());
  }
  parsed.warnings = std::move(filtered.removed);
  for (auto& warning : errors.warnings()) parsed.warnings.push_back(std::move(warning));
  const auto* field = inference::ModelConfig::descriptor()->FindFieldByName("max_batch_size");
  parsed.max_batch_size_set = info.GetLocation(field, -1).line >= 0;
  return parsed;
}

StatusOr<ParsedModelConfig> ParseModelConfigJson(std::string_view json) {
  // RapidJSON frees a document recursively even when it parsed it
  // iteratively: bound the nesting first (protobuf's own limit is 100).
  if (!JsonNestingWithin(json, 100)) {
    return InvalidArgument("the config override nests deeper than 100 levels");
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return InvalidArgument("the config override is not a JSON object");
  }
  ParsedModelConfig parsed;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto status = pb::util::JsonStringToMessage(std::string(json), &parsed.config, options);
  if (!status.ok()) {
    return InvalidArgument("the config override does not parse: " + std::string(status.message()));
  }
  parsed.max_batch_size_set = doc.HasMember("max_batch_size");
  return parsed;
}

// Rejects batching settings that cannot be honoured, so a typo does not
// silently change how the model is scheduled.
static Status CheckDynamicBatching(const inference::ModelConfig& c) {
  if (!c.has_dynamic_batching()) return Status::Ok();
  const auto& db = c.dynamic_batching();
  for (int32_t size : db.preferred_batch_size()) {
    if (size <= 0 || (c.max_batch_size() > 0 && size > c.max_batch_size())) {
      return InvalidArgument("dynamic_batching preferred_batch_size " + std::to_string(size) +
                             " must be between 1 and max_batch_size (" +
                             std::to_string(c.max_batch_size()) + ")");
    }
  }
  if (db.priority_levels() > 0 &&
      (db.default_priority_level() == 0 || db.default_priority_level() > db.priority_levels())) {
    return InvalidArgument(
        "dynamic_batching default_priority_level must be between 1 and "
        "priority_levels (" +
        std::to_string(db.priority_levels()) + ")");
  }
  if (db.priority_levels() == 0 && db.default_priority_level() != 0) {
    return InvalidArgument("dynamic_batching default_priority_level needs priority_levels");
  }
  if (db.priority_levels() > 64) {
    return InvalidArgument("dynamic_batching priority_levels must be at most 64");
  }
  if (db.default_queue_policy().timeout_action() == inference::ModelQueuePolicy::DELAY) {
    return Unsupported("dynamic_batching timeout_action DELAY is not supported; use REJECT");
  }
  return Status::Ok();
}

Status CompleteModelConfig(const ModelSignature& signature, std::string_view model_name,
                           const AutoCompleteOptions& options, ParsedModelConfig& parsed) {
  inference::ModelConfig& c = parsed.config;
  if (c.name().empty()) {
    c.set_name(std::string(model_name));
  } else if (c.name() != model_name) {
    return InvalidArgument("config name '" + c.name() + "' does not match the model directory '" +
                           std::string(model_name) + "'");
  }
  if (!c.platform().empty() && c.platform() != "onnxruntime_onnx") {
    return Unsupported("platform '" + c.platform() + "' is not supported; use onnxruntime_onnx");
  }
  if (!c.backend().empty() && c.backend() != "onnxruntime") {
    return Unsupported("backend '" + c.backend() + "' is not supported; use onnxruntime");
  }
  c.set_platform("onnxruntime_onnx");
  c.set_backend("onnxruntime");

  const std::string unbatchable = FirstUnbatchableTensor(signature);
  if (!parsed.max_batch_size_set) {
    c.set_max_batch_size(unbatchable.empty() ? options.default_max_batch_size : 0);
    if (c.max_batch_size() > 0 && !c.has_dynamic_batching() && !c.has_sequence_batching()) {
      c.mutable_dynamic_batching();
    }
  }
  if (c.max_batch_size() < 0) {
    return InvalidArgument("max_batch_size must not be negative");
  }
  const bool batched = c.max_batch_size() > 0;
  if (batched && !unbatchable.empty()) {
    return InvalidArgument("max_batch_size is " + std::to_string(c.max_batch_size()) +
                           " but the model's tensor '" + unbatchable +
                           "' does not share a dynamic first (batch) dim with the others; set "
                           "max_batch_size: 0");
  }
  const size_t warnings_before = parsed.warnings.size();
  INFERD_RETURN_IF_ERROR(CompleteTensors(signature.inputs, c.mutable_input(), "input", batched,
                                         /*config_may_be_subset=*/false, parsed.warnings));
  // Sequence control and state inputs are meant to be left out of `input`.
  if (c.has_sequence_batching()) {
    std::set<std::string> filled;
    for (const auto& control : c.sequence_batching().control_input()) filled.insert(control.name());
    for (const auto& state : c.sequence_batching().state()) filled.insert(state.input_name());
    auto& w = parsed.warnings;
    w.erase(std::remove_if(w.begin() + static_cast<std::ptrdiff_t>(warnings_before), w.end(),
                           [&](const std::string& warning) {
                             for (const auto& name : filled) {
                               if (warning.find("'" + name + "'") != std::string::npos) return true;
                             }
                             return false;
                           }),
            w.end());
  }
  INFERD_RETURN_IF_ERROR(CompleteTensors(signature.outputs, c.mutable_output(), "output", batched,
                                         /*config_may_be_subset=*/true, parsed.warnings));
  // A sequence's state outputs are served even when `output` leaves them
  // out (as Triton configs do): the batcher carries them to the next request.
  for (const auto& state : c.sequence_batching().state()) {  // none without sequence batching
    bool listed = false;
    for (const auto& out : c.output()) listed = listed || out.name() == state.output_name();
    const TensorSpec* spec = FindSpec(signature.outputs, state.output_name());
    if (listed || spec == nullptr) continue;
    auto* entry = c.add_output();
    entry->set_name(spec->name);
    entry->set_data_type(ToConfigDataType(spec->dtype));
    for (auto it = spec->shape.begin() + (batched ? 1 : 0); it != spec->shape.end(); ++it) {
      entry->add_dims(*it);
    }
  }

  if (c.version_policy().policy_choice_case() ==
      inference::ModelVersionPolicy::POLICY_CHOICE_NOT_SET) {
    c.mutable_version_policy()->mutable_latest()->set_num_versions(1);
  } else if (c.version_policy().has_latest() && c.version_policy().latest().num_versions() == 0) {
    return InvalidArgument("version_policy latest needs num_versions >= 1");
  }

  INFERD_RETURN_IF_ERROR(CompleteInstanceGroups(options, c));
  if (c.default_model_filename().empty()) c.set_default_model_filename("model.onnx");
  INFERD_RETURN_IF_ERROR(CheckDynamicBatching(c));
  return Status::Ok();
}

Status CompleteInstanceGroups(const AutoCompleteOptions& options, inference::ModelConfig& c) {
  if (c.instance_group().empty()) c.add_instance_group();
  for (int i = 0; i < c.instance_group_size(); ++i) {
    auto* group = c.mutable_instance_group(i);
    if (group->name().empty()) group->set_name(c.name() + "_" + std::to_string(i));
    if (group->count() < 0) return InvalidArgument("instance_group count must not be negative");
    if (group->count() == 0) group->set_count(std::max(1, options.default_instance_count));
    if (group->kind() == inference::ModelInstanceGroup::KIND_AUTO) {
      group->set_kind(inference::ModelInstanceGroup::KIND_CPU);
    }
    if (group->kind() == inference::ModelInstanceGroup::KIND_GPU) {
      return Unsupported(
          "instance_group kind KIND_GPU needs a GPU execution provider, which this "
          "server does not have; use KIND_CPU");
    }
  }
  return Status::Ok();
}

std::string ModelConfigToJson(const inference::ModelConfig& config) {
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.always_print_enums_as_ints = false;
  std::string json;
  if (!pb::util::MessageToJsonString(config, &json, options).ok()) return "{}";
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) return json;
  NumberifyInt64Strings(doc, false);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace inferd
