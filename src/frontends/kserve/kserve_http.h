// KServe v2 / Open Inference Protocol over HTTP, as Triton serves it: health,
// server and model metadata, model config, readiness, repository index and
// infer. Translates between the wire and the core; decides nothing itself.
#pragma once

#include <memory>

#include "core/server_core.h"
#include "core/shared_memory.h"
#include "frontends/http/router.h"

namespace inferd::kserve {

// Registers the /v2 routes on `router`; `core` must outlive the router.
// `regions` are the shared-memory regions inputs and outputs may name.
void AddKServeHttpRoutes(ServerCore* core, std::shared_ptr<SharedMemoryRegions> regions,
                         http::Router& router);

// Triton's shared-memory extension: /v2/systemsharedmemory/... (register,
// unregister, status) on `regions`, and /v2/cudasharedmemory/... answering as
// Triton does without GPUs.
void AddSharedMemoryHttpRoutes(std::shared_ptr<SharedMemoryRegions> regions, http::Router& router);

}  // namespace inferd::kserve
