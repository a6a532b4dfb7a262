#include "core/request_validator.h"

#include <string>

namespace inferd {
namespace {

std::string Quote(const std::string& s) {
  return "'" + s + "'";
}

std::string ExpectedNames(const std::vector<TensorSpec>& specs) {
  std::string out;
  for (const auto& s : specs) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

Status CheckInput(const LoadedModel& model, const TensorSpec& spec, const Tensor& input,
                  int64_t& batch) {
  // Built only for an error: the valid path allocates nothing here.
  auto where = [&] { return "input " + Quote(input.name()) + " of model " + Quote(model.name); };
  if (input.dtype() != spec.dtype) {
    return InvalidArgument(where() + " has datatype " + std::string(DataTypeName(input.dtype())) +
                           " but the model expects " + std::string(DataTypeName(spec.dtype)));
  }
  const Shape& shape = input.shape();
  for (int64_t d : shape) {
    if (d < 0)
      return InvalidArgument(where() + " has a negative dim in shape " + ShapeToString(shape));
  }
  if (!ShapeMatches(spec.shape, shape)) {
    return InvalidArgument(where() + " has shape " + ShapeToString(shape) +
                           " but the model expects " + ShapeToString(spec.shape));
  }
  const int max_batch = model.config.max_batch_size();
  if (max_batch > 0) {
    if (shape[0] > max_batch) {
      return InvalidArgument(where() + " has batch size " + std::to_string(shape[0]) +
                             ", more than the model's max_batch_size " + std::to_string(max_batch));
    }
    if (batch >= 0 && shape[0] != batch) {
      return InvalidArgument(where() + " has batch size " + std::to_string(shape[0]) +
                             " but other inputs have " + std::to_string(batch));
    }
    batch = shape[0];
  }
  INFERD_ASSIGN_OR_RETURN(int64_t count, ElementCount(shape));
  if (input.dtype() == DataType::kBytes) {
    auto split = SplitBytesElements(input.bytes(), count);
    if (!split.ok()) return InvalidArgument(where() + ": " + split.status().message());
    return Status::Ok();
  }
  const uint64_t expected = static_cast<uint64_t>(count) * DataTypeByteSize(input.dtype());
  if (input.byte_size() != expected) {
    return InvalidArgument(where() + " has " + std::to_string(input.byte_size()) +
                           " bytes of data but shape " + ShapeToString(shape) + " of " +
                           std::string(DataTypeName(input.dtype())) + " needs " +
                           std::to_string(expected));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<PreparedRequest> PrepareRequest(const LoadedModel& model, InferRequest& request) {
  const auto& specs = model.signature.inputs;
  std::vector<Tensor*> by_spec(specs.size(), nullptr);
  int64_t batch = -1;
  for (Tensor& input : request.inputs) {
    size_t index = specs.size();
    for (size_t i = 0; i < specs.size(); ++i) {
      if (specs[i].name == input.name()) index = i;
    }
    if (index == specs.size()) {
      return InvalidArgument("unexpected input " + Quote(input.name()) + " for model " +
                             Quote(model.name) + "; its inputs are: " + ExpectedNames(specs));
    }
    if (by_spec[index] != nullptr) {
      return InvalidArgument("input " + Quote(input.name()) + " is given more than once");
    }
    INFERD_RETURN_IF_ERROR(CheckInput(model, specs[index], input, batch));
    by_spec[index] = &input;
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (by_spec[i] == nullptr) {
      return InvalidArgument("missing input " + Quote(specs[i].name) + " for model " +
                             Quote(model.name) + "; its inputs are: " + ExpectedNames(specs));
    }
  }

  PreparedRequest prepared;
  prepared.inputs.reserve(specs.size());
  const auto& outputs = model.signature.outputs;
  const size_t served =
      request.requested_outputs.empty() ? outputs.size() : request.requested_outputs.size();
  prepared.outputs.reserve(served);
  prepared.served_outputs.reserve(served);
  for (size_t engine_index = 0; engine_index < model.input_order.size(); ++engine_index) {
    prepared.inputs.push_back(std::move(*by_spec[model.input_order[engine_index]]));
  }
  request.inputs.clear();

  if (request.requested_outputs.empty()) {
    for (size_t i = 0; i < outputs.size(); ++i) {
      prepared.served_outputs.push_back(i);
      prepared.outputs.push_back(model.backend_output_index[i]);
    }
    return prepared;
  }
  for (const std::string& name : request.requested_outputs) {
    size_t index = outputs.size();
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (outputs[i].name == name) index = i;
    }
    if (index == outputs.size()) {
      return InvalidArgument("unknown output " + Quote(name) + " for model " + Quote(model.name) +
                             "; its outputs are: " + ExpectedNames(outputs));
    }
    for (size_t seen : prepared.served_outputs) {
      if (seen == index) return InvalidArgument("output " + Quote(name) + " is requested twice");
    }
    prepared.served_outputs.push_back(index);
    prepared.outputs.push_back(model.backend_output_index[index]);
  }
  return prepared;
}

}  // namespace inferd
