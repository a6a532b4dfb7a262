#include "core/lifecycle/model_manager.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <future>
#include <thread>

#include "core/lifecycle/version_policy.h"
#include "observability/log.h"

namespace inferd {
namespace {

uint64_t Combine(uint64_t a, uint64_t b) {
  return a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2));
}

// What a version was loaded from: its files and the config it was given.
// Serialized deterministically: protobuf maps (parameters, labels) otherwise
// come out in a per-process random order, and an unchanged version would
// look changed.
uint64_t VersionFingerprint(const VersionDir& dir, const inference::ModelConfig& config) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    config.SerializeToCodedStream(&coded);
  }
  return Combine(dir.fingerprint, std::hash<std::string>{}(bytes));
}

void SetVersionStatus(ModelStatus& status, VersionStatus version) {
  for (auto& v : status.versions) {
    if (v.version == version.version) {
      v = std::move(version);
      return;
    }
  }
  status.versions.push_back(std::move(version));
  std::sort(status.versions.begin(), status.versions.end(),
            [](const VersionStatus& a, const VersionStatus& b) { return a.version < b.version; });
}

bool IsValidLabel(std::string_view label) {
  if (label.empty() || label.size() > 128) return false;
  int64_t number = 0;
  if (ParseVersion(label, number)) return false;  // a number names a version
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

}  // namespace

void ModelManager::LoadVersion(const ModelDir& dir, const VersionDir& found,
                               const ParsedModelConfig& config, uint64_t fingerprint,
                               const ModelEntry* current, ModelEntry& entry) const {
  const int64_t version = found.version;
  const auto start = std::chrono::steady_clock::now();
  auto loaded = loader_.Load(dir.name, version, found.dir, config);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (loaded.ok()) {
    entry.ready[version] = Publish(std::move(loaded).value());
    entry.loaded_from[version] = fingerprint;
    SetVersionStatus(entry.status, {version, ModelState::kReady, ""});
    LogInfo("model loaded", {{"model", dir.name}, {"version", version}, {"load_ms", ms}});
    return;
  }
  const std::string reason = loaded.status().message();
  LogError("model failed to load", {{"model", dir.name}, {"version", version}, {"reason", reason}});
  if (current != nullptr && current->ready.count(version)) {
    // A reload of a serving version failed: the earlier load goes on serving.
    entry.ready[version] = current->ready.at(version);
    entry.loaded_from[version] = current->loaded_from.at(version);
    SetVersionStatus(entry.status,
                     {version, ModelState::kReady,
                      "a reload failed and the earlier load keeps serving: " + reason});
    return;
  }
  SetVersionStatus(entry.status, {version, ModelState::kUnavailable, reason});
}

void ModelManager::KeepServing(const ModelEntry& current, ModelEntry& entry) {
  for (const auto& [version, handle] : current.ready) {
    if (entry.ready.count(version)) continue;
    entry.ready[version] = handle;
    entry.loaded_from[version] = current.loaded_from.at(version);
    SetVersionStatus(entry.status,
                     {version, ModelState::kReady,
                      "kept serving: the versions meant to replace it failed to load"});
  }
}

void ModelManager::KeepDefaultServing(const ModelEntry& current, ModelEntry& entry) {
  int64_t kept = current.registry_default != 0 ? current.registry_default : current.api_default;
  if (!current.ready.count(kept)) kept = current.ready.rbegin()->first;
  const int64_t failed = entry.registry_default;
  entry.ready[kept] = current.ready.at(kept);
  entry.loaded_from[kept] = current.loaded_from.at(kept);
  SetVersionStatus(entry.status, {kept, ModelState::kReady,
                                  "kept serving as the default: version " + std::to_string(failed) +
                                      ", promoted to Production, is not available"});
  entry.registry_default = kept;
  entry.registry_labels["Production"] = kept;
  LogError("the new Production version failed; the version it replaces keeps serving",
           {{"model", entry.status.name}, {"failed", failed}, {"kept", kept}});
}

ModelStatus ModelManager::StatusOf(const ModelEntry& entry) {
  ModelStatus status = entry.status;
  status.labels = entry.config_labels;
  for (const auto& [label, version] : entry.registry_labels) status.labels[label] = version;
  for (const auto& [label, version] : entry.api_labels) status.labels[label] = version;
  status.default_version = entry.api_default != 0 ? entry.api_default : entry.registry_default;
  return status;
}

int64_t ModelManager::LabelledVersion(const ModelEntry& entry, std::string_view label) {
  if (label.size() > 1 && label.front() == '@') label.remove_prefix(1);  // MLflow's alias syntax
  if (auto it = entry.api_labels.find(label); it != entry.api_labels.end()) return it->second;
  if (auto it = entry.registry_labels.find(label); it != entry.registry_labels.end()) {
    return it->second;
  }
  // Stage names are matched without case, as MLflow does (aliases are not).
  for (std::string_view stage : {"Production", "Staging"}) {
    auto it = entry.registry_labels.find(stage);
    if (it != entry.registry_labels.end() && stage.size() == label.size() &&
        std::equal(stage.begin(), stage.end(), label.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      return it->second;
    }
  }
  if (auto it = entry.config_labels.find(label); it != entry.config_labels.end()) {
    return it->second;
  }
  return 0;
}

std::vector<int64_t> ModelManager::WantedVersions(const ModelDir& dir,
                                                  const ParsedModelConfig& config) const {
  auto plan = plans_.find(dir.name);
  if (plan != plans_.end()) return plan->second.versions;
  return SelectVersions(config.config.version_policy(), dir.versions);
}

StatusOr<ParsedModelConfig> ModelManager::ReadConfig(
    const ModelDir& dir, const std::optional<std::string>& config_json) const {
  return config_json ? ParseModelConfigJson(*config_json) : loader_.ReadConfig(dir.dir, dir.name);
}

ModelManager::ModelEntry ModelManager::BuildEntry(const ModelDir& dir,
                                                  const StatusOr<ParsedModelConfig>& config,
                                                  const ModelEntry* previous) const {
  ModelEntry entry;
  entry.status.name = dir.name;
  entry.applied = dir.Fingerprint();
  if (previous != nullptr) {
    // What the API set outlives reloads, and an unload.
    entry.api_labels = previous->api_labels;
    entry.api_default = previous->api_default;
  }
  // Versions serving now (none after an unload): reused or kept serving.
  const ModelEntry* current = previous != nullptr && !previous->ready.empty() ? previous : nullptr;
  if (!config.ok()) {
    const std::string reason = config.status().message();
    LogError("model failed to load", {{"model", dir.name}, {"reason", reason}});
    if (current != nullptr) {
      ModelEntry kept = *current;
      kept.applied = entry.applied;  // retried when the files change again
      kept.status.wanted = true;
      kept.status.reason =
          "the new config failed to load and the loaded versions keep serving: " + reason;
      return kept;
    }
    entry.status.reason = reason;
    for (const auto& v : dir.versions) {
      entry.status.versions.push_back({v.version, ModelState::kUnavailable, reason});
    }
    return entry;
  }
  const auto versions = WantedVersions(dir, *config);
  if (versions.empty()) {
    entry.status.reason = "no version directory with a model in " + dir.dir.string();
    LogError("model failed to load", {{"model", dir.name}, {"reason", entry.status.reason}});
  }
  for (int64_t version : versions) {
    auto found = std::find_if(dir.versions.begin(), dir.versions.end(),
                              [version](const VersionDir& v) { return v.version == version; });
    if (found == dir.versions.end()) {
      const std::string reason =
          "version " + std::to_string(version) +
          (plans_.count(dir.name) ? " is staged in the registry" : " is in the version policy") +
          " but has no directory";
      LogError("model failed to load",
               {{"model", dir.name}, {"version", version}, {"reason", reason}});
      SetVersionStatus(entry.status, {version, ModelState::kUnavailable, reason});
      continue;
    }
    const uint64_t fingerprint = VersionFingerprint(*found, config->config);
    if (current != nullptr && current->ready.count(version) &&
        current->loaded_from.at(version) == fingerprint) {
      entry.ready[version] = current->ready.at(version);  // unchanged: no reload
      entry.loaded_from[version] = fingerprint;
      SetVersionStatus(entry.status, {version, ModelState::kReady, ""});
      continue;
    }
    LoadVersion(dir, *found, *config, fingerprint, current, entry);
  }
  if (entry.ready.empty() && current != nullptr) KeepServing(*current, entry);
  for (const auto& [label, version] : config->config.version_labels()) {
    if (IsValidLabel(label)) entry.config_labels[label] = version;
  }
  if (!entry.ready.count(entry.api_default)) entry.api_default = 0;
  if (auto plan = plans_.find(dir.name); plan != plans_.end()) {
    entry.registry_labels = plan->second.labels;
    entry.registry_default = plan->second.default_version;
    if (entry.registry_default != 0 && !entry.ready.count(entry.registry_default) &&
        current != nullptr) {
      KeepDefaultServing(*current, entry);
    }
  }
  return entry;
}

Status ModelManager::LoadModels(const std::vector<std::string>& names, int parallelism) {
  std::lock_guard transition(transition_mu_);
  std::vector<StatusOr<ModelDir>> dirs;
  if (names.empty()) {
    INFERD_ASSIGN_OR_RETURN(std::vector<ModelDir> all, ScanRepository(root_));
    for (auto& dir : all) dirs.emplace_back(std::move(dir));
  } else {
    for (const auto& name : names) dirs.push_back(ScanModel(root_, name));
  }
  std::vector<std::optional<ModelEntry>> entries(dirs.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < dirs.size(); i = next++) {
      if (dirs[i].ok()) entries[i] = BuildEntry(*dirs[i], ReadConfig(*dirs[i], {}), nullptr);
    }
  };
  std::vector<std::thread> threads;
  const int n = std::max(1, std::min<int>(parallelism, static_cast<int>(dirs.size())));
  for (int i = 1; i < n; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();

  auto table = std::make_shared<Table>(*Snapshot());
  for (size_t i = 0; i < dirs.size(); ++i) {
    if (!dirs[i].ok()) {
      // A --load-model name with no directory: reported, never served.
      LogError("model failed to load",
               {{"model", names[i]}, {"reason", dirs[i].status().message()}});
      ModelEntry missing;
      missing.status.name = names[i];
      missing.status.reason = dirs[i].status().message();
      (*table)[names[i]] = std::move(missing);
      continue;
    }
    (*table)[dirs[i]->name] = std::move(*entries[i]);
  }
  Swap(std::move(table));
  return Status::Ok();
}

void ModelManager::SetRegistryPlans(std::map<std::string, RegistryPlan> plans) {
  std::lock_guard transition(transition_mu_);
  plans_ = {std::make_move_iterator(plans.begin()), std::make_move_iterator(plans.end())};
}

Status ModelManager::ApplyRegistryPlan(std::string_view name, std::optional<RegistryPlan> plan,
                                       bool load_if_absent) {
  std::lock_guard transition(transition_mu_);
  if (plan) {
    plans_[std::string(name)] = std::move(*plan);
  } else if (auto it = plans_.find(name); it != plans_.end()) {
    plans_.erase(it);
  }
  const auto table = Snapshot();
  auto it = table->find(name);
  const bool served = it != table->end() && it->second.status.wanted;
  if (!served && !plans_.count(name) && !load_if_absent) return Status::Ok();
  return LoadLocked(name, std::nullopt);
}

Status ModelManager::Load(std::string_view name, const std::optional<std::string>& config_json) {
  std::lock_guard transition(transition_mu_);
  return LoadLocked(name, config_json);
}

Status ModelManager::LoadLocked(std::string_view name,
                                const std::optional<std::string>& config_json) {
  // Triton's words for a model it cannot read from the repository, and for a
  // bad config override (which Triton also reports as a failed poll).
  const auto poll_failed = [&](const Status& why) {
    return Internal("failed to load '" + std::string(name) +
                    "', failed to poll from model repository: " + why.message());
  };
  auto scanned = ScanModel(root_, name);
  if (!scanned.ok()) return poll_failed(scanned.status());
  ModelDir dir = std::move(scanned).value();
  const auto before = Snapshot();
  auto it = before->find(name);
  const ModelEntry* previous = it == before->end() ? nullptr : &it->second;
  const auto config = ReadConfig(dir, config_json);
  // A bad override changes nothing; Triton reports it as a failed poll (500),
  // and so does inferd, with the parse error after Triton's words.
  if (!config.ok() && config_json) {
    return poll_failed(
        Status(config.status().code(), "Invalid config override: " + config.status().message()));
  }
  if (config.ok()) {
    MarkLoading(dir.name, WantedVersions(dir, *config));
  }

  ModelEntry entry = BuildEntry(dir, config, previous);
  std::string failure = entry.status.reason;
  for (const auto& v : entry.status.versions) {
    if (failure.empty() && !v.reason.empty()) {
      failure = "version " + std::to_string(v.version) + ": " + v.reason;
    }
  }
  if (failure.empty() && entry.ready.empty()) failure = "no version is available";
  Store(std::move(entry));
  if (failure.empty()) return Status::Ok();
  // Triton answers a failed load with INVALID_ARG (HTTP 400) and these words.
  return InvalidArgument("load failed for model '" + dir.name + "': " + failure);
}

Status ModelManager::Unload(std::string_view name) {
  std::lock_guard transition(transition_mu_);
  INFERD_ASSIGN_OR_RETURN(ModelEntry current, CopyOf(name));
  ModelEntry entry;
  entry.status.name = current.status.name;
  entry.status.wanted = false;
  entry.applied = current.applied;
  entry.api_labels = current.api_labels;
  for (const auto& v : current.status.versions) {
    entry.status.versions.push_back({v.version, ModelState::kUnavailable, "unloaded"});
  }
  Store(std::move(entry));
  LogInfo("model unloaded", {{"model", std::string(name)}});
  return Status::Ok();
}

void ModelManager::Remove(std::string_view name) {
  std::lock_guard transition(transition_mu_);
  Erase(std::string(name));
  LogInfo("model removed from the repository", {{"model", std::string(name)}});
}

Status ModelManager::SetLabel(std::string_view name, std::string_view label, int64_t version) {
  std::lock_guard transition(transition_mu_);
  if (!IsValidLabel(label)) {
    return InvalidArgument("'" + std::string(label) +
                           "' is not a valid label (letters, digits, '_' and '-', not a number)");
  }
  INFERD_ASSIGN_OR_RETURN(ModelEntry entry, CopyOf(name));
  if (!entry.ready.count(version)) {
    return FailedPrecondition("cannot label version " + std::to_string(version) + " of model '" +
                              std::string(name) + "': it is not ready");
  }
  entry.api_labels[std::string(label)] = version;
  Store(std::move(entry));
  return Status::Ok();
}

Status ModelManager::RemoveLabel(std::string_view name, std::string_view label) {
  std::lock_guard transition(transition_mu_);
  INFERD_ASSIGN_OR_RETURN(ModelEntry entry, CopyOf(name));
  if (!entry.api_labels.erase(std::string(label))) {
    return NotFound("model '" + std::string(name) + "' has no label '" + std::string(label) +
                    "' set through the API");
  }
  Store(std::move(entry));  // a config label of that name shows through again
  return Status::Ok();
}

Status ModelManager::SetDefaultVersion(std::string_view name, int64_t version) {
  std::lock_guard transition(transition_mu_);
  INFERD_ASSIGN_OR_RETURN(ModelEntry entry, CopyWithReady(name, version));
  entry.api_default = version;
  Store(std::move(entry));
  return Status::Ok();
}

Status ModelManager::UnloadVersion(std::string_view name, int64_t version) {
  std::lock_guard transition(transition_mu_);
  INFERD_ASSIGN_OR_RETURN(ModelEntry entry, CopyWithReady(name, version));
  const int64_t default_version =
      entry.api_default != 0 ? entry.api_default : entry.ready.rbegin()->first;
  if (version == default_version && entry.ready.size() > 1) {
    return PermissionDenied("cannot unload the default version " + std::to_string(version) +
                            " of model '" + std::string(name) +
                            "' while others serve: set another default first");
  }
  entry.ready.erase(version);
  entry.loaded_from.erase(version);
  if (entry.api_default == version) entry.api_default = 0;
  SetVersionStatus(entry.status, {version, ModelState::kUnavailable, "unloaded"});
  if (entry.ready.empty()) entry.status.wanted = false;
  Store(std::move(entry));
  LogInfo("model version unloaded", {{"model", std::string(name)}, {"version", version}});
  return Status::Ok();
}

void ModelManager::MarkLoading(const std::string& name, const std::vector<int64_t>& versions) {
  auto existing = CopyOf(name);
  ModelEntry entry = existing.ok() ? std::move(existing).value() : ModelEntry{};
  entry.status.name = name;
  entry.status.wanted = true;
  for (int64_t v : versions) {
    if (!entry.ready.count(v)) SetVersionStatus(entry.status, {v, ModelState::kLoading, ""});
  }
  Store(std::move(entry));
}

// Triton's words, which its clients and scripts match on.
Status ModelManager::UnknownModel(std::string_view name) {
  return NotFound("Request for unknown model: '" + std::string(name) + "' is not found");
}

StatusOr<ModelManager::ModelEntry> ModelManager::CopyOf(std::string_view name) const {
  const auto table = Snapshot();
  auto it = table->find(name);
  if (it == table->end()) return UnknownModel(name);
  return it->second;
}

StatusOr<ModelManager::ModelEntry> ModelManager::CopyWithReady(std::string_view name,
                                                               int64_t version) const {
  INFERD_ASSIGN_OR_RETURN(ModelEntry entry, CopyOf(name));
  if (!entry.ready.count(version)) {
    return NotFound("model '" + std::string(name) + "' has no ready version " +
                    std::to_string(version));
  }
  return entry;
}

void ModelManager::Store(ModelEntry entry) {
  auto table = std::make_shared<Table>(*Snapshot());
  const std::string name = entry.status.name;
  (*table)[name] = std::move(entry);
  Swap(std::move(table));
}

void ModelManager::Erase(const std::string& name) {
  auto table = std::make_shared<Table>(*Snapshot());
  table->erase(name);
  Swap(std::move(table));
}

void ModelManager::Swap(std::shared_ptr<const Table> table) {
  // The old snapshot is released outside the lock: dropping the last handle
  // of a version only queues it for the reaper, but keep the lock short.
  std::shared_ptr<const Table> old;
  {
    std::lock_guard lock(mu_);
    old = std::move(table_);
    table_ = std::move(table);
  }
}

std::shared_ptr<const ModelManager::Table> ModelManager::Snapshot() const {
  std::lock_guard lock(mu_);
  return table_;
}

StatusOr<ModelHandle> ModelManager::Get(std::string_view name, std::string_view version) const {
  // MLflow's model URIs: models:/fraud/Production, models:/fraud@champion.
  if (name.starts_with("models:/") && version.empty()) name.remove_prefix(8);
  auto found = GetExact(name, version);
  if (found.ok() || found.status().code() != StatusCode::kNotFound || !version.empty()) {
    return found;
  }
  // "fraud@champion" and "fraud/Production" name a version with the model,
  // for clients that can only send a model name.
  const size_t at = name.find_first_of("@/");
  if (at == std::string_view::npos || at == 0 || at + 1 == name.size()) return found;
  const auto table = Snapshot();
  if (!table->count(name.substr(0, at))) return found;
  return GetExact(name.substr(0, at), name.substr(name[at] == '@' ? at : at + 1));
}

StatusOr<ModelHandle> ModelManager::GetExact(std::string_view name,
                                             std::string_view version) const {
  const auto table = Snapshot();
  auto it = table->find(name);
  if (it == table->end()) return UnknownModel(name);
  const ModelEntry& entry = it->second;
  if (version.empty()) {
    if (entry.ready.empty()) {
      std::string reason = entry.status.reason;
      for (const auto& v : entry.status.versions) {
        if (reason.empty()) reason = v.reason;
      }
      return Unavailable("Request for unknown model: '" + std::string(name) +
                         "' has no available versions" + (reason.empty() ? "" : ": " + reason));
    }
    for (int64_t chosen_version : {entry.api_default, entry.registry_default}) {
      auto chosen = entry.ready.find(chosen_version);
      if (chosen != entry.ready.end()) return ModelHandle(chosen->second);
    }
    if (entry.registry_default != 0) {
      // Never hand default traffic to a Staging or aliased candidate.
      return Unavailable("model '" + std::string(name) + "': its Production version " +
                         std::to_string(entry.registry_default) + " is not available");
    }
    return ModelHandle(entry.ready.rbegin()->second);
  }
  int64_t number = 0;
  if (!ParseVersion(version, number)) {
    const int64_t labelled = LabelledVersion(entry, version);
    if (labelled == 0) {
      return NotFound("failed to get model version from specified version string '" +
                      std::string(version) + "' (details: model '" + std::string(name) +
                      "' has no such version or label), version should be an integral value > "
                      "0 or a label");
    }
    auto ready = entry.ready.find(labelled);
    if (ready != entry.ready.end()) return ModelHandle(ready->second);
    return Unavailable("Request for unknown model: '" + std::string(name) + "' version " +
                       std::to_string(labelled) + " is not at ready state (label '" +
                       std::string(version) + "' points to it)");
  }
  auto ready = entry.ready.find(number);
  if (ready != entry.ready.end()) return ModelHandle(ready->second);
  for (const auto& v : entry.status.versions) {
    if (v.version == number) {
      return Unavailable("Request for unknown model: '" + std::string(name) + "' version " +
                         std::string(version) + " is not at ready state: " + v.reason);
    }
  }
  return NotFound("Request for unknown model: '" + std::string(name) + "' version " +
                  std::string(version) + " is not found");
}

std::vector<ModelStatus> ModelManager::Statuses() const {
  const auto table = Snapshot();
  std::vector<ModelStatus> out;
  out.reserve(table->size());
  for (const auto& [name, entry] : *table) out.push_back(StatusOf(entry));
  return out;
}

std::vector<std::string> ModelManager::Names() const {
  const auto table = Snapshot();
  std::vector<std::string> out;
  out.reserve(table->size());
  for (const auto& [name, entry] : *table) out.push_back(name);
  return out;
}

std::map<std::string, uint64_t> ModelManager::AppliedFingerprints() const {
  const auto table = Snapshot();
  std::map<std::string, uint64_t> out;
  for (const auto& [name, entry] : *table) out[name] = entry.applied;
  return out;
}

bool ModelManager::AllReady() const {
  const auto table = Snapshot();
  for (const auto& [name, entry] : *table) {
    if (entry.status.wanted && entry.ready.empty()) return false;
  }
  return true;
}

ModelHandle ModelManager::Publish(std::unique_ptr<LoadedModel> model) const {
  std::shared_ptr<ThreadPool> reaper = reaper_;
  return ModelHandle(model.release(), [reaper](const LoadedModel* released) {
    auto destroy = [released] {
      delete released;
      // Give freed heap pages back to the system now. Large weights are
      // mmapped and return on their own; the many small buffers of a
      // session would otherwise stay in glibc's heap after a swap.
      malloc_trim(0);
    };
    if (!reaper->Submit(destroy)) destroy();
  });
}

void ModelManager::ForEachReady(const std::function<void(const ModelHandle&)>& fn) const {
  const auto table = Snapshot();
  for (const auto& [name, entry] : *table) {
    for (const auto& [version, handle] : entry.ready) fn(handle);
  }
}

void ModelManager::UnloadAll() {
  std::lock_guard transition(transition_mu_);  // no load re-inserts a model after this
  Swap(std::make_shared<Table>());
  // Wait for the versions nobody else holds to be destroyed (queues finished).
  std::promise<void> reaped;
  if (reaper_->Submit([&reaped] { reaped.set_value(); })) reaped.get_future().wait();
}

}  // namespace inferd
