#include "core/routing/route_check.h"

#include "core/lifecycle/model_manager.h"
#include "core/model_visibility.h"

namespace inferd {
namespace {

std::string Describe(const TensorSpec& spec) {
  return spec.name + " " + std::string(DataTypeName(spec.dtype)) + " " + ShapeToString(spec.shape);
}

}  // namespace

Status CheckRouteCanServe(const ServerCore& core, const RouteTable& routes, const Route& route) {
  INFERD_RETURN_IF_ERROR(ValidateRoute(route));
  {
    // Every model counts here, also those the caller may not see: a route
    // must not take over a model's name.
    ScopedModelVisibility everything(nullptr);
    for (const RepositoryIndexEntry& model : core.RepositoryIndex(false)) {
      if (model.name == route.name) {
        return FailedPrecondition("'" + route.name +
                                  "' is a model: a route needs a name of its own");
      }
    }
  }
  ModelHandle first;
  for (const RouteVariant& variant : route.variants) {
    // A caller limited to some models routes only to those: one it may not
    // see is refused as one that does not exist.
    if (!ModelVisibleNow(variant.model)) return ModelManager::UnknownModel(variant.model);
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
