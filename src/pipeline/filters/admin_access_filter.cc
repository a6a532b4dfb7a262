#include "pipeline/filters/admin_access_filter.h"

namespace inferd::pipeline {

bool AdminAccessFilter::Allows(bool client_is_loopback) const {
  return mode_ == AdminApiMode::kOn || (mode_ == AdminApiMode::kLoopback && client_is_loopback);
}

std::optional<Refusal> AdminAccessFilter::OnCall(RequestContext& context) {
  if (context.kind != RouteKind::kAdmin || Allows(context.client_is_loopback)) return std::nullopt;
  if (mode_ == AdminApiMode::kOff) {
    return Refusal{PermissionDenied("the admin API is off (--admin-api=off)"), {}};
  }
  return Refusal{
      PermissionDenied("the admin API answers loopback clients only (--admin-api=loopback); start "
                       "inferd with --admin-api=on to allow others"),
      {}};
}

}  // namespace inferd::pipeline
