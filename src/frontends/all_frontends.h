// Every protocol inferd speaks, in one list: the HTTP routes of all the
// translators and all the gRPC services. The server wires these; tests use
// the same list to check that the OpenAPI document covers every route.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/auth/api_key.h"
#include "core/jobs/job_service.h"
#include "core/server_core.h"
#include "core/shared_memory.h"
#include "frontends/grpc/pipeline_gate.h"
#include "frontends/http/router.h"
#include "frontends/routes/routes_http.h"

namespace inferd {

struct FrontendOptions {
  std::string default_model;              // for MLflow and /predict
  std::filesystem::path docs_assets_dir;  // Swagger UI's files
  // TF Serving gRPC answers carry numbers in tensor_content rather than the
  // typed fields (TF Serving's --enable_serialization_as_tensor_content).
  bool tf_tensor_content = false;
  // Shared-memory regions clients register (Triton's extension); when null,
  // a set that refuses registration is used.
  std::shared_ptr<SharedMemoryRegions> shared_memory;
  // Admits every gRPC call through the request pipeline (null: no pipeline).
  const grpcfe::PipelineGate* grpc_gate = nullptr;
  // The API keys the key admin API manages (null: keys are off).
  ApiKeyStore* keys = nullptr;
  // The routes the routes admin API manages (null: routes are off).
  const routes::RouteServices* routes = nullptr;
  // Batch jobs (null: jobs are off).
  JobService* jobs = nullptr;
};

// `core` must outlive the router; it is not used while registering.
void AddAllHttpRoutes(ServerCore* core, const FrontendOptions& options, http::Router& router);

std::vector<std::unique_ptr<grpc::Service>> MakeAllGrpcServices(ServerCore* core,
                                                                const FrontendOptions& options);
// Every rpc of those services and what it does, for the pipeline's gate.
grpcfe::RpcTable AllGrpcRpcs();

}  // namespace inferd
