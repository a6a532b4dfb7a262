#include "frontends/torchserve/torchserve_codec.h"

#include <cctype>
#include <memory>
#include <optional>

#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"
#include "frontends/http/multipart.h"
#include "frontends/http/tabular_codec.h"
#include "frontends/http/tabular_output.h"

namespace inferd::torchserve {
namespace {

using http::FindFormField;
using http::IsMultipartFormData;

using simdjson::dom::element;
using simdjson::dom::element_type;

StatusOr<std::vector<Tensor>> ToTensors(const StatusOr<http::JsonRowsTable>& table,
                                        const ModelSignature& signature) {
  if (!table.ok()) return table.status();
  return http::TableToTensors(signature, *table);
}

StatusOr<std::vector<Tensor>> RecordsToTensors(std::vector<element> records,
                                               const ModelSignature& signature) {
  INFERD_ASSIGN_OR_RETURN(http::JsonRecordsTable table,
                          http::JsonRecordsTable::Make(std::move(records)));
  return http::TableToTensors(signature, table);
}

// Rows or one row, told apart by the first element.
StatusOr<DecodedPrediction> DecodeRowsOrRow(element value, const ModelSignature& signature,
                                            bool instances) {
  DecodedPrediction out;
  if (value.type() == element_type::OBJECT) {
    if (instances) return InvalidArgument("\"instances\" must be a list of rows");
    out.single_row = true;
    INFERD_ASSIGN_OR_RETURN(out.inputs, RecordsToTensors({value}, signature));
    return out;
  }
  if (value.type() != element_type::ARRAY) {
    return InvalidArgument("the body must be a list of rows, a row, or an object");
  }
  auto items = http::ArrayElements(simdjson::dom::array(value));
  if (items.empty()) return InvalidArgument("no rows given");
  const element_type first = items[0].type();
  if (first == element_type::ARRAY) {
    INFERD_ASSIGN_OR_RETURN(out.inputs,
                            ToTensors(http::JsonRowsTable::Make(std::move(items)), signature));
  } else if (first == element_type::OBJECT) {
    INFERD_ASSIGN_OR_RETURN(out.inputs, RecordsToTensors(std::move(items), signature));
  } else if (instances) {
    INFERD_ASSIGN_OR_RETURN(
        out.inputs, ToTensors(http::JsonRowsTable::Make(std::move(items), {}, true), signature));
  } else {
    out.single_row = true;
    INFERD_ASSIGN_OR_RETURN(out.inputs, ToTensors(http::JsonRowsTable::Make({value}), signature));
  }
  return out;
}

std::string LowerMediaType(std::string_view content_type) {
  std::string media(content_type.substr(0, content_type.find(';')));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.pop_back();
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.erase(0, 1);
  for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return media;
}

// Media types TorchServe hands to a handler as raw bytes.
bool IsRawMediaType(std::string_view media) {
  return media == "text/plain" || media == "application/octet-stream" ||
         media.starts_with("image/") || media.starts_with("audio/") || media.starts_with("video/");
}

// The model takes one BYTES input, so a raw body can feed it.
const TensorSpec* SingleBytesInput(const ModelSignature& signature) {
  if (signature.inputs.size() != 1 || signature.inputs[0].dtype != DataType::kBytes) return nullptr;
  return &signature.inputs[0];
}

// One BYTES element per raw body or form part: shape [n], or [n, 1] when the
// input has a second dim of one.
StatusOr<DecodedPrediction> RawElements(const TensorSpec& input,
                                        const std::vector<std::string_view>& elements) {
  const auto n = static_cast<int64_t>(elements.size());
  Shape shape;
  if (input.shape.size() == 1) {
    shape = {n};
  } else if (input.shape.size() == 2 && (input.shape[1] == 1 || input.shape[1] == -1)) {
    shape = {n, 1};
  } else {
    return InvalidArgument("input '" + input.name + "' has shape " + ShapeToString(input.shape) +
                           "; a raw body feeds an input of shape [-1] or [-1, 1]");
  }
  if (!input.shape.empty() && input.shape[0] >= 0 && input.shape[0] != n) {
    return InvalidArgument("input '" + input.name + "' takes " + std::to_string(input.shape[0]) +
                           " elements, not " + std::to_string(n));
  }
  std::vector<std::byte> buffer;
  for (std::string_view e : elements) AppendBytesElement(buffer, e);
  Tensor tensor(input.name, DataType::kBytes, std::move(shape));
  tensor.Adopt(std::move(buffer));
  DecodedPrediction out;
  out.inputs.push_back(std::move(tensor));
  out.single_row = n == 1;
  return out;
}

}  // namespace

StatusOr<DecodedPrediction> DecodePredictionBody(std::string_view content_type,
                                                 std::string_view body,
                                                 const ModelSignature& signature) {
  const std::string media = LowerMediaType(content_type);
  const TensorSpec* bytes_input = SingleBytesInput(signature);
  if (IsRawMediaType(media)) {
    if (bytes_input != nullptr) return RawElements(*bytes_input, {body});
    // Clients send JSON rows as text/plain or octet-stream too: read them as
    // JSON. Images and sound can only feed a BYTES input.
    if (media != "text/plain" && media != "application/octet-stream") {
      return InvalidArgument("a " + media +
                             " body feeds only a model with one BYTES input; send JSON rows "
                             "for this model's inputs");
    }
  }
  if (bytes_input != nullptr && IsMultipartFormData(content_type)) {
    INFERD_ASSIGN_OR_RETURN(auto parts, http::ReadFormParts(content_type, body));
    if (parts.empty()) return InvalidArgument("the multipart body has no parts");
    std::vector<std::string_view> elements;
    for (const auto& part : parts) elements.push_back(part.content);
    return RawElements(*bytes_input, elements);
  }
  // `curl -T file` sends no Content-Type: for a BYTES model, anything but a
  // JSON list or object is the raw bytes of one element.
  if (bytes_input != nullptr && media.empty()) {
    simdjson::dom::parser probe;
    simdjson::dom::element root;
    const bool rows = probe.parse(body.data(), body.size()).get(root) == simdjson::SUCCESS &&
                      (root.type() == element_type::ARRAY || root.type() == element_type::OBJECT);
    if (!rows) return RawElements(*bytes_input, {body});
  }
  std::string_view json = body;
  if (IsMultipartFormData(content_type)) {
    auto field = FindFormField(content_type, body, "data");
    if (!field.ok()) return InvalidArgument(field.status().message());
    json = *field;
  }
  INFERD_ASSIGN_OR_RETURN(element root, http::ParseJson(json));
  if (root.type() == element_type::OBJECT) {
    const simdjson::dom::object object(root);
    element inner;
    if (object.at_key("data").get(inner) == simdjson::SUCCESS) {
      return DecodeRowsOrRow(inner, signature, false);
    }
    if (object.at_key("instances").get(inner) == simdjson::SUCCESS) {
      return DecodeRowsOrRow(inner, signature, true);
    }
  }
  return DecodeRowsOrRow(root, signature, false);
}

StatusOr<std::string> EncodePredictionResponse(const InferResponse& response,
                                               const ModelSignature& signature, bool single_row) {
  const http::ClassifierSpec classifier = http::FindClassifier(signature);
  const Tensor* probabilities =
      classifier.probability ? http::FindOutput(response, classifier.probability->name) : nullptr;
  const Tensor* chosen = probabilities;
  if (chosen == nullptr) {
    if (response.outputs.empty()) return Internal("the model returned no outputs");
    chosen = &response.outputs[0];
  }
  INFERD_ASSIGN_OR_RETURN(http::OutputRows rows, http::OutputRows::Make(*chosen));
  const auto& labels =
      classifier.probability ? classifier.probability->class_labels : std::vector<std::string>{};
  if (probabilities != nullptr && rows.per_row() != static_cast<int64_t>(labels.size())) {
    return Internal("the probability output does not have one column per class label");
  }

  http::JsonBuffer buffer;
  http::JsonWriter w(buffer);
  auto write_row = [&](int64_t r) {
    if (probabilities == nullptr) return rows.WriteRow(r, w, true);
    w.StartObject();
    for (size_t c = 0; c < labels.size(); ++c) {
      http::WriteJsonString(w, labels[c]);
      rows.WriteElement(r * rows.per_row() + static_cast<int64_t>(c), w);
    }
    w.EndObject();
  };
  if (single_row) {
    if (rows.rows() < 1) return Internal("the model returned no rows");
    write_row(0);
  } else {
    w.StartArray();
    for (int64_t r = 0; r < rows.rows(); ++r) write_row(r);
    w.EndArray();
  }
  return buffer.Release();
}

}  // namespace inferd::torchserve
