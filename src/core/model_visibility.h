// Which models the caller of a listing may see. The request pipeline knows
// an identity limited to some models; the calls that list models (the
// repository index, model names and statuses, statistics, the registry's
// search) leave out the others, so a limited identity learns no names.
// Request-scoped and thread-local: the HTTP router and the gRPC list rpcs set
// it around a handler; the core carries it onto its registry threads.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

namespace inferd {

using ModelVisibility = std::function<bool(std::string_view model)>;

// The visibility in force on this thread (null: every model is visible).
std::shared_ptr<const ModelVisibility> CurrentModelVisibility();
// Whether `model` may be listed to the current caller.
bool ModelVisibleNow(std::string_view model);

class ScopedModelVisibility {
 public:
  explicit ScopedModelVisibility(std::shared_ptr<const ModelVisibility> visibility);
  ~ScopedModelVisibility();
  ScopedModelVisibility(const ScopedModelVisibility&) = delete;
  ScopedModelVisibility& operator=(const ScopedModelVisibility&) = delete;

 private:
  std::shared_ptr<const ModelVisibility> previous_;
};

}  // namespace inferd
