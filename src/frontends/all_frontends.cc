#include "frontends/all_frontends.h"

#include "frontends/jobs/jobs_http.h"
#include "frontends/keys/keys_http.h"
#include "frontends/kserve/kserve_grpc.h"
#include "frontends/kserve/kserve_http.h"
#include "frontends/metrics/metrics_http.h"
#include "frontends/mlflow/mlflow_http.h"
#include "frontends/openapi/openapi_http.h"
#include "frontends/registry/registry_http.h"
#include "frontends/routes/routes_http.h"
#include "frontends/simple/predict_http.h"
#include "frontends/tfserving/tfserving_grpc.h"
#include "frontends/tfserving/tfserving_http.h"
#include "frontends/torchserve/torchserve_http.h"
#include "frontends/torchserve/torchserve_management.h"

namespace inferd {

namespace {

std::shared_ptr<SharedMemoryRegions> RegionsOf(const FrontendOptions& options) {
  return options.shared_memory ? options.shared_memory
                               : std::make_shared<SharedMemoryRegions>(false);
}

}  // namespace

void AddAllHttpRoutes(ServerCore* core, const FrontendOptions& options, http::Router& router) {
  const auto regions = RegionsOf(options);
  kserve::AddKServeHttpRoutes(core, regions, router);
  kserve::AddSharedMemoryHttpRoutes(regions, router);
  tfserving::AddTfServingHttpRoutes(core, router);
  torchserve::AddTorchServeRoutes(core, router);
  torchserve::AddTorchServeManagementRoutes(core, router);
  mlflow::AddMlflowRoutes(core, options.default_model, router);
  simple::AddSimpleRoutes(core, options.default_model, router);
  registry::AddRegistryRoutes(core, router);
  keys::AddKeyRoutes(options.keys, router);
  routes::AddRouteRoutes(core, options.routes, router);
  jobsfe::AddJobRoutes(core, options.jobs, options.default_model, router);
  metrics::AddMetricsRoutes(core, router);
  openapi::AddOpenApiRoutes(router, options.docs_assets_dir);
}

std::vector<std::unique_ptr<grpc::Service>> MakeAllGrpcServices(ServerCore* core,
                                                                const FrontendOptions& options) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(kserve::MakeKServeGrpcService(core, RegionsOf(options), options.grpc_gate));
  services.push_back(tfserving::MakeTfPredictionService(
      core,
      options.tf_tensor_content ? tfserving::TensorEncoding::kTensorContent
                                : tfserving::TensorEncoding::kTypedFields,
      options.grpc_gate));
  services.push_back(tfserving::MakeTfModelService(core, options.grpc_gate));
  return services;
}

grpcfe::RpcTable AllGrpcRpcs() {
  grpcfe::RpcTable rpcs;
  kserve::AddKServeRpcs(rpcs);
  tfserving::AddTfServingRpcs(rpcs);
  return rpcs;
}

}  // namespace inferd
