#include "core/model_visibility.h"

namespace inferd {
namespace {

thread_local std::shared_ptr<const ModelVisibility> t_visibility;

}  // namespace

std::shared_ptr<const ModelVisibility> CurrentModelVisibility() {
  return t_visibility;
}

bool ModelVisibleNow(std::string_view model) {
  return !t_visibility || (*t_visibility)(model);
}

ScopedModelVisibility::ScopedModelVisibility(std::shared_ptr<const ModelVisibility> visibility)
    : previous_(std::move(t_visibility)) {
  t_visibility = std::move(visibility);
}

ScopedModelVisibility::~ScopedModelVisibility() {
  t_visibility = std::move(previous_);
}

}  // namespace inferd
