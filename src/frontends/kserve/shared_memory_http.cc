// Triton's shared-memory extension over HTTP (see kserve_http.h).
#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"
#include "frontends/kserve/kserve_http.h"

namespace inferd::kserve {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::JsonWriter;
using http::Method;
using http::Responder;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr auto Error = &http::StatusJsonError;

const http::ProtocolErrors kErrors{"kserve-http", Error, &ModelManager::UnknownModel};

HttpResponse Empty() {
  return HttpResponse{200, "", "", {}};
}

void WriteString(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// {"key", "offset"?, "byte_size"} of a register call.
Status ParseRegister(std::string_view body, std::string& key, uint64_t& offset,
                     uint64_t& byte_size) {
  INFERD_ASSIGN_OR_RETURN(element root, http::ParseJson(body));
  if (root.type() != element_type::OBJECT) {
    return InvalidArgument("the register body must be a JSON object");
  }
  const object o(root);
  element value;
  if (o.at_key("key").get(value) != simdjson::SUCCESS) {
    return InvalidArgument("Shared memory register request has no 'key' field");
  }
  if (value.type() != element_type::STRING) return InvalidArgument("'key' must be a string");
  key = std::string(std::string_view(value));
  auto read_unsigned = [&](const char* name, uint64_t& out, bool required) -> Status {
    element v;
    if (o.at_key(name).get(v) != simdjson::SUCCESS) {
      return required ? InvalidArgument(std::string("Shared memory register request has no '") +
                                        name + "' field")
                      : Status::Ok();
    }
    if (v.type() == element_type::UINT64) {
      out = uint64_t(v);
    } else if (v.type() == element_type::INT64 && int64_t(v) >= 0) {
      out = static_cast<uint64_t>(int64_t(v));
    } else {
      return InvalidArgument(std::string("'") + name + "' must be a non-negative integer");
    }
    return Status::Ok();
  };
  offset = 0;
  INFERD_RETURN_IF_ERROR(read_unsigned("offset", offset, false));
  return read_unsigned("byte_size", byte_size, true);
}

void ListRegions(SharedMemoryRegions* regions, HttpRequest& req, Responder respond) {
  auto listed = regions->List(std::string(req.Param("name")));
  if (!listed.ok()) return respond(Error(listed.status()));
  http::JsonBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const auto& r : *listed) {
    w.StartObject();
    w.Key("name");
    WriteString(w, r.name);
    w.Key("key");
    WriteString(w, r.key);
    w.Key("offset");
    w.Uint64(r.offset);
    w.Key("byte_size");
    w.Uint64(r.byte_size);
    w.EndObject();
  }
  w.EndArray();
  HttpResponse response;
  response.body = buffer.Release();
  respond(std::move(response));
}

void Register(SharedMemoryRegions* regions, HttpRequest& req, Responder respond) {
  std::string key;
  uint64_t offset = 0, byte_size = 0;
  if (Status parsed = ParseRegister(*req.body, key, offset, byte_size); !parsed.ok()) {
    return respond(Error(parsed));
  }
  Status status = regions->Register(std::string(req.Param("name")), key, offset, byte_size,
                                    req.remote_is_loopback);
  respond(status.ok() ? Empty() : Error(status));
}

void Unregister(SharedMemoryRegions* regions, HttpRequest& req, Responder respond) {
  Status status = regions->Unregister(std::string(req.Param("name")));
  respond(status.ok() ? Empty() : Error(status));
}

// Without GPUs, Triton lists no CUDA regions and refuses to register one.
void CudaStatus(HttpRequest& req, Responder respond) {
  const std::string_view name = req.Param("name");
  if (!name.empty()) {
    return respond(
        Error(NotFound("Unable to find cuda shared memory region: '" + std::string(name) + "'")));
  }
  respond(HttpResponse{200, "application/json", "[]", {}});
}

void CudaRegister(HttpRequest& req, Responder respond) {
  respond(Error(InvalidArgument("failed to register CUDA shared memory region: '" +
                                std::string(req.Param("name")) +
                                "', GPUs not supported (this inferd build runs on CPU)")));
}

}  // namespace

void AddSharedMemoryHttpRoutes(std::shared_ptr<SharedMemoryRegions> regions, http::Router& router) {
  auto with = [regions](void (*fn)(SharedMemoryRegions*, HttpRequest&, Responder)) {
    return [regions, fn](HttpRequest& req, Responder respond) {
      fn(regions.get(), req, std::move(respond));
    };
  };
  // Regions are inputs and outputs of inference: using them needs `infer`.
  const http::RouteInfo infer{pipeline::RouteKind::kInfer, &kErrors};
  router.Add(Method::kGet, "/v2/systemsharedmemory/status", infer, with(&ListRegions));
  router.Add(Method::kGet, "/v2/systemsharedmemory/region/{name}/status", infer,
             with(&ListRegions));
  router.Add(Method::kPost, "/v2/systemsharedmemory/region/{name}/register", infer,
             with(&Register));
  router.Add(Method::kPost, "/v2/systemsharedmemory/unregister", infer, with(&Unregister));
  router.Add(Method::kPost, "/v2/systemsharedmemory/region/{name}/unregister", infer,
             with(&Unregister));
  router.Add(Method::kGet, "/v2/cudasharedmemory/status", infer, &CudaStatus);
  router.Add(Method::kGet, "/v2/cudasharedmemory/region/{name}/status", infer, &CudaStatus);
  router.Add(Method::kPost, "/v2/cudasharedmemory/region/{name}/register", infer, &CudaRegister);
  router.Add(Method::kPost, "/v2/cudasharedmemory/unregister", infer,
             [](HttpRequest&, Responder respond) { respond(Empty()); });
  router.Add(Method::kPost, "/v2/cudasharedmemory/region/{name}/unregister", infer,
             [](HttpRequest&, Responder respond) { respond(Empty()); });
}

}  // namespace inferd::kserve
