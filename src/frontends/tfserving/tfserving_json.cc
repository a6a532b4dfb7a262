#include "frontends/tfserving/tfserving_json.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "frontends/http/json_buffer.h"
#include "frontends/tfserving/base64.h"
#include "frontends/tfserving/tfserving_json_internal.h"

namespace inferd::tfserving {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using namespace internal;

constexpr int kMaxDepth = 64;

// The shape of a nested array, from its first elements.
Status InferShape(element value, Shape& shape) {
  shape.clear();
  element current = value;
  while (current.type() == element_type::ARRAY) {
    if (shape.size() >= kMaxDepth) return InvalidArgument("a value is nested too deeply");
    simdjson::dom::array array(current);
    shape.push_back(static_cast<int64_t>(array.size()));
    if (array.size() == 0) break;
    current = array.at(0).value_unsafe();
  }
  return Status::Ok();
}

// Appends the leaves of `value`, which must have exactly `shape`.
Status Flatten(element value, const Shape& shape, size_t level, std::vector<element>& leaves,
               const std::string& name) {
  if (level == shape.size()) {
    if (value.type() == element_type::ARRAY) {
      return InvalidArgument("input '" + name + "' is ragged: its nested lists differ in depth");
    }
    leaves.push_back(value);
    return Status::Ok();
  }
  if (value.type() != element_type::ARRAY ||
      simdjson::dom::array(value).size() != static_cast<size_t>(shape[level])) {
    return InvalidArgument("input '" + name + "' is ragged: its lists at depth " +
                           std::to_string(level) + " differ in length");
  }
  for (element item : simdjson::dom::array(value)) {
    INFERD_RETURN_IF_ERROR(Flatten(item, shape, level + 1, leaves, name));
  }
  return Status::Ok();
}

// TF Serving's leaf forms: NaN/Infinity markers where numbers go (when the
// body had any), and {"b64": ...} or plain strings where bytes go.
http::JsonLeafForms TfLeafForms(bool nonfinite) {
  http::JsonLeafForms forms;
  forms.number = [nonfinite](element leaf, double& out) {
    return LeafAsDouble(leaf, nonfinite, out);
  };
  forms.bytes = [nonfinite](element leaf, std::string& out) {
    if (IsB64Object(leaf)) {
      auto decoded = Base64Decode(simdjson::dom::object(leaf)["b64"].get_string().value());
      if (!decoded) return false;
      out = std::move(*decoded);
      return true;
    }
    std::string_view s;
    if (leaf.get_string().get(s) != simdjson::SUCCESS) return false;
    if (nonfinite && NonFiniteMarker(s) != NonFinite::kNone) return false;
    out.assign(s);
    return true;
  };
  forms.bytes_expected = "a string or a valid {\"b64\": ...}";
  return forms;
}

DataType InputType(const ModelSignature& signature, std::string_view name) {
  for (const TensorSpec& spec : signature.inputs) {
    if (spec.name == name) return spec.dtype;
  }
  return DataType::kInvalid;
}

// Builds one input from the values of its instances (row format, `batch`
// true) or from one value (columnar).
Status AddInput(const std::string& name, const std::vector<element>& values, bool batch,
                const ModelSignature& signature, bool nonfinite, InferRequest& request) {
  Shape item;
  INFERD_RETURN_IF_ERROR(InferShape(values[0], item));
  std::vector<element> leaves;
  for (size_t i = 0; i < values.size(); ++i) {
    Shape shape;
    INFERD_RETURN_IF_ERROR(InferShape(values[i], shape));
    if (shape != item) {
      return InvalidArgument("input '" + name + "' has shape " + ShapeToString(shape) +
                             " in instance " + std::to_string(i) + " but " + ShapeToString(item) +
                             " in instance 0");
    }
    INFERD_RETURN_IF_ERROR(Flatten(values[i], item, 0, leaves, name));
  }
  Shape shape;
  if (batch) shape.push_back(static_cast<int64_t>(values.size()));
  shape.insert(shape.end(), item.begin(), item.end());
  Tensor tensor(name, InputType(signature, name), std::move(shape));
  // A name the model lacks has no dtype to decode with; the core rejects it by name.
  if (tensor.dtype() != DataType::kInvalid) {
    INFERD_RETURN_IF_ERROR(http::DecodeJsonLeaves(leaves, tensor, TfLeafForms(nonfinite)));
  }
  request.inputs.push_back(std::move(tensor));
  return Status::Ok();
}

StatusOr<std::string> SingleInputName(const ModelSignature& signature) {
  if (signature.inputs.size() == 1) return signature.inputs[0].name;
  std::string names;
  for (const auto& s : signature.inputs) names += (names.empty() ? "" : ", ") + s.name;
  return InvalidArgument("the model has inputs " + names +
                         ": name them, as {\"name\": value, ...} per instance or in \"inputs\"");
}

bool IsNamedObject(element value) {
  return value.type() == element_type::OBJECT && !IsB64Object(value);
}

Status DecodeRows(element instances, const ModelSignature& signature, bool nonfinite,
                  InferRequest& request) {
  if (instances.type() != element_type::ARRAY) {
    return InvalidArgument("\"instances\" must be a list");
  }
  simdjson::dom::array rows(instances);
  if (rows.size() == 0) return InvalidArgument("\"instances\" is empty");
  const element first = rows.at(0).value_unsafe();
  if (!IsNamedObject(first)) {
    INFERD_ASSIGN_OR_RETURN(std::string name, SingleInputName(signature));
    std::vector<element> values;
    for (element row : rows) {
      if (IsNamedObject(row)) {
        return InvalidArgument("instances mix named ({...}) and unnamed values");
      }
      values.push_back(row);
    }
    return AddInput(name, values, true, signature, nonfinite, request);
  }
  const simdjson::dom::object names(first);
  size_t index = 0;
  for (element row : rows) {
    if (!IsNamedObject(row) || simdjson::dom::object(row).size() != names.size()) {
      return InvalidArgument("instance " + std::to_string(index) +
                             " does not name the same inputs as instance 0");
    }
    ++index;
  }
  for (auto [key, unused] : names) {
    std::vector<element> values;
    index = 0;
    for (element row : rows) {
      element value;
      if (simdjson::dom::object(row).at_key(key).get(value) != simdjson::SUCCESS) {
        return InvalidArgument("instance " + std::to_string(index) + " has no input '" +
                               std::string(key) + "', which instance 0 has");
      }
      values.push_back(value);
      ++index;
    }
    INFERD_RETURN_IF_ERROR(AddInput(std::string(key), values, true, signature, nonfinite, request));
  }
  return Status::Ok();
}

Status DecodeColumns(element inputs, const ModelSignature& signature, bool nonfinite,
                     InferRequest& request) {
  if (!IsNamedObject(inputs)) {
    INFERD_ASSIGN_OR_RETURN(std::string name, SingleInputName(signature));
    return AddInput(name, {inputs}, false, signature, nonfinite, request);
  }
  for (auto [key, value] : simdjson::dom::object(inputs)) {
    INFERD_RETURN_IF_ERROR(
        AddInput(std::string(key), {value}, false, signature, nonfinite, request));
  }
  return Status::Ok();
}

// Writes one element of `t`; `strings` holds a BYTES tensor's elements.
void WriteElement(http::JsonWriter& w, const Tensor& t, size_t i,
                  const std::vector<std::string_view>& strings, bool b64) {
  switch (t.dtype()) {
    case DataType::kBool:
      w.Bool(t.data_as<uint8_t>()[i] != 0);
      return;
    case DataType::kUint8:
      w.Uint(t.data_as<uint8_t>()[i]);
      return;
    case DataType::kUint16:
      w.Uint(t.data_as<uint16_t>()[i]);
      return;
    case DataType::kUint32:
      w.Uint(t.data_as<uint32_t>()[i]);
      return;
    case DataType::kUint64:
      w.Uint64(t.data_as<uint64_t>()[i]);
      return;
    case DataType::kInt8:
      w.Int(t.data_as<int8_t>()[i]);
      return;
    case DataType::kInt16:
      w.Int(t.data_as<int16_t>()[i]);
      return;
    case DataType::kInt32:
      w.Int(t.data_as<int32_t>()[i]);
      return;
    case DataType::kInt64:
      w.Int64(t.data_as<int64_t>()[i]);
      return;
    case DataType::kFp16:
      WriteFloat(w, HalfToFloat(t.data_as<uint16_t>()[i]));
      return;
    case DataType::kBf16:
      WriteFloat(w, Bf16ToFloat(t.data_as<uint16_t>()[i]));
      return;
    case DataType::kFp32:
      WriteFloat(w, t.data_as<float>()[i]);
      return;
    case DataType::kFp64:
      w.Double(t.data_as<double>()[i]);
      return;
    case DataType::kBytes: {
      const std::string_view s = i < strings.size() ? strings[i] : std::string_view();
      if (b64 || !simdjson::validate_utf8(s.data(), s.size())) {
        const std::string encoded = Base64Encode(s);
        w.StartObject();
        w.Key("b64");
        w.String(encoded.data(), static_cast<rapidjson::SizeType>(encoded.size()));
        w.EndObject();
      } else {
        w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      }
      return;
    }
    case DataType::kInvalid:
      w.Null();
      return;
  }
}

// An output ready to write: its elements (for BYTES) and how to write them.
struct OutputView {
  const Tensor* tensor;
  std::vector<std::string_view> strings;
  bool b64 = false;

  explicit OutputView(const Tensor& t) : tensor(&t) {
    b64 = t.name().ends_with("_bytes");
    auto count = ElementCount(t.shape());
    if (t.dtype() == DataType::kBytes && count.ok()) {
      auto split = SplitBytesElements(t.bytes(), *count);
      if (split.ok()) strings = std::move(split).value();
    }
  }

  // Writes the sub-tensor at dims [level, rank) that starts at element `index`.
  void Write(http::JsonWriter& w, size_t level, size_t& index) const {
    const Shape& shape = tensor->shape();
    if (level == shape.size()) {
      WriteElement(w, *tensor, index++, strings, b64);
      return;
    }
    w.StartArray();
    for (int64_t k = 0; k < shape[level]; ++k) Write(w, level + 1, index);
    w.EndArray();
  }
};

}  // namespace

StatusOr<TfPredictRequest> DecodePredictRequest(std::string_view body,
                                                const ModelSignature& signature) {
  INFERD_ASSIGN_OR_RETURN(ParsedBody parsed, ParseBody(body));
  element instances, inputs;
  const bool has_instances = parsed.root.at_key("instances").get(instances) == simdjson::SUCCESS;
  const bool has_inputs = parsed.root.at_key("inputs").get(inputs) == simdjson::SUCCESS;
  if (has_instances == has_inputs) {
    return InvalidArgument(has_inputs ? "give either \"instances\" or \"inputs\", not both"
                                      : "the request needs \"instances\" or \"inputs\"");
  }
  TfPredictRequest out;
  if (has_instances) {
    out.format = PredictFormat::kRow;
    INFERD_RETURN_IF_ERROR(DecodeRows(instances, signature, parsed.nonfinite, out.request));
  } else {
    out.format = PredictFormat::kColumnar;
    INFERD_RETURN_IF_ERROR(DecodeColumns(inputs, signature, parsed.nonfinite, out.request));
  }
  return out;
}

StatusOr<std::string> EncodePredictResponse(const InferResponse& response, PredictFormat format) {
  std::vector<OutputView> views;
  for (const Tensor& t : response.outputs) {
    if (!ElementCount(t.shape()).ok()) return Internal("output '" + t.name() + "' has no shape");
    views.emplace_back(t);
  }
  http::JsonBuffer buffer;
  http::JsonWriter w(buffer);
  w.StartObject();
  if (format == PredictFormat::kColumnar) {
    w.Key("outputs");
    const bool named = views.size() != 1;
    if (named) w.StartObject();
    for (const OutputView& v : views) {
      if (named)
        w.Key(v.tensor->name().data(), static_cast<rapidjson::SizeType>(v.tensor->name().size()));
      size_t index = 0;
      v.Write(w, 0, index);
    }
    if (named) w.EndObject();
    w.EndObject();
    return buffer.Release();
  }
  int64_t rows = -1;
  for (const OutputView& v : views) {
    const Shape& shape = v.tensor->shape();
    if (shape.empty()) {
      return InvalidArgument("output '" + v.tensor->name() +
                             "' is a scalar, which the row format (\"instances\") cannot return; "
                             "use the columnar format (\"inputs\")");
    }
    if (rows >= 0 && shape[0] != rows) {
      return InvalidArgument("outputs have different batch sizes (" + std::to_string(rows) +
                             " and " + std::to_string(shape[0]) + " for '" + v.tensor->name() +
                             "'), which the row format cannot return; use the columnar format");
    }
    rows = shape[0];
  }
  w.Key("predictions");
  w.StartArray();
  std::vector<size_t> next(views.size(), 0);
  for (int64_t r = 0; r < rows; ++r) {
    if (views.size() == 1) {
      views[0].Write(w, 1, next[0]);
      continue;
    }
    w.StartObject();
    for (size_t k = 0; k < views.size(); ++k) {
      w.Key(views[k].tensor->name().data(),
            static_cast<rapidjson::SizeType>(views[k].tensor->name().size()));
      views[k].Write(w, 1, next[k]);
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.Release();
}

}  // namespace inferd::tfserving
