#include "core/registry/model_registry.h"

#include <google/protobuf/unknown_field_set.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <sstream>

#include "core/lifecycle/repository_scanner.h"
#include "core/lifecycle/version_writer.h"
#include "core/model_config.h"
#include "core/model_visibility.h"
#include "core/sha256.h"
#include "observability/log.h"

namespace inferd {
namespace {

namespace fs = std::filesystem;

constexpr std::array<std::string_view, 4> kStages = {"None", "Staging", "Production", "Archived"};
constexpr size_t kMaxKeyBytes = 250;     // MLflow's limit on tag keys
constexpr size_t kMaxValueBytes = 5000;  // and on tag values
constexpr char kModelFileName[] = "model.onnx";

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Status CheckModelName(const std::string& name) {
  if (!IsValidModelName(name)) {
    return InvalidArgument("'" + name +
                           "' is not a valid model name: it must be a plain directory name "
                           "(no '/', not '.' or '..', not hidden)");
  }
  return Status::Ok();
}

Status CheckTag(const std::string& key, const std::string& value) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return InvalidArgument("a tag key must have 1 to " + std::to_string(kMaxKeyBytes) + " bytes");
  }
  if (value.size() > kMaxValueBytes) {
    return InvalidArgument("tag '" + key + "' has a value over " + std::to_string(kMaxValueBytes) +
                           " bytes");
  }
  return Status::Ok();
}

Status CheckTags(const RegistryTags& tags) {
  for (const auto& [key, value] : tags) INFERD_RETURN_IF_ERROR(CheckTag(key, value));
  return Status::Ok();
}

// MLflow reserves "latest" and "v<digits>" (they name versions); inferd also
// reserves the stage names and numbers, which share the label namespace.
Status CheckAlias(const std::string& alias) {
  const bool charset =
      !alias.empty() && alias.size() <= 255 && std::all_of(alias.begin(), alias.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      });
  if (!charset) {
    return InvalidArgument("alias '" + alias + "' must have 1 to 255 letters, digits, '_' or '-'");
  }
  int64_t number = 0;
  const bool versionlike = ParseVersion(alias, number) || ((alias[0] == 'v' || alias[0] == 'V') &&
                                                           ParseVersion(alias.substr(1), number));
  const bool stage = std::any_of(kStages.begin(), kStages.end(),
                                 [&](std::string_view s) { return EqualsNoCase(s, alias); });
  if (versionlike || EqualsNoCase(alias, "latest") || stage) {
    return InvalidArgument("alias '" + alias +
                           "' is reserved: 'latest', 'v<number>', numbers and stage names name "
                           "versions already");
  }
  return Status::Ok();
}

// The file whose checksum a version carries: model.onnx, else its largest file.
StatusOr<fs::path> ModelFileOf(const fs::path& version_dir) {
  std::error_code ec;
  if (fs::is_regular_file(version_dir / kModelFileName, ec)) return version_dir / kModelFileName;
  fs::path largest;
  uintmax_t largest_size = 0;
  for (const auto& entry : fs::directory_iterator(version_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_regular_file(ec)) continue;
    const uintmax_t size = entry.file_size(ec);
    if (largest.empty() || size > largest_size) {
      largest = entry.path();
      largest_size = size;
    }
  }
  if (largest.empty()) return InvalidArgument(version_dir.string() + " holds no model file");
  return largest;
}

}  // namespace

// An ONNX file is a serialized ModelProto, whose graph is field 7. Checking
// the wire format and that field catches uploads of the wrong file (text,
// JSON, an archive) before they reach the repository; whether the graph
// runs is the loader's call.
Status ModelRegistry::CheckOnnxFile(std::string_view bytes) {
  google::protobuf::UnknownFieldSet fields;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !fields.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument("the uploaded file is not an ONNX model (not a protobuf message)");
  }
  for (int i = 0; i < fields.field_count(); ++i) {
    const auto& field = fields.field(i);
    if (field.number() == 7 &&
        field.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      return Status::Ok();
    }
  }
  return InvalidArgument("the uploaded file is not an ONNX model (it has no graph)");
}

StatusOr<std::string> ModelRegistry::CanonicalStage(std::string_view stage) {
  for (std::string_view s : kStages) {
    if (EqualsNoCase(s, stage)) return std::string(s);
  }
  return InvalidArgument("invalid stage '" + std::string(stage) +
                         "': it must be one of None, Staging, Production, Archived");
}

std::optional<RegistryPlan> ModelRegistry::PlanFor(const RegisteredModelRecord& model) {
  RegistryPlan plan;
  for (const auto& v : model.versions) {
    const bool staged = v.stage == "Staging" || v.stage == "Production";
    if (!staged && v.aliases.empty()) continue;
    plan.versions.push_back(v.version);            // ascending, as the records are
    if (staged) plan.labels[v.stage] = v.version;  // the latest one wins
    if (v.stage == "Production") plan.default_version = v.version;
  }
  if (plan.versions.empty()) return std::nullopt;
  for (const auto& [alias, version] : model.aliases) plan.labels[alias] = version;
  return plan;
}

Status ModelRegistry::Start() {
  std::map<std::string, RegistryPlan> plans;
  auto store = StoreForRead();
  if (!store.ok()) {
    if (store.status().code() == StatusCode::kNotFound) return Status::Ok();
    LogError("the model registry is unavailable; models serve by their version policies",
             {{"database", db_path_.string()}, {"reason", store.status().message()}});
    return store.status();
  }
  INFERD_ASSIGN_OR_RETURN(auto models, (*store)->ListModels());
  std::vector<std::string> planned;
  for (const auto& model : models) {
    if (auto plan = PlanFor(model)) {
      plans[model.name] = std::move(*plan);
      planned.push_back(model.name);
    }
  }
  LogInfo("model registry opened", {{"database", db_path_.string()},
                                    {"registered_models", static_cast<int64_t>(models.size())},
                                    {"staged_models", static_cast<int64_t>(planned.size())}});
  manager_.SetRegistryPlans(std::move(plans));
  if (auto seen = (*store)->DataVersion(); seen.ok()) seen_data_version_ = *seen;
  std::lock_guard lock(mu_);
  planned_ = std::move(planned);
  reapply_all_ = false;  // the plans above are what it says
  return Status::Ok();
}

void ModelRegistry::Refresh() {
  auto store = StoreForRead();
  if (!store.ok()) return;
  auto data_version = (*store)->DataVersion();
  if (!data_version.ok()) return;
  bool reapply_all = false;
  {
    std::lock_guard lock(mu_);
    reapply_all = reapply_all_;
  }
  if (!reapply_all && *data_version == seen_data_version_) return;
  auto models = (*store)->ListModels();
  if (!models.ok()) return;                          // tried again at the next look
  std::vector<std::string> names = PlannedModels();  // some may be gone from the database
  for (const auto& model : *models) {
    if (PlanFor(model) && std::find(names.begin(), names.end(), model.name) == names.end()) {
      names.push_back(model.name);
    }
  }
  if (!names.empty()) {
    LogInfo("applying the model registry",
            {{"reason", reapply_all ? "database (re)opened" : "changed by another process"}});
  }
  for (const auto& name : names) Apply(name, false);
  seen_data_version_ = *data_version;
  std::lock_guard lock(mu_);
  reapply_all_ = false;
}

std::vector<std::string> ModelRegistry::PlannedModels() const {
  std::lock_guard lock(mu_);
  return planned_;
}

StatusOr<std::shared_ptr<RegistryStore>> ModelRegistry::Store(bool create) {
  std::lock_guard lock(mu_);
  if (store_ != nullptr && store_->broken()) {
    // Corrupt or unreadable: the file may since have been restored.
    LogWarn("reopening the registry database", {{"database", db_path_.string()}});
    store_.reset();
  }
  if (store_ == nullptr) {
    // Opened on first use, and again after a failure, so a database that was
    // locked or restored from a backup is picked up without a restart.
    if (!open_store_) return Unavailable("this server has no registry store");
    auto opened = open_store_(db_path_, create);
    if (!opened.ok()) return opened.status();
    store_ = std::move(opened).value();
    reapply_all_ = true;  // what it says may differ from what serves
  }
  return store_;
}

StatusOr<std::shared_ptr<RegistryStore>> ModelRegistry::StoreForRead() {
  return Store(false);
}

void ModelRegistry::Apply(const std::string& model, bool load_if_absent) {
  // Held from reading the plan to applying it, so two threads (the admin
  // thread, the poller) cannot apply an older plan after a newer one.
  std::lock_guard apply(apply_mu_);
  auto store = StoreForRead();
  if (!store.ok()) return;
  auto record = (*store)->GetModel(model);
  std::optional<RegistryPlan> plan;
  if (record.ok()) {
    plan = PlanFor(*record);
  } else if (record.status().code() != StatusCode::kNotFound) {
    LogError("registry change not applied",
             {{"model", model}, {"reason", record.status().message()}});
    return;
  }
  {
    std::lock_guard lock(mu_);
    auto it = std::find(planned_.begin(), planned_.end(), model);
    if (plan && it == planned_.end()) planned_.push_back(model);
    if (!plan && it != planned_.end()) planned_.erase(it);
  }
  Status applied = manager_.ApplyRegistryPlan(model, std::move(plan), load_if_absent);
  if (!applied.ok() && applied.code() != StatusCode::kNotFound) {
    LogError("registry change applied, but not every version serves",
             {{"model", model}, {"reason", applied.message()}});
  }
}

StatusOr<RegisteredModelRecord> ModelRegistry::CreateModel(const std::string& name,
                                                           const std::string& description,
                                                           const RegistryTags& tags) {
  INFERD_RETURN_IF_ERROR(CheckModelName(name));
  INFERD_RETURN_IF_ERROR(CheckTags(tags));
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  INFERD_RETURN_IF_ERROR(store->CreateModel(name, description, tags));
  return store->GetModel(name);
}

StatusOr<RegisteredModelRecord> ModelRegistry::GetModel(const std::string& name) {
  auto store = StoreForRead();
  if (store.status().code() == StatusCode::kNotFound) {
    return NotFound("Registered Model with name=" + name + " not found");
  }
  INFERD_RETURN_IF_ERROR(store.status());
  return (*store)->GetModel(name);
}

StatusOr<std::vector<RegisteredModelRecord>> ModelRegistry::ListModels() {
  auto store = StoreForRead();
  if (store.status().code() == StatusCode::kNotFound) return std::vector<RegisteredModelRecord>{};
  INFERD_RETURN_IF_ERROR(store.status());
  INFERD_ASSIGN_OR_RETURN(std::vector<RegisteredModelRecord> models, (*store)->ListModels());
  // A caller limited to some models lists only those (core/model_visibility.h).
  std::erase_if(models, [](const RegisteredModelRecord& m) { return !ModelVisibleNow(m.name); });
  return models;
}

StatusOr<RegisteredModelRecord> ModelRegistry::UpdateModel(const std::string& name,
                                                           const std::string& description) {
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  INFERD_RETURN_IF_ERROR(store->UpdateModelDescription(name, description));
  return store->GetModel(name);
}

Status ModelRegistry::DeleteModel(const std::string& name) {
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  INFERD_RETURN_IF_ERROR(store->DeleteModel(name));
  Apply(name, false);
  return Status::Ok();
}

Status ModelRegistry::SetModelTag(const std::string& name, const std::string& key,
                                  const std::string& value) {
  INFERD_RETURN_IF_ERROR(CheckTag(key, value));
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  return store->SetModelTag(name, key, value);
}

Status ModelRegistry::DeleteModelTag(const std::string& name, const std::string& key) {
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  return store->DeleteModelTag(name, key);
}

StatusOr<int64_t> ModelRegistry::NextVersion(RegistryStore& store, const std::string& model) {
  int64_t highest = 0;
  auto record = store.GetModel(model);
  if (record.ok()) {
    highest = record->last_version;
  } else if (record.status().code() != StatusCode::kNotFound) {
    return record.status();
  }
  auto dir = ScanModel(manager_.root(), model);
  if (dir.ok() && !dir->versions.empty()) highest = std::max(highest, dir->versions.back().version);
  // Directories the scanner skips (still being copied) hold numbers too.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(manager_.root() / model, ec)) {
    int64_t number = 0;
    if (ParseVersion(entry.path().filename().string(), number)) highest = std::max(highest, number);
  }
  return highest + 1;
}

StatusOr<ModelVersionRecord> ModelRegistry::Register(RegistryStore& store, const std::string& model,
                                                     int64_t version, const std::string& source,
                                                     const std::string& checksum,
                                                     const std::string& description,
                                                     const RegistryTags& tags,
                                                     const std::map<std::string, double>& metrics) {
  Status created = store.CreateModel(model, "", {});
  if (!created.ok() && created.code() != StatusCode::kAlreadyExists) return created;
  NewModelVersion v;
  v.model = model;
  v.version = version;
  v.source = source;
  v.checksum = checksum;
  v.description = description;
  v.tags = tags;
  v.metrics = metrics;
  return store.CreateVersion(v);
}

StatusOr<ModelVersionRecord> ModelRegistry::CreateVersion(const NewVersionRequest& request) {
  INFERD_RETURN_IF_ERROR(CheckModelName(request.model));
  INFERD_RETURN_IF_ERROR(CheckTags(request.tags));
  std::string_view source = request.source;
  if (source.rfind("file://", 0) == 0) source.remove_prefix(7);
  if (source.empty() || source[0] != '/') {
    return InvalidArgument(
        "source must be an absolute path on the server: a model file, or a "
        "version directory of '" +
        request.model + "' in the repository");
  }
  std::error_code ec;
  const fs::path path = fs::weakly_canonical(fs::path(source), ec);
  if (ec || !fs::exists(path, ec)) {
    return InvalidArgument("source " + std::string(source) + " does not exist on the server");
  }
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  const fs::path model_dir = fs::weakly_canonical(manager_.root() / request.model, ec);
  int64_t version = 0;
  StatusOr<ModelVersionRecord> registered = Status(StatusCode::kInternal, "");
  if (fs::is_directory(path, ec) && path.parent_path() == model_dir &&
      ParseVersion(path.filename().string(), version)) {
    // A version already in the repository: registered where it is.
    INFERD_ASSIGN_OR_RETURN(fs::path file, ModelFileOf(path));
    INFERD_ASSIGN_OR_RETURN(std::string checksum, Sha256DigestOfFile(file));
    registered = Register(*store, request.model, version, path.string(), checksum,
                          request.description, request.tags, request.metrics);
  } else if (fs::is_regular_file(path, ec)) {
    const uintmax_t size = fs::file_size(path, ec);
    if (ec || size > max_upload_bytes_) {
      return Status(StatusCode::kResourceExhausted,
                    "source " + path.string() + " is larger than the upload limit of " +
                        std::to_string(max_upload_bytes_) + " bytes");
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in) return Unavailable("cannot read " + path.string());
    const std::string content = bytes.str();
    INFERD_RETURN_IF_ERROR(CheckOnnxFile(content));
    INFERD_ASSIGN_OR_RETURN(version, NextVersion(*store, request.model));
    INFERD_RETURN_IF_ERROR(
        WriteVersionDir(manager_.root() / request.model, version, {{kModelFileName, content}}));
    registered = Register(*store, request.model, version, path.string(), Sha256Digest(content),
                          request.description, request.tags, request.metrics);
    if (!registered.ok())
      fs::remove_all(manager_.root() / request.model / std::to_string(version), ec);
  } else {
    return InvalidArgument("source " + path.string() + " is neither a model file nor a version " +
                           "directory of '" + request.model + "' in the repository");
  }
  INFERD_RETURN_IF_ERROR(registered.status());
  Apply(request.model, true);
  return registered;
}

StatusOr<ModelVersionRecord> ModelRegistry::UploadVersion(const UploadRequest& request) {
  INFERD_RETURN_IF_ERROR(CheckModelName(request.model));
  INFERD_RETURN_IF_ERROR(CheckTags(request.tags));
  if (request.model_file.empty()) return InvalidArgument("the uploaded model file is empty");
  if (request.model_file.size() > max_upload_bytes_) {
    return Status(StatusCode::kResourceExhausted,
                  "the uploaded model is larger than the limit of " +
                      std::to_string(max_upload_bytes_) + " bytes (--max-upload-bytes)");
  }
  INFERD_RETURN_IF_ERROR(CheckOnnxFile(request.model_file));
  if (request.config) {
    auto parsed = ParseModelConfigText(*request.config);
    if (!parsed.ok()) return InvalidArgument("the uploaded config: " + parsed.status().message());
  }
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  INFERD_ASSIGN_OR_RETURN(int64_t version, NextVersion(*store, request.model));
  const fs::path model_dir = manager_.root() / request.model;
  const fs::path config_path = model_dir / "config.pbtxt";
  bool wrote_config = false;
  if (request.config) {
    // The config is the model's, shared by every version: changing it with
    // an upload would reload the serving versions with a candidate's config.
    std::ifstream current_file(config_path, std::ios::binary);
    std::stringstream current;
    if (current_file.is_open()) current << current_file.rdbuf();
    const bool same = current_file.is_open() && current.str() == *request.config;
    if (!same) {
      if (version != 1 || current_file.is_open()) {
        return InvalidArgument(
            "a config can be uploaded only with a model's first version; "
            "change " +
            config_path.string() + " itself for the model");
      }
      // The config first: the version directory is what makes a reader load.
      INFERD_RETURN_IF_ERROR(WriteFileAtomically(config_path, *request.config));
      wrote_config = true;
    }
  }
  if (Status written = WriteVersionDir(model_dir, version, {{kModelFileName, request.model_file}});
      !written.ok()) {
    std::error_code ec;
    if (wrote_config) fs::remove(config_path, ec);
    return written;
  }
  const fs::path version_dir = model_dir / std::to_string(version);
  auto registered =
      Register(*store, request.model, version, "upload:" + version_dir.string(),
               Sha256Digest(request.model_file), request.description, request.tags, {});
  if (!registered.ok()) {
    std::error_code ec;
    fs::remove_all(version_dir, ec);
    if (wrote_config) fs::remove(config_path, ec);
    return registered.status();
  }
  LogInfo("model version uploaded", {{"model", request.model},
                                     {"version", version},
                                     {"bytes", static_cast<int64_t>(request.model_file.size())}});
  Apply(request.model, true);
  return registered;
}

StatusOr<ModelVersionRecord> ModelRegistry::GetVersion(const std::string& model, int64_t version) {
  auto store = StoreForRead();
  if (store.status().code() == StatusCode::kNotFound) {
    return NotFound("Model Version (name=" + model + ", version=" + std::to_string(version) +
                    ") not found");
  }
  INFERD_RETURN_IF_ERROR(store.status());
  return (*store)->GetVersion(model, version);
}

StatusOr<std::vector<ModelVersionRecord>> ModelRegistry::SearchVersions(const std::string& model) {
  std::vector<ModelVersionRecord> out;
  if (!model.empty()) {
    auto record = GetModel(model);
    if (record.status().code() == StatusCode::kNotFound) return out;
    INFERD_RETURN_IF_ERROR(record.status());
    return std::move(record->versions);
  }
  INFERD_ASSIGN_OR_RETURN(auto models, ListModels());
  for (auto& m : models) {
    for (auto& v : m.versions) out.push_back(std::move(v));
  }
  return out;
}

StatusOr<std::vector<ModelVersionRecord>> ModelRegistry::LatestVersions(
    const std::string& model, const std::vector<std::string>& stages) {
  std::vector<std::string> wanted;
  for (const auto& stage : stages) {
    INFERD_ASSIGN_OR_RETURN(std::string canonical, CanonicalStage(stage));
    wanted.push_back(std::move(canonical));
  }
  if (wanted.empty()) wanted.assign(kStages.begin(), kStages.end());
  INFERD_ASSIGN_OR_RETURN(RegisteredModelRecord record, GetModel(model));
  std::vector<ModelVersionRecord> out;
  for (const auto& stage : wanted) {
    for (auto it = record.versions.rbegin(); it != record.versions.rend(); ++it) {
      if (it->stage == stage) {
        out.push_back(*it);
        break;
      }
    }
  }
  return out;
}

StatusOr<ModelVersionRecord> ModelRegistry::UpdateVersion(const std::string& model, int64_t version,
                                                          const std::string& description) {
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  INFERD_RETURN_IF_ERROR(store->UpdateVersionDescription(model, version, description));
  return store->GetVersion(model, version);
}

Status ModelRegistry::DeleteVersion(const std::string& model, int64_t version) {
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  INFERD_RETURN_IF_ERROR(store->DeleteVersion(model, version));
  Apply(model, false);
  return Status::Ok();
}

Status ModelRegistry::SetVersionTag(const std::string& model, int64_t version,
                                    const std::string& key, const std::string& value) {
  INFERD_RETURN_IF_ERROR(CheckTag(key, value));
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  return store->SetVersionTag(model, version, key, value);
}

Status ModelRegistry::DeleteVersionTag(const std::string& model, int64_t version,
                                       const std::string& key) {
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  return store->DeleteVersionTag(model, version, key);
}

Status ModelRegistry::SetVersionMetric(const std::string& model, int64_t version,
                                       const std::string& key, double value) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return InvalidArgument("a metric key must have 1 to " + std::to_string(kMaxKeyBytes) +
                           " bytes");
  }
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  return store->SetVersionMetric(model, version, key, value);
}

StatusOr<ModelVersionRecord> ModelRegistry::TransitionStage(const std::string& model,
                                                            int64_t version,
                                                            const std::string& stage,
                                                            bool archive_existing) {
  INFERD_ASSIGN_OR_RETURN(std::string canonical, CanonicalStage(stage));
  if (archive_existing && canonical != "Staging" && canonical != "Production") {
    return InvalidArgument(
        "archive_existing_versions applies to the Staging and Production "
        "stages only, not to '" +
        canonical + "'");
  }
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  INFERD_ASSIGN_OR_RETURN(auto changed,
                          store->TransitionStage(model, version, canonical, archive_existing));
  LogInfo(
      "model version stage changed",
      {{"model", model},
       {"version", version},
       {"stage", canonical},
       {"archived", static_cast<int64_t>(std::count_if(changed.begin(), changed.end(),
                                                       [&](int64_t v) { return v != version; }))}});
  Apply(model, false);
  return store->GetVersion(model, version);
}

Status ModelRegistry::SetAlias(const std::string& model, const std::string& alias,
                               int64_t version) {
  INFERD_RETURN_IF_ERROR(CheckAlias(alias));
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  INFERD_RETURN_IF_ERROR(store->SetAlias(model, alias, version));
  LogInfo("model alias set", {{"model", model}, {"alias", alias}, {"version", version}});
  Apply(model, false);
  return Status::Ok();
}

Status ModelRegistry::DeleteAlias(const std::string& model, const std::string& alias) {
  INFERD_ASSIGN_OR_RETURN(std::shared_ptr<RegistryStore> store, Store(true));
  INFERD_RETURN_IF_ERROR(store->DeleteAlias(model, alias));
  LogInfo("model alias deleted", {{"model", model}, {"alias", alias}});
  Apply(model, false);
  return Status::Ok();
}

StatusOr<ModelVersionRecord> ModelRegistry::GetVersionByAlias(const std::string& model,
                                                              const std::string& alias) {
  INFERD_ASSIGN_OR_RETURN(RegisteredModelRecord record, GetModel(model));
  auto it = record.aliases.find(alias);
  if (it == record.aliases.end()) {
    return NotFound("Registered model alias " + alias + " not found.");
  }
  for (auto& v : record.versions) {
    if (v.version == it->second) return std::move(v);
  }
  return NotFound("Registered model alias " + alias + " not found.");
}

}  // namespace inferd
