#include "core/routing/route_check.h"

namespace inferd {
namespace {

std::string Describe(const TensorSpec& spec) {
  return spec.name + " " + std::string(DataTypeName(spec.dtype)) + " " + ShapeToString(spec.shape);
}

}  // namespace

Status CheckRouteCanServe(const ServerCore& core, const RouteTable& routes, const Route& route) {
  INFERD_RETURN_IF_ERROR(ValidateRoute(route));
  ModelHandle first;
  for (const RouteVariant& variant : route.variants) {
    if (routes.Find(variant.model) != nullptr || variant.model == route.name) {
      return InvalidArgument("variant '" + variant.name + "' names route '" + variant.model +
                             "': a variant names a model");
    }
    auto handle = core.GetModel(variant.model, variant.version);
    if (!handle.ok()) {
      return FailedPrecondition("variant '" + variant.name +
                                "' cannot serve: " + handle.status().message());
    }
    if (!first) {
      first = *handle;
      continue;
    }
    const auto& want = first->signature.inputs;
    const auto& got = (*handle)->signature.inputs;
    bool same = want.size() == got.size();
    for (size_t i = 0; same && i < want.size(); ++i) {
      same = want[i].name == got[i].name && want[i].dtype == got[i].dtype &&
             want[i].shape == got[i].shape;
    }
    if (!same) {
      std::string detail;
      for (const auto& spec : got) detail += (detail.empty() ? "" : ", ") + Describe(spec);
      std::string expected;
      for (const auto& spec : want) expected += (expected.empty() ? "" : ", ") + Describe(spec);
      return FailedPrecondition("variant '" + variant.name + "' (" + variant.model +
                                ") takes inputs [" + detail + "], not those of variant '" +
                                route.variants.front().name + "' [" + expected + "]");
    }
  }
  return Status::Ok();
}

}  // namespace inferd
