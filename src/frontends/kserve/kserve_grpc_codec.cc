#include "frontends/kserve/kserve_grpc_codec.h"

#include <cstring>
#include <limits>

namespace inferd::kserve {
namespace {

using Contents = inference::InferTensorContents;

template <typename To, typename Field>
Status CopyTyped(const Field& values, Tensor& t, int64_t count) {
  if (values.size() != count) {
    return InvalidArgument("input '" + t.name() + "' has " + std::to_string(values.size()) +
                           " typed values but shape " + ShapeToString(t.shape()) + " needs " +
                           std::to_string(count));
  }
  To* out = reinterpret_cast<To*>(t.Allocate(static_cast<size_t>(count) * sizeof(To)));
  for (int64_t i = 0; i < count; ++i) {
    const auto v = values[static_cast<int>(i)];
    if constexpr (std::is_integral_v<To> && !std::is_same_v<std::remove_cv_t<decltype(v)>, bool>) {
      if (v < std::numeric_limits<To>::min() || v > std::numeric_limits<To>::max()) {
        return InvalidArgument("input '" + t.name() + "' value " + std::to_string(v) +
                               " does not fit " + std::string(DataTypeName(t.dtype())));
      }
    }
    out[i] = static_cast<To>(v);
  }
  return Status::Ok();
}

Status DecodeTyped(const Contents& c, Tensor& t) {
  INFERD_ASSIGN_OR_RETURN(int64_t count, ElementCount(t.shape()));
  switch (t.dtype()) {
    case DataType::kBool:
      return CopyTyped<uint8_t>(c.bool_contents(), t, count);
    case DataType::kInt8:
      return CopyTyped<int8_t>(c.int_contents(), t, count);
    case DataType::kInt16:
      return CopyTyped<int16_t>(c.int_contents(), t, count);
    case DataType::kInt32:
      return CopyTyped<int32_t>(c.int_contents(), t, count);
    case DataType::kInt64:
      return CopyTyped<int64_t>(c.int64_contents(), t, count);
    case DataType::kUint8:
      return CopyTyped<uint8_t>(c.uint_contents(), t, count);
    case DataType::kUint16:
      return CopyTyped<uint16_t>(c.uint_contents(), t, count);
    case DataType::kUint32:
      return CopyTyped<uint32_t>(c.uint_contents(), t, count);
    case DataType::kUint64:
      return CopyTyped<uint64_t>(c.uint64_contents(), t, count);
    case DataType::kFp32:
      return CopyTyped<float>(c.fp32_contents(), t, count);
    case DataType::kFp64:
      return CopyTyped<double>(c.fp64_contents(), t, count);
    case DataType::kBytes: {
      if (c.bytes_contents_size() != count) {
        return InvalidArgument("input '" + t.name() + "' has " +
                               std::to_string(c.bytes_contents_size()) +
                               " bytes_contents but its shape needs " + std::to_string(count));
      }
      std::vector<std::byte> buffer;
      for (const std::string& s : c.bytes_contents()) AppendBytesElement(buffer, s);
      t.Adopt(std::move(buffer));
      return Status::Ok();
    }
    case DataType::kFp16:
    case DataType::kBf16:
      return InvalidArgument("input '" + t.name() + "' is " + std::string(DataTypeName(t.dtype())) +
                             ", which has no typed contents field: send raw_input_contents");
    case DataType::kInvalid:
      break;
  }
  return InvalidArgument("input '" + t.name() + "' has no valid datatype");
}

// A non-negative integer parameter, whichever integer field the client used
// (tritonclient sends uint64, others int64); nullopt for anything else.
std::optional<uint64_t> AsUnsigned(const inference::InferParameter& p) {
  if (p.has_uint64_param()) return p.uint64_param();
  if (p.has_int64_param() && p.int64_param() >= 0) return static_cast<uint64_t>(p.int64_param());
  return std::nullopt;
}

}  // namespace

// Reads a non-negative integer request parameter (Triton's `timeout` in
// microseconds, `priority`), whichever integer field the client used.
StatusOr<std::optional<uint64_t>> UnsignedParameter(const inference::ModelInferRequest& message,
                                                    const std::string& key) {
  auto it = message.parameters().find(key);
  if (it == message.parameters().end()) return std::optional<uint64_t>();
  if (auto value = AsUnsigned(it->second)) return value;
  return InvalidArgument("parameter '" + key + "' must be a non-negative integer");
}

namespace {

using ParameterMap = google::protobuf::Map<std::string, inference::InferParameter>;

// Triton's shared-memory parameters of an input or a requested output.
StatusOr<std::optional<ShmLocation>> ShmParameters(const ParameterMap& params,
                                                   const std::string& what) {
  std::optional<std::string> region;
  std::optional<uint64_t> size, offset;
  if (auto it = params.find("shared_memory_region"); it != params.end()) {
    if (!it->second.has_string_param()) {
      return InvalidArgument(what + " shared_memory_region must be a string");
    }
    region = it->second.string_param();
  }
  for (auto [key, out] :
       {std::pair{"shared_memory_byte_size", &size}, std::pair{"shared_memory_offset", &offset}}) {
    auto it = params.find(key);
    if (it == params.end()) continue;
    *out = AsUnsigned(it->second);
    if (!*out) return InvalidArgument(what + " " + key + " must be a non-negative integer");
  }
  return MakeShmLocation(what, std::move(region), size, offset);
}

// Triton's sequence parameters: sequence_id (int64, uint64 or string),
// sequence_start and sequence_end (bool).
Status ReadSequenceParameters(const ParameterMap& params, SequenceParams& out) {
  if (auto it = params.find("sequence_id"); it != params.end()) {
    const auto& p = it->second;
    if (auto number = AsUnsigned(p)) {
      out.id = *number;
    } else if (p.has_string_param()) {
      out.id_text = p.string_param();
    } else {
      return InvalidArgument("parameter 'sequence_id' must be a non-negative integer or a string");
    }
  }
  for (auto [key, flag] :
       {std::pair{"sequence_start", &out.start}, std::pair{"sequence_end", &out.end}}) {
    auto it = params.find(key);
    if (it == params.end()) continue;
    if (!it->second.has_bool_param()) {
      return InvalidArgument(std::string("parameter '") + key + "' must be a boolean");
    }
    *flag = it->second.bool_param();
  }
  return Status::Ok();
}

}  // namespace

StatusOr<InferRequest> DecodeGrpcInferRequest(const inference::ModelInferRequest& message,
                                              std::shared_ptr<const void> owner,
                                              const SharedMemoryRegions* regions,
                                              std::vector<ShmOutput>* shm_outputs) {
  InferRequest request;
  request.model_name = message.model_name();
  request.model_version = message.model_version();
  request.id = message.id();
  INFERD_ASSIGN_OR_RETURN(auto timeout, UnsignedParameter(message, "timeout"));
  if (timeout && *timeout > 0) request.timeout = std::chrono::microseconds(*timeout);
  INFERD_ASSIGN_OR_RETURN(auto priority, UnsignedParameter(message, "priority"));
  if (priority) request.priority = static_cast<uint32_t>(std::min<uint64_t>(*priority, UINT32_MAX));
  request.protocol = "kserve_grpc";
  INFERD_RETURN_IF_ERROR(ReadSequenceParameters(message.parameters(), request.sequence));
  // Kept as text for a route's `param:` key.
  for (const auto& [key, value] : message.parameters()) {
    switch (value.parameter_choice_case()) {
      case inference::InferParameter::kStringParam:
        request.parameters.emplace_back(key, value.string_param());
        break;
      case inference::InferParameter::kInt64Param:
        request.parameters.emplace_back(key, std::to_string(value.int64_param()));
        break;
      case inference::InferParameter::kUint64Param:
        request.parameters.emplace_back(key, std::to_string(value.uint64_param()));
        break;
      case inference::InferParameter::kBoolParam:
        request.parameters.emplace_back(key, value.bool_param() ? "true" : "false");
        break;
      default:
        break;
    }
  }
  std::vector<std::optional<ShmLocation>> in_shm;
  int in_memory = 0;  // inputs whose bytes come in the message
  for (const auto& input : message.inputs()) {
    INFERD_ASSIGN_OR_RETURN(auto shm,
                            ShmParameters(input.parameters(), "input '" + input.name() + "'"));
    if (!shm) ++in_memory;
    in_shm.push_back(std::move(shm));
  }
  const bool raw = message.raw_input_contents_size() > 0;
  if (raw && message.raw_input_contents_size() != in_memory) {
    return InvalidArgument("raw_input_contents has " +
                           std::to_string(message.raw_input_contents_size()) +
                           " entries but the request has " + std::to_string(in_memory) +
                           " inputs not in shared memory; give one per input");
  }
  int raw_index = 0;
  for (int i = 0; i < message.inputs_size(); ++i) {
    const auto& input = message.inputs(i);
    const DataType dtype = DataTypeFromName(input.datatype());
    if (dtype == DataType::kInvalid) {
      return InvalidArgument("input '" + input.name() + "' has unknown datatype '" +
                             input.datatype() + "'");
    }
    Shape shape(input.shape().begin(), input.shape().end());
    for (int64_t d : shape) {
      if (d < 0) return InvalidArgument("input '" + input.name() + "' shape has a negative dim");
    }
    Tensor tensor(input.name(), dtype, std::move(shape));
    if (in_shm[i]) {
      if (input.has_contents()) {
        return InvalidArgument("input '" + input.name() +
                               "' names a shared_memory_region and also carries contents");
      }
      INFERD_RETURN_IF_ERROR(ReadInputFromSharedMemory(regions, *in_shm[i], tensor));
    } else if (raw) {
      if (input.has_contents()) {
        return InvalidArgument("input '" + input.name() +
                               "' has typed contents but the request uses raw_input_contents");
      }
      const std::string& bytes = message.raw_input_contents(raw_index++);
      tensor.Borrow(std::span(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()),
                    owner);
    } else {
      INFERD_RETURN_IF_ERROR(DecodeTyped(input.contents(), tensor));
    }
    request.inputs.push_back(std::move(tensor));
  }
  for (const auto& output : message.outputs()) {
    request.requested_outputs.push_back(output.name());
    INFERD_ASSIGN_OR_RETURN(auto shm,
                            ShmParameters(output.parameters(), "output '" + output.name() + "'"));
    if (shm) {
      std::vector<ShmOutput> one{{output.name(), std::move(*shm)}};
      INFERD_RETURN_IF_ERROR(CheckOutputRegions(regions, one));
      if (shm_outputs == nullptr) return Unavailable("shared memory is not available here");
      shm_outputs->push_back(std::move(one.front()));
    }
    auto it = output.parameters().find("classification");
    if (it == output.parameters().end()) continue;
    const uint64_t classes = AsUnsigned(it->second).value_or(0);
    if (classes == 0 || classes > UINT32_MAX) {
      return InvalidArgument("output '" + output.name() + "' classification must be 1 or more");
    }
    request.classifications.push_back({output.name(), static_cast<uint32_t>(classes)});
  }
  return request;
}

void EncodeGrpcInferResponse(const InferResponse& response, inference::ModelInferResponse& out,
                             const std::vector<ShmOutput>& shm_outputs) {
  out.set_model_name(response.model_name);
  out.set_model_version(std::to_string(response.model_version));
  out.set_id(response.id);
  if (!response.variant.empty()) {
    (*out.mutable_parameters())["route"].set_string_param(response.route);
    (*out.mutable_parameters())["variant"].set_string_param(response.variant);
  }
  for (const Tensor& t : response.outputs) {
    auto* tensor = out.add_outputs();
    tensor->set_name(t.name());
    tensor->set_datatype(std::string(DataTypeName(t.dtype())));
    for (int64_t d : t.shape()) tensor->add_shape(d);
    if (const ShmOutput* shm = FindShmOutput(shm_outputs, t.name())) {
      auto& params = *tensor->mutable_parameters();
      params["shared_memory_region"].set_string_param(shm->where.region);
      params["shared_memory_byte_size"].set_uint64_param(t.byte_size());
      if (shm->where.offset != 0)
        params["shared_memory_offset"].set_uint64_param(shm->where.offset);
      out.add_raw_output_contents();
      continue;
    }
    out.add_raw_output_contents()->assign(reinterpret_cast<const char*>(t.data()), t.byte_size());
  }
}

}  // namespace inferd::kserve
