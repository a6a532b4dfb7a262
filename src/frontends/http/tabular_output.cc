#include "frontends/http/tabular_output.h"

#include <charconv>

namespace inferd::http {

StatusOr<OutputRows> OutputRows::Make(const Tensor& tensor) {
  OutputRows out;
  out.tensor_ = &tensor;
  INFERD_ASSIGN_OR_RETURN(int64_t count, ElementCount(tensor.shape()));
  if (tensor.dtype() == DataType::kBytes) {
    INFERD_ASSIGN_OR_RETURN(out.strings_, SplitBytesElements(tensor.bytes(), count));
  } else if (tensor.byte_size() !=
                 static_cast<uint64_t>(count) * DataTypeByteSize(tensor.dtype()) ||
             tensor.dtype() == DataType::kInvalid) {
    return Internal("output '" + tensor.name() + "' does not match its shape");
  }
  const Shape& shape = tensor.shape();
  out.rows_ = shape.empty() ? 1 : shape[0];
  out.per_row_ = 1;
  for (size_t i = 1; i < shape.size(); ++i) out.per_row_ *= shape[i];
  return out;
}

void OutputRows::WriteElement(int64_t i, JsonWriter& w) const {
  const size_t k = static_cast<size_t>(i);
  switch (tensor_->dtype()) {
    case DataType::kBool:
      w.Bool(tensor_->data_as<uint8_t>()[k] != 0);
      return;
    case DataType::kUint8:
      w.Uint(tensor_->data_as<uint8_t>()[k]);
      return;
    case DataType::kUint16:
      w.Uint(tensor_->data_as<uint16_t>()[k]);
      return;
    case DataType::kUint32:
      w.Uint(tensor_->data_as<uint32_t>()[k]);
      return;
    case DataType::kUint64:
      w.Uint64(tensor_->data_as<uint64_t>()[k]);
      return;
    case DataType::kInt8:
      w.Int(tensor_->data_as<int8_t>()[k]);
      return;
    case DataType::kInt16:
      w.Int(tensor_->data_as<int16_t>()[k]);
      return;
    case DataType::kInt32:
      w.Int(tensor_->data_as<int32_t>()[k]);
      return;
    case DataType::kInt64:
      w.Int64(tensor_->data_as<int64_t>()[k]);
      return;
    case DataType::kBytes:
      WriteJsonString(w, strings_[k]);
      return;
    case DataType::kInvalid:
      w.Null();
      return;
    default:
      w.Double(ElementAsDouble(i));
  }
}

double OutputRows::ElementAsDouble(int64_t i) const {
  const size_t k = static_cast<size_t>(i);
  switch (tensor_->dtype()) {
    case DataType::kBool:
      return tensor_->data_as<uint8_t>()[k] != 0 ? 1 : 0;
    case DataType::kUint8:
      return tensor_->data_as<uint8_t>()[k];
    case DataType::kUint16:
      return tensor_->data_as<uint16_t>()[k];
    case DataType::kUint32:
      return tensor_->data_as<uint32_t>()[k];
    case DataType::kUint64:
      return static_cast<double>(tensor_->data_as<uint64_t>()[k]);
    case DataType::kInt8:
      return tensor_->data_as<int8_t>()[k];
    case DataType::kInt16:
      return tensor_->data_as<int16_t>()[k];
    case DataType::kInt32:
      return tensor_->data_as<int32_t>()[k];
    case DataType::kInt64:
      return static_cast<double>(tensor_->data_as<int64_t>()[k]);
    case DataType::kFp16:
      return HalfToFloat(tensor_->data_as<uint16_t>()[k]);
    case DataType::kBf16:
      return Bf16ToFloat(tensor_->data_as<uint16_t>()[k]);
    case DataType::kFp32:
      return tensor_->data_as<float>()[k];
    case DataType::kFp64:
      return tensor_->data_as<double>()[k];
    case DataType::kBytes:
    case DataType::kInvalid:
      break;
  }
  return 0;
}

std::string OutputRows::ElementAsString(int64_t i) const {
  const size_t k = static_cast<size_t>(i);
  switch (tensor_->dtype()) {
    case DataType::kBytes:
      return std::string(strings_[k]);
    case DataType::kInt64:
      return std::to_string(tensor_->data_as<int64_t>()[k]);
    case DataType::kUint64:
      return std::to_string(tensor_->data_as<uint64_t>()[k]);
    case DataType::kBool:
      return tensor_->data_as<uint8_t>()[k] != 0 ? "true" : "false";
    default: {
      char buf[32];
      const double d = ElementAsDouble(i);
      const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
      return ec == std::errc() ? std::string(buf, end) : std::to_string(d);
    }
  }
}

void OutputRows::WriteDims(size_t dim, int64_t& index, JsonWriter& w) const {
  const Shape& shape = tensor_->shape();
  if (dim >= shape.size()) {
    WriteElement(index++, w);
    return;
  }
  w.StartArray();
  for (int64_t k = 0; k < shape[dim]; ++k) WriteDims(dim + 1, index, w);
  w.EndArray();
}

void OutputRows::WriteRow(int64_t r, JsonWriter& w, bool squeeze_single) const {
  const Shape& shape = tensor_->shape();
  int64_t index = r * per_row_;
  if (shape.size() <= 1 || (squeeze_single && shape.size() == 2 && shape[1] == 1)) {
    WriteElement(index, w);
    return;
  }
  WriteDims(1, index, w);
}

ClassifierSpec FindClassifier(const ModelSignature& signature) {
  ClassifierSpec out;
  for (const TensorSpec& spec : signature.outputs) {
    if (!spec.class_labels.empty() && out.probability == nullptr) out.probability = &spec;
  }
  if (out.probability == nullptr) return out;
  for (const TensorSpec& spec : signature.outputs) {
    if (&spec == out.probability) continue;
    const bool label_type = spec.dtype == DataType::kInt64 || spec.dtype == DataType::kBytes;
    const bool one_per_row =
        spec.shape.size() == 1 || (spec.shape.size() == 2 && spec.shape[1] == 1);
    if (label_type && one_per_row) {
      out.label = &spec;
      out.numeric_labels = spec.dtype == DataType::kInt64;
      break;
    }
  }
  return out;
}

const Tensor* FindOutput(const InferResponse& response, std::string_view name) {
  for (const Tensor& t : response.outputs) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

void WriteJsonString(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void WriteLabel(std::string_view label, bool numeric, JsonWriter& w) {
  if (numeric) {
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(label.data(), label.data() + label.size(), v);
    if (ec == std::errc() && end == label.data() + label.size()) {
      w.Int64(v);
      return;
    }
  }
  WriteJsonString(w, label);
}

StatusOr<int64_t> CommonRows(const std::vector<OutputRows>& outputs) {
  if (outputs.empty()) return Internal("the model returned no outputs");
  const int64_t rows = outputs[0].rows();
  for (const auto& o : outputs) {
    if (o.rows() != rows) return Internal("the model's outputs have different numbers of rows");
  }
  return rows;
}

}  // namespace inferd::http
