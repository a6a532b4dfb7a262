#include "frontends/kserve/kserve_infer_codec.h"

#include <cstring>

#include "frontends/http/json_tensor_codec.h"

namespace inferd::kserve {
namespace {

using rapidjson::Value;

StatusOr<Shape> ReadShape(const Value& tensor, const std::string& name) {
  auto it = tensor.FindMember("shape");
  if (it == tensor.MemberEnd() || !it->value.IsArray()) {
    return InvalidArgument("input '" + name + "' needs a \"shape\" array");
  }
  Shape shape;
  for (const auto& d : it->value.GetArray()) {
    if (!d.IsInt64()) return InvalidArgument("input '" + name + "' shape has a non-integer dim");
    if (d.GetInt64() < 0) return InvalidArgument("input '" + name + "' shape has a negative dim");
    shape.push_back(d.GetInt64());
  }
  return shape;
}

// Reads parameters.binary_data_size (-1 when absent).
StatusOr<int64_t> BinaryDataSize(const Value& tensor, const std::string& name) {
  auto params = tensor.FindMember("parameters");
  if (params == tensor.MemberEnd()) return int64_t{-1};
  if (!params->value.IsObject()) {
    return InvalidArgument("input '" + name + "' \"parameters\" must be an object");
  }
  auto size = params->value.FindMember("binary_data_size");
  if (size == params->value.MemberEnd()) return int64_t{-1};
  if (!size->value.IsUint64()) {
    return InvalidArgument("input '" + name + "' binary_data_size must be a non-negative integer");
  }
  return static_cast<int64_t>(size->value.GetUint64());
}

bool BoolParameter(const Value& holder, const char* key, bool fallback) {
  auto params = holder.FindMember("parameters");
  if (params == holder.MemberEnd() || !params->value.IsObject()) return fallback;
  auto it = params->value.FindMember(key);
  if (it == params->value.MemberEnd() || !it->value.IsBool()) return fallback;
  return it->value.GetBool();
}

}  // namespace

bool ResponseOptions::IsBinary(std::string_view name) const {
  for (const auto& [n, b] : binary) {
    if (n == name) return b;
  }
  return binary_by_default;
}

StatusOr<DecodedInfer> DecodeInferRequest(std::shared_ptr<const std::string> body,
                                          int64_t header_length) {
  const std::string& raw = *body;
  if (header_length > static_cast<int64_t>(raw.size())) {
    return InvalidArgument("Inference-Header-Content-Length " + std::to_string(header_length) +
                           " is larger than the body (" + std::to_string(raw.size()) + " bytes)");
  }
  const size_t json_size = header_length < 0 ? raw.size() : static_cast<size_t>(header_length);
  if (header_length == 0) {
    return InvalidArgument(
        "Inference-Header-Content-Length 0 (a raw binary body) needs a model with exactly one "
        "input; send a JSON header instead");
  }
  rapidjson::Document doc;
  doc.Parse<http::kJsonParseFlags>(raw.data(), json_size);
  if (doc.HasParseError()) return InvalidArgument(http::JsonParseErrorMessage(doc));
  if (!doc.IsObject()) return InvalidArgument("the request body must be a JSON object");

  DecodedInfer decoded;
  InferRequest& request = decoded.request;
  if (auto id = doc.FindMember("id"); id != doc.MemberEnd()) {
    if (!id->value.IsString()) return InvalidArgument("\"id\" must be a string");
    request.id.assign(id->value.GetString(), id->value.GetStringLength());
    decoded.options.id_given = true;
  }
  if (auto params = doc.FindMember("parameters"); params != doc.MemberEnd()) {
    if (!params->value.IsObject()) return InvalidArgument("\"parameters\" must be an object");
  }
  decoded.options.binary_by_default = BoolParameter(doc, "binary_data_output", false);

  auto inputs = doc.FindMember("inputs");
  if (inputs == doc.MemberEnd() || !inputs->value.IsArray()) {
    return InvalidArgument("the request needs an \"inputs\" array");
  }
  size_t binary_offset = json_size;
  for (const Value& input : inputs->value.GetArray()) {
    if (!input.IsObject()) return InvalidArgument("each input must be a JSON object");
    auto name_it = input.FindMember("name");
    if (name_it == input.MemberEnd() || !name_it->value.IsString()) {
      return InvalidArgument("each input needs a string \"name\"");
    }
    const std::string name(name_it->value.GetString(), name_it->value.GetStringLength());
    auto type_it = input.FindMember("datatype");
    if (type_it == input.MemberEnd() || !type_it->value.IsString()) {
      return InvalidArgument("input '" + name + "' needs a string \"datatype\"");
    }
    const DataType dtype = DataTypeFromName(type_it->value.GetString());
    if (dtype == DataType::kInvalid) {
      return InvalidArgument("input '" + name + "' has unknown datatype '" +
                             std::string(type_it->value.GetString()) + "'");
    }
    INFERD_ASSIGN_OR_RETURN(Shape shape, ReadShape(input, name));
    INFERD_ASSIGN_OR_RETURN(int64_t binary_size, BinaryDataSize(input, name));
    Tensor tensor(name, dtype, std::move(shape));
    if (binary_size >= 0) {
      if (input.HasMember("data")) {
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
      auto data = input.FindMember("data");
      if (data == input.MemberEnd()) {
        return InvalidArgument("input '" + name + "' needs \"data\" or binary_data_size");
      }
      INFERD_RETURN_IF_ERROR(http::DecodeJsonTensorData(data->value, tensor));
    }
    request.inputs.push_back(std::move(tensor));
  }
  if (binary_offset != raw.size()) {
    return InvalidArgument("the body has " + std::to_string(raw.size() - binary_offset) +
                           " bytes of binary data that no input claims");
  }

  if (auto outputs = doc.FindMember("outputs"); outputs != doc.MemberEnd()) {
    if (!outputs->value.IsArray()) return InvalidArgument("\"outputs\" must be an array");
    for (const Value& output : outputs->value.GetArray()) {
      auto name = output.IsObject() ? output.FindMember("name") : output.MemberEnd();
      if (!output.IsObject() || name == output.MemberEnd() || !name->value.IsString()) {
        return InvalidArgument("each requested output needs a string \"name\"");
      }
      std::string out_name(name->value.GetString(), name->value.GetStringLength());
      decoded.options.binary.emplace_back(
          out_name, BoolParameter(output, "binary_data", decoded.options.binary_by_default));
      request.requested_outputs.push_back(std::move(out_name));
    }
  }
  return decoded;
}

http::HttpResponse EncodeInferResponse(const InferResponse& response,
                                       const ResponseOptions& options) {
  rapidjson::StringBuffer buffer;
  http::JsonWriter w(buffer);
  w.StartObject();
  w.Key("model_name");
  w.String(response.model_name.c_str(), static_cast<rapidjson::SizeType>(response.model_name.size()));
  w.Key("model_version");
  const std::string version = std::to_string(response.model_version);
  w.String(version.c_str(), static_cast<rapidjson::SizeType>(version.size()));
  if (options.id_given) {
    w.Key("id");
    w.String(response.id.c_str(), static_cast<rapidjson::SizeType>(response.id.size()));
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
    if (options.IsBinary(out.name())) {
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
    http_response.body.assign(buffer.GetString(), buffer.GetSize());
    return http_response;
  }
  size_t total = buffer.GetSize();
  for (const Tensor* t : binary) total += t->byte_size();
  http_response.body.reserve(total);
  http_response.body.assign(buffer.GetString(), buffer.GetSize());
  for (const Tensor* t : binary) {
    http_response.body.append(reinterpret_cast<const char*>(t->data()), t->byte_size());
  }
  http_response.content_type = "application/octet-stream";
  http_response.headers.emplace_back("Inference-Header-Content-Length",
                                     std::to_string(buffer.GetSize()));
  return http_response;
}

}  // namespace inferd::kserve
