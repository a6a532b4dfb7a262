#include "core/lifecycle/model_manager.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "core/lifecycle/repository_scanner.h"
#include "observability/log.h"

namespace inferd {
namespace {

// The versions a policy selects from those present on disk.
std::vector<int64_t> SelectVersions(const inference::ModelVersionPolicy& policy,
                                    const std::vector<VersionDir>& present) {
  std::vector<int64_t> out;
  if (policy.has_all()) {
    for (const auto& v : present) out.push_back(v.version);
  } else if (policy.has_specific()) {
    out.assign(policy.specific().versions().begin(), policy.specific().versions().end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  } else {
    const uint32_t n = policy.has_latest() ? policy.latest().num_versions() : 1;
    for (auto it = present.rbegin(); it != present.rend() && out.size() < n; ++it) {
      out.push_back(it->version);
    }
    std::sort(out.begin(), out.end());
  }
  return out;
}

}  // namespace

ModelManager::ModelEntry ModelManager::LoadModel(const ModelDir& dir) const {
  ModelEntry entry;
  entry.status.name = dir.name;
  auto config = loader_.ReadConfig(dir.dir, dir.name);
  if (!config.ok()) {
    entry.status.reason = config.status().message();
    for (const auto& v : dir.versions) {
      entry.status.versions.push_back({v.version, ModelState::kUnavailable, entry.status.reason});
    }
    LogError("model failed to load", {{"model", dir.name}, {"reason", entry.status.reason}});
    return entry;
  }
  const auto versions = SelectVersions(config->config.version_policy(), dir.versions);
  if (versions.empty()) {
    entry.status.reason = "no version directory with a model in " + dir.dir.string();
    LogError("model failed to load", {{"model", dir.name}, {"reason", entry.status.reason}});
    return entry;
  }
  for (int64_t version : versions) {
    auto found = std::find_if(dir.versions.begin(), dir.versions.end(),
                              [version](const VersionDir& v) { return v.version == version; });
    VersionStatus status{version, ModelState::kUnavailable, ""};
    if (found == dir.versions.end()) {
      status.reason = "version " + std::to_string(version) + " is in the version policy but " +
                      "has no directory";
    } else {
      const auto start = std::chrono::steady_clock::now();
      auto loaded = loader_.Load(dir.name, version, found->dir, *config);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      if (loaded.ok()) {
        status.state = ModelState::kReady;
        entry.ready.emplace(version, Publish(std::move(loaded).value()));
        LogInfo("model loaded", {{"model", dir.name}, {"version", version}, {"load_ms", ms}});
      } else {
        status.reason = loaded.status().message();
      }
    }
    if (status.state != ModelState::kReady) {
      LogError("model failed to load",
               {{"model", dir.name}, {"version", version}, {"reason", status.reason}});
    }
    entry.status.versions.push_back(std::move(status));
  }
  return entry;
}

Status ModelManager::LoadRepository(const std::filesystem::path& root, int parallelism) {
  INFERD_ASSIGN_OR_RETURN(std::vector<ModelDir> dirs, ScanRepository(root));
  std::vector<ModelEntry> entries(dirs.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < dirs.size(); i = next++) entries[i] = LoadModel(dirs[i]);
  };
  std::vector<std::thread> threads;
  const int n = std::max(1, std::min<int>(parallelism, static_cast<int>(dirs.size())));
  for (int i = 1; i < n; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();

  auto table = std::make_shared<Table>();
  for (size_t i = 0; i < dirs.size(); ++i) table->emplace(dirs[i].name, std::move(entries[i]));
  std::lock_guard lock(mu_);
  table_ = std::move(table);
  return Status::Ok();
}

std::shared_ptr<const ModelManager::Table> ModelManager::Snapshot() const {
  std::lock_guard lock(mu_);
  return table_;
}

StatusOr<ModelHandle> ModelManager::Get(std::string_view name, std::string_view version) const {
  const auto table = Snapshot();
  auto it = table->find(name);
  if (it == table->end()) return NotFound("unknown model '" + std::string(name) + "'");
  const ModelEntry& entry = it->second;
  if (version.empty()) {
    if (entry.ready.empty()) {
      std::string reason = entry.status.reason;
      for (const auto& v : entry.status.versions) {
        if (reason.empty()) reason = v.reason;
      }
      return Unavailable("model '" + std::string(name) + "' has no ready version" +
                         (reason.empty() ? "" : ": " + reason));
    }
    return ModelHandle(entry.ready.rbegin()->second);
  }
  int64_t number = 0;
  if (!ParseVersion(version, number)) {
    return NotFound("model '" + std::string(name) + "' has no version '" + std::string(version) +
                    "' (versions are positive integers)");
  }
  auto ready = entry.ready.find(number);
  if (ready != entry.ready.end()) return ModelHandle(ready->second);
  for (const auto& v : entry.status.versions) {
    if (v.version == number) {
      return Unavailable("model '" + std::string(name) + "' version " + std::string(version) +
                         " is not available: " + v.reason);
    }
  }
  return NotFound("model '" + std::string(name) + "' has no version " + std::string(version));
}

std::vector<ModelStatus> ModelManager::Statuses() const {
  const auto table = Snapshot();
  std::vector<ModelStatus> out;
  out.reserve(table->size());
  for (const auto& [name, entry] : *table) out.push_back(entry.status);
  return out;
}

bool ModelManager::AllReady() const {
  const auto table = Snapshot();
  for (const auto& [name, entry] : *table) {
    if (entry.status.versions.empty()) return false;
    for (const auto& v : entry.status.versions) {
      if (v.state != ModelState::kReady) return false;
    }
  }
  return true;
}

ModelHandle ModelManager::Publish(std::unique_ptr<LoadedModel> model) const {
  std::shared_ptr<ThreadPool> reaper = reaper_;
  return ModelHandle(model.release(), [reaper](const LoadedModel* released) {
    if (!reaper->Submit([released] { delete released; })) delete released;
  });
}

void ModelManager::ForEachReady(const std::function<void(const ModelHandle&)>& fn) const {
  const auto table = Snapshot();
  for (const auto& [name, entry] : *table) {
    for (const auto& [version, handle] : entry.ready) fn(handle);
  }
}

void ModelManager::UnloadAll() {
  {
    std::lock_guard lock(mu_);
    table_ = std::make_shared<Table>();
  }
  // Wait for the versions nobody else holds to be destroyed (queues finished).
  std::promise<void> reaped;
  if (reaper_->Submit([&reaped] { reaped.set_value(); })) reaped.get_future().wait();
}

}  // namespace inferd
