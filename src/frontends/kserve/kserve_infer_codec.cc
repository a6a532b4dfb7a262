#include "frontends/kserve/kserve_infer_codec.h"

#include <cstring>
#include <optional>

#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"

namespace inferd::kserve {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// The member `key` of `obj`, or nullopt when absent.
std::optional<element> Member(object obj, std::string_view key) {
  element value;
  if (obj.at_key(key).get(value) != simdjson::SUCCESS) return std::nullopt;
  return value;
}

StatusOr<Shape> ReadShape(object tensor, const std::string& name) {
  auto shape_json = Member(tensor, "shape");
  if (!shape_json || shape_json->type() != element_type::ARRAY) {
    return InvalidArgument("input '" + name + "' needs a \"shape\" array");
  }
  Shape shape;
  for (element d : simdjson::dom::array(*shape_json)) {
    if (d.type() == element_type::INT64 && int64_t(d) < 0) {
      return InvalidArgument("input '" + name + "' shape has a negative dim");
    }
    if (d.type() != element_type::INT64) {
      return InvalidArgument("input '" + name +
                             "' shape has a dim that is not an integer in range");
    }
    shape.push_back(int64_t(d));
  }
  return shape;
}

std::optional<object> Parameters(object holder) {
  auto params = Member(holder, "parameters");
  if (!params || params->type() != element_type::OBJECT) return std::nullopt;
  return object(*params);
}

// Reads a non-negative integer request parameter (Triton's `timeout` in
// microseconds, `priority`); absent is nullopt.
StatusOr<std::optional<uint64_t>> UnsignedParameter(object root, const char* key) {
  auto params = Parameters(root);
  if (!params) return std::optional<uint64_t>();
  auto value = Member(*params, key);
  if (!value) return std::optional<uint64_t>();
  if (value->type() == element_type::UINT64) return std::optional<uint64_t>(uint64_t(*value));
  if (value->type() == element_type::INT64 && int64_t(*value) >= 0) {
    return std::optional<uint64_t>(static_cast<uint64_t>(int64_t(*value)));
  }
  return InvalidArgument(std::string("parameter \"") + key + "\" must be a non-negative integer");
}

// Reads a string request parameter; absent is nullopt.
StatusOr<std::optional<std::string>> StringParameter(object holder, const char* key) {
  auto params = Parameters(holder);
  if (!params) return std::optional<std::string>();
  auto value = Member(*params, key);
  if (!value) return std::optional<std::string>();
  if (value->type() != element_type::STRING) {
    return InvalidArgument(std::string("parameter \"") + key + "\" must be a string");
  }
  return std::optional<std::string>(std::string(std::string_view(*value)));
}

// Triton's sequence parameters: sequence_id (an unsigned integer or a
// string), sequence_start and sequence_end (booleans).
Status ReadSequenceParameters(object root, SequenceParams& out) {
  auto params = Parameters(root);
  if (!params) return Status::Ok();
  if (auto id = Member(*params, "sequence_id")) {
    if (id->type() == element_type::UINT64) {
      out.id = uint64_t(*id);
    } else if (id->type() == element_type::INT64 && int64_t(*id) >= 0) {
      out.id = static_cast<uint64_t>(int64_t(*id));
    } else if (id->type() == element_type::STRING) {
      out.id_text = std::string(std::string_view(*id));
    } else {
      return InvalidArgument(
          "parameter \"sequence_id\" must be a non-negative integer or a string");
    }
  }
  for (auto [key, flag] :
       {std::pair{"sequence_start", &out.start}, std::pair{"sequence_end", &out.end}}) {
    auto value = Member(*params, key);
    if (!value) continue;
    if (value->type() != element_type::BOOL) {
      return InvalidArgument(std::string("parameter \"") + key + "\" must be a boolean");
    }
    *flag = bool(*value);
  }
  return Status::Ok();
}

// Triton's shared-memory parameters of an input or a requested output.
StatusOr<std::optional<ShmLocation>> ShmParameters(object holder, const std::string& name) {
  INFERD_ASSIGN_OR_RETURN(auto region, StringParameter(holder, "shared_memory_region"));
  INFERD_ASSIGN_OR_RETURN(auto size, UnsignedParameter(holder, "shared_memory_byte_size"));
  INFERD_ASSIGN_OR_RETURN(auto offset, UnsignedParameter(holder, "shared_memory_offset"));
  return MakeShmLocation(name, std::move(region), size, offset);
}

// Reads parameters.binary_data_size (-1 when absent).
StatusOr<int64_t> BinaryDataSize(object tensor, const std::string& name) {
  auto params_json = Member(tensor, "parameters");
  if (!params_json) return int64_t{-1};
  if (params_json->type() != element_type::OBJECT) {
    return InvalidArgument("input '" + name + "' \"parameters\" must be an object");
  }
  auto size = Member(object(*params_json), "binary_data_size");
  if (!size) return int64_t{-1};
  if (size->type() != element_type::INT64 || int64_t(*size) < 0) {
    return InvalidArgument("input '" + name + "' binary_data_size must be a non-negative integer");
  }
  return int64_t(*size);
}

bool BoolParameter(object holder, std::string_view key, bool fallback) {
  auto params = Parameters(holder);
  if (!params) return fallback;
  auto value = Member(*params, key);
  if (!value || value->type() != element_type::BOOL) return fallback;
  return bool(*value);
}

std::string StringOf(element e) {
  return std::string(std::string_view(e.get_string().value_unsafe()));
}

}  // namespace

bool ResponseOptions::IsBinary(std::string_view name) const {
  for (const auto& [n, b] : binary) {
    if (n == name) return b;
  }
  return binary_by_default;
}

StatusOr<DecodedInfer> DecodeInferRequest(std::shared_ptr<const std::string> body,
                                          int64_t header_length,
                                          const SharedMemoryRegions* regions) {
  const std::string& raw = *body;
  if (header_length > static_cast<int64_t>(raw.size())) {
    return InvalidArgument("Inference-Header-Content-Length " + std::to_string(header_length) +
                           " is larger than the body (" + std::to_string(raw.size()) + " bytes)");
  }
  const size_t json_size = header_length < 0 ? raw.size() : static_cast<size_t>(header_length);
  if (header_length == 0) {
    return InvalidArgument(
        "Inference-Header-Content-Length 0 (a raw binary body) is not supported; send a JSON "
        "header before the binary data");
  }
  INFERD_ASSIGN_OR_RETURN(element doc, http::ParseJson(std::string_view(raw.data(), json_size)));
  if (doc.type() != element_type::OBJECT) {
    return InvalidArgument("the request body must be a JSON object");
  }
  const object root(doc);

  DecodedInfer decoded;
  InferRequest& request = decoded.request;
  if (auto id = Member(root, "id")) {
    if (id->type() != element_type::STRING) return InvalidArgument("\"id\" must be a string");
    request.id = StringOf(*id);
    decoded.options.id_given = true;
  }
  if (auto params = Member(root, "parameters")) {
    if (params->type() != element_type::OBJECT) {
      return InvalidArgument("\"parameters\" must be an object");
    }
    // Kept as text for a route's `param:` key.
    for (auto [key, value] : simdjson::dom::object(*params)) {
      switch (value.type()) {
        case element_type::STRING:
          request.parameters.emplace_back(std::string(key), StringOf(value));
          break;
        case element_type::INT64:
          request.parameters.emplace_back(std::string(key),
                                          std::to_string(value.get_int64().value()));
          break;
        case element_type::UINT64:
          request.parameters.emplace_back(std::string(key),
                                          std::to_string(value.get_uint64().value()));
          break;
        case element_type::BOOL:
          request.parameters.emplace_back(std::string(key),
                                          value.get_bool().value() ? "true" : "false");
          break;
        default:
          break;
      }
    }
  }
  decoded.options.binary_by_default = BoolParameter(root, "binary_data_output", false);
  INFERD_ASSIGN_OR_RETURN(auto timeout, UnsignedParameter(root, "timeout"));
  if (timeout && *timeout > 0) request.timeout = std::chrono::microseconds(*timeout);
  INFERD_ASSIGN_OR_RETURN(auto priority, UnsignedParameter(root, "priority"));
  if (priority) request.priority = static_cast<uint32_t>(std::min<uint64_t>(*priority, UINT32_MAX));
  request.protocol = "kserve_http";
  INFERD_RETURN_IF_ERROR(ReadSequenceParameters(root, request.sequence));

  auto inputs = Member(root, "inputs");
  if (!inputs || inputs->type() != element_type::ARRAY) {
    return InvalidArgument("the request needs an \"inputs\" array");
  }
  size_t binary_offset = json_size;
  for (element input_json : simdjson::dom::array(*inputs)) {
    if (input_json.type() != element_type::OBJECT) {
      return InvalidArgument("each input must be a JSON object");
    }
    const object input(input_json);
    auto name_json = Member(input, "name");
    if (!name_json || name_json->type() != element_type::STRING) {
      return InvalidArgument("each input needs a string \"name\"");
    }
    const std::string name = StringOf(*name_json);
    auto type_json = Member(input, "datatype");
    if (!type_json || type_json->type() != element_type::STRING) {
      return InvalidArgument("input '" + name + "' needs a string \"datatype\"");
    }
    const std::string type_name = StringOf(*type_json);
    const DataType dtype = DataTypeFromName(type_name);
    if (dtype == DataType::kInvalid) {
      return InvalidArgument("input '" + name + "' has unknown datatype '" + type_name + "'");
    }
    INFERD_ASSIGN_OR_RETURN(Shape shape, ReadShape(input, name));
    INFERD_ASSIGN_OR_RETURN(int64_t binary_size, BinaryDataSize(input, name));
    Tensor tensor(name, dtype, std::move(shape));
    auto data = Member(input, "data");
    INFERD_ASSIGN_OR_RETURN(auto shm, ShmParameters(input, "input '" + name + "'"));
    if (shm) {
      if (data || binary_size >= 0) {
        return InvalidArgument("input '" + name +
                               "' names a shared_memory_region and also carries data");
      }
      INFERD_RETURN_IF_ERROR(ReadInputFromSharedMemory(regions, *shm, tensor));
    } else if (binary_size >= 0) {
      if (data) {
        return InvalidArgument("input '" + name + "' has both \"data\" and binary_data_size");
      }
      if (header_length < 0) {
        return InvalidArgument("input '" + name +
                               "' has binary_data_size but the request has no "
                               "Inference-Header-Content-Length header");
      }
      if (static_cast<uint64_t>(binary_size) > raw.size() - binary_offset) {
        return InvalidArgument("input '" + name + "' binary_data_size " +
                               std::to_string(binary_size) + " runs past the end of the body");
      }
      tensor.Borrow(std::span(reinterpret_cast<const std::byte*>(raw.data()) + binary_offset,
                              static_cast<size_t>(binary_size)),
                    body);
      binary_offset += static_cast<size_t>(binary_size);
    } else {
      if (!data) return InvalidArgument("input '" + name + "' needs \"data\" or binary_data_size");
      INFERD_RETURN_IF_ERROR(http::DecodeJsonTensorData(*data, tensor));
    }
    request.inputs.push_back(std::move(tensor));
  }
  if (binary_offset != raw.size()) {
    return InvalidArgument("the body has " + std::to_string(raw.size() - binary_offset) +
                           " bytes of binary data that no input claims");
  }

  if (auto outputs = Member(root, "outputs")) {
    if (outputs->type() != element_type::ARRAY) {
      return InvalidArgument("\"outputs\" must be an array");
    }
    for (element output_json : simdjson::dom::array(*outputs)) {
      std::optional<element> out_name;
      if (output_json.type() == element_type::OBJECT)
        out_name = Member(object(output_json), "name");
      if (!out_name || out_name->type() != element_type::STRING) {
        return InvalidArgument("each requested output needs a string \"name\"");
      }
      std::string name = StringOf(*out_name);
      decoded.options.binary.emplace_back(name, BoolParameter(object(output_json), "binary_data",
                                                              decoded.options.binary_by_default));
      INFERD_ASSIGN_OR_RETURN(auto shm,
                              ShmParameters(object(output_json), "output '" + name + "'"));
      if (shm) decoded.options.shared_memory.push_back({name, std::move(*shm)});
      INFERD_ASSIGN_OR_RETURN(auto classes,
                              UnsignedParameter(object(output_json), "classification"));
      if (classes) {
        if (*classes == 0 || *classes > UINT32_MAX) {
          return InvalidArgument("output '" + name + "' classification must be 1 or more");
        }
        request.classifications.push_back({name, static_cast<uint32_t>(*classes)});
      }
      request.requested_outputs.push_back(std::move(name));
    }
  }
  INFERD_RETURN_IF_ERROR(CheckOutputRegions(regions, decoded.options.shared_memory));
  return decoded;
}

http::HttpResponse EncodeInferResponse(const InferResponse& response,
                                       const ResponseOptions& options) {
  http::JsonBuffer buffer;
  http::JsonWriter w(buffer);
  w.StartObject();
  w.Key("model_name");
  w.String(response.model_name.c_str(),
           static_cast<rapidjson::SizeType>(response.model_name.size()));
  w.Key("model_version");
  const std::string version = std::to_string(response.model_version);
  w.String(version.c_str(), static_cast<rapidjson::SizeType>(version.size()));
  if (options.id_given) {
    w.Key("id");
    w.String(response.id.c_str(), static_cast<rapidjson::SizeType>(response.id.size()));
  }
  if (!response.variant.empty()) {
    // The route's answer names who served it (the protocol's parameters).
    w.Key("parameters");
    w.StartObject();
    w.Key("route");
    w.String(response.route.c_str(), static_cast<rapidjson::SizeType>(response.route.size()));
    w.Key("variant");
    w.String(response.variant.c_str(), static_cast<rapidjson::SizeType>(response.variant.size()));
    w.EndObject();
  }
  w.Key("outputs");
  w.StartArray();
  std::vector<const Tensor*> binary;
  for (const Tensor& out : response.outputs) {
    w.StartObject();
    w.Key("name");
    w.String(out.name().c_str(), static_cast<rapidjson::SizeType>(out.name().size()));
    w.Key("datatype");
    const auto type = DataTypeName(out.dtype());
    w.String(type.data(), static_cast<rapidjson::SizeType>(type.size()));
    w.Key("shape");
    w.StartArray();
    for (int64_t d : out.shape()) w.Int64(d);
    w.EndArray();
    if (const ShmOutput* shm = FindShmOutput(options.shared_memory, out.name())) {
      // Written into the region already: say where, as Triton does.
      w.Key("parameters");
      w.StartObject();
      w.Key("shared_memory_region");
      w.String(shm->where.region.c_str(),
               static_cast<rapidjson::SizeType>(shm->where.region.size()));
      w.Key("shared_memory_byte_size");
      w.Uint64(out.byte_size());
      if (shm->where.offset != 0) {
        w.Key("shared_memory_offset");
        w.Uint64(shm->where.offset);
      }
      w.EndObject();
    } else if (options.IsBinary(out.name())) {
      w.Key("parameters");
      w.StartObject();
      w.Key("binary_data_size");
      w.Uint64(out.byte_size());
      w.EndObject();
      binary.push_back(&out);
    } else {
      w.Key("data");
      http::WriteJsonTensorData(out, w);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  http::HttpResponse http_response;
  if (binary.empty()) {
    http_response.body = buffer.Release();
    return http_response;
  }
  const size_t json_size = buffer.GetSize();
  size_t total = json_size;
  for (const Tensor* t : binary) total += t->byte_size();
  http_response.body = buffer.Release();
  http_response.body.reserve(total);
  for (const Tensor* t : binary) {
    http_response.body.append(reinterpret_cast<const char*>(t->data()), t->byte_size());
  }
  http_response.content_type = "application/octet-stream";
  http_response.headers.emplace_back("Inference-Header-Content-Length", std::to_string(json_size));
  return http_response;
}

}  // namespace inferd::kserve
