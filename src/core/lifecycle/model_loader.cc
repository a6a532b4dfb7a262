#include "core/lifecycle/model_loader.h"

#include <fstream>
#include <sstream>

#include "core/lifecycle/model_warmup.h"
#include "core/model_config.h"
#include "observability/log.h"

namespace inferd {

std::string_view ModelStateName(ModelState state) {
  switch (state) {
    case ModelState::kLoading:
      return "LOADING";
    case ModelState::kReady:
      return "READY";
    case ModelState::kUnavailable:
      return "UNAVAILABLE";
    case ModelState::kUnloading:
      return "UNLOADING";
  }
  return "UNKNOWN";
}

StatusOr<ParsedModelConfig> ModelLoader::ReadConfig(const std::filesystem::path& model_dir,
                                                    const std::string& model_name) const {
  const auto path = model_dir / "config.pbtxt";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return ParsedModelConfig{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = ParseModelConfigText(text.str());
  if (!parsed.ok()) return parsed.status();
  for (const auto& warning : parsed->warnings) {
    LogWarn("config field ignored", {{"model", model_name}, {"detail", warning}});
  }
  return parsed;
}

namespace {

// An output's label_filename (Triton's config field): one label per line, in
// class order, in the model directory. Its labels are the output's class
// labels: the classification extension, /predict and classify use them.
Status ReadLabelFiles(const std::filesystem::path& model_dir, LoadedModel& model) {
  for (const auto& output : model.config.output()) {
    const std::string& file = output.label_filename();
    if (file.empty()) continue;
    if (file.find('/') != std::string::npos || file == "." || file == "..") {
      return InvalidArgument("label_filename '" + file + "' of output '" + output.name() +
                             "' must be a file name in the model directory, not a path");
    }
    std::ifstream in(model_dir / file);
    if (!in) {
      return InvalidArgument("cannot read label_filename '" + file + "' of output '" +
                             output.name() + "' in " + model_dir.string());
    }
    std::vector<std::string> labels;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      labels.push_back(std::move(line));
    }
    while (!labels.empty() && labels.back().empty()) labels.pop_back();
    for (TensorSpec& spec : model.signature.outputs) {
      if (spec.name != output.name()) continue;
      const int64_t columns = spec.shape.empty() ? -1 : spec.shape.back();
      if (columns >= 0 && static_cast<size_t>(columns) != labels.size()) {
        return InvalidArgument("label_filename '" + file + "' has " +
                               std::to_string(labels.size()) + " labels but output '" +
                               output.name() + "' has " + std::to_string(columns) + " classes");
      }
      spec.class_labels = std::move(labels);
      break;
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<LoadedModel>> ModelLoader::Load(const std::string& model_name,
                                                         int64_t version,
                                                         const std::filesystem::path& version_dir,
                                                         const ParsedModelConfig& config) const {
  const std::string file_name = config.config.default_model_filename().empty()
                                    ? std::string("model.onnx")
                                    : config.config.default_model_filename();
  // A file name, never a path: a config (or a load override) must not point
  // outside its version directory.
  if (file_name.find('/') != std::string::npos || file_name == "." || file_name == "..") {
    return InvalidArgument("default_model_filename '" + file_name +
                           "' must be a file name in the version directory, not a path");
  }
  const auto model_file = version_dir / file_name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model_file, ec)) {
    return Unavailable("model file " + model_file.string() + " not found");
  }
  // The session options depend on the instance count: complete it first.
  ParsedModelConfig completed = config;
  if (completed.config.name().empty()) completed.config.set_name(model_name);
  INFERD_RETURN_IF_ERROR(CompleteInstanceGroups(options_.autocomplete, completed.config));
  INFERD_ASSIGN_OR_RETURN(BackendOptions backend_options,
                          BackendOptionsFor(completed.config, options_.runtime));
  INFERD_ASSIGN_OR_RETURN(std::unique_ptr<Backend> backend,
                          factory_->Load(model_file, backend_options));
  INFERD_RETURN_IF_ERROR(
      CompleteModelConfig(backend->signature(), model_name, options_.autocomplete, completed));

  auto loaded = std::make_unique<LoadedModel>();
  loaded->name = model_name;
  loaded->version = version;
  loaded->config = std::move(completed.config);
  const ModelSignature& engine = backend->signature();
  const bool batched = loaded->config.max_batch_size() > 0;
  auto full_shape = [batched](const auto& dims) {
    Shape shape;
    if (batched) shape.push_back(-1);
    shape.insert(shape.end(), dims.begin(), dims.end());
    return shape;
  };
  // The config lists every engine input; order the served inputs as the
  // config does and remember where each engine input comes from.
  for (const auto& input : loaded->config.input()) {
    loaded->signature.inputs.push_back(
        {input.name(), FromConfigDataType(input.data_type()), full_shape(input.dims()), {}, {}});
  }
  for (const auto& spec : engine.inputs) {
    for (size_t i = 0; i < loaded->signature.inputs.size(); ++i) {
      if (loaded->signature.inputs[i].name == spec.name) loaded->input_order.push_back(i);
    }
  }
  for (const auto& output : loaded->config.output()) {
    for (size_t i = 0; i < engine.outputs.size(); ++i) {
      if (engine.outputs[i].name != output.name()) continue;
      loaded->signature.outputs.push_back({output.name(),
                                           FromConfigDataType(output.data_type()),
                                           full_shape(output.dims()),
                                           engine.outputs[i].class_labels,
                                           {}});
      loaded->backend_output_index.push_back(i);
    }
  }
  loaded->backend = std::move(backend);
  INFERD_RETURN_IF_ERROR(ReadLabelFiles(version_dir.parent_path(), *loaded));

  if (!loaded->config.model_warmup().empty()) {
    INFERD_RETURN_IF_ERROR(RunConfiguredWarmup(*loaded, version_dir.parent_path()));
  } else if (options_.default_warmup) {
    Status warm = RunDefaultWarmup(*loaded);
    if (!warm.ok()) {
      LogWarn("default warm-up failed; the model still loads (add model_warmup to its config)",
              {{"model", model_name}, {"version", version}, {"reason", warm.message()}});
    }
  }

  INFERD_ASSIGN_OR_RETURN(
      loaded->sequences,
      SequenceBatcher::Make(loaded->config, loaded->signature, version_dir.parent_path(),
                            InstanceCount(loaded->config)));
  loaded->stats = std::make_unique<ModelStatistics>(options_.metrics, model_name, version);
  ModelStatistics* stats = loaded->stats.get();
  SchedulerOptions scheduling = SchedulerOptionsFor(loaded->config, options_.runtime);
  scheduling.online_activity = options_.online_activity;
  loaded->scheduler =
      std::make_unique<ModelScheduler>(loaded->backend.get(), std::move(scheduling),
                                       [stats](const ExecutionReport& report, size_t requests) {
                                         stats->RecordExecution(report, requests);
                                       });
  return loaded;
}

}  // namespace inferd
