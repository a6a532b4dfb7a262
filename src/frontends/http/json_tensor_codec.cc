#include "frontends/http/json_tensor_codec.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

namespace inferd::http {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Collects the leaves of a nested array in row-major order.
Status Flatten(element value, std::vector<element>& out, int depth) {
  if (depth > 64) return InvalidArgument("tensor data is nested too deeply");
  if (value.type() != element_type::ARRAY) {
    out.push_back(value);
    return Status::Ok();
  }
  for (element item : simdjson::dom::array(value)) {
    INFERD_RETURN_IF_ERROR(Flatten(item, out, depth + 1));
  }
  return Status::Ok();
}

Status ElementError(const Tensor& t, size_t index, const char* expected) {
  return InvalidArgument("input '" + t.name() + "' element " + std::to_string(index) + " is not " +
                         expected + " (datatype " + std::string(DataTypeName(t.dtype())) + ")");
}

template <typename T>
Status DecodeIntegers(const std::vector<element>& leaves, Tensor& t) {
  T* out = reinterpret_cast<T*>(t.Allocate(leaves.size() * sizeof(T)));
  for (size_t i = 0; i < leaves.size(); ++i) {
    const element& v = leaves[i];
    if constexpr (std::is_signed_v<T>) {
      if (v.type() != element_type::INT64) return ElementError(t, i, "an integer in range");
      const int64_t x = int64_t(v);
      if (x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max()) {
        return ElementError(t, i, "an integer in range");
      }
      out[i] = static_cast<T>(x);
    } else {
      uint64_t x = 0;
      if (v.type() == element_type::UINT64) {
        x = uint64_t(v);
      } else if (v.type() == element_type::INT64 && int64_t(v) >= 0) {
        x = static_cast<uint64_t>(int64_t(v));
      } else {
        return ElementError(t, i, "a non-negative integer in range");
      }
      if (x > std::numeric_limits<T>::max()) return ElementError(t, i, "an integer in range");
      out[i] = static_cast<T>(x);
    }
  }
  return Status::Ok();
}

template <typename T, typename Convert>
Status DecodeFloats(const std::vector<element>& leaves, Tensor& t, const JsonLeafForms& forms,
                    Convert convert) {
  T* out = reinterpret_cast<T*>(t.Allocate(leaves.size() * sizeof(T)));
  for (size_t i = 0; i < leaves.size(); ++i) {
    double d = 0;
    const bool read = forms.number ? forms.number(leaves[i], d)
                                   : leaves[i].get_double().get(d) == simdjson::SUCCESS;
    if (!read) return ElementError(t, i, "a number");
    out[i] = convert(d);
  }
  return Status::Ok();
}

// BYTES leaves in a protocol's own form (forms.bytes is set).
Status DecodeBytesForm(const std::vector<element>& leaves, Tensor& t, const JsonLeafForms& forms) {
  std::vector<std::byte> buffer;
  std::string decoded;
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (!forms.bytes(leaves[i], decoded)) return ElementError(t, i, forms.bytes_expected);
    AppendBytesElement(buffer, decoded);
  }
  t.Adopt(std::move(buffer));
  return Status::Ok();
}

template <typename T>
void WriteIntegers(const Tensor& t, size_t count, JsonWriter& w) {
  const T* p = t.data_as<T>();
  for (size_t i = 0; i < count; ++i) {
    if constexpr (std::is_signed_v<T>) {
      w.Int64(static_cast<int64_t>(p[i]));
    } else {
      w.Uint64(static_cast<uint64_t>(p[i]));
    }
  }
}

}  // namespace

StatusOr<element> ParseJson(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  element root;
  const auto error = parser.parse(text.data(), text.size()).get(root);
  if (error != simdjson::SUCCESS) {
    return InvalidArgument(std::string("malformed JSON: ") + simdjson::error_message(error));
  }
  return root;
}

Status DecodeJsonTensorData(element data, Tensor& t) {
  INFERD_ASSIGN_OR_RETURN(int64_t count, ElementCount(t.shape()));
  // Reused across requests on this thread; a huge request's capacity is
  // given back so an I/O thread does not keep it.
  thread_local std::vector<element> leaves;
  constexpr size_t kKeptLeaves = 1 << 16;
  if (leaves.capacity() > kKeptLeaves) std::vector<element>().swap(leaves);
  leaves.clear();
  INFERD_RETURN_IF_ERROR(Flatten(data, leaves, 0));
  if (static_cast<int64_t>(leaves.size()) != count) {
    return InvalidArgument("input '" + t.name() + "' has " + std::to_string(leaves.size()) +
                           " elements but shape " + ShapeToString(t.shape()) + " needs " +
                           std::to_string(count));
  }
  return DecodeJsonLeaves(leaves, t);
}

Status DecodeJsonLeaves(const std::vector<element>& leaves, Tensor& t, const JsonLeafForms& forms) {
  switch (t.dtype()) {
    case DataType::kBool: {
      auto* out = reinterpret_cast<uint8_t*>(t.Allocate(leaves.size()));
      for (size_t i = 0; i < leaves.size(); ++i) {
        if (leaves[i].type() != element_type::BOOL) return ElementError(t, i, "true or false");
        out[i] = bool(leaves[i]) ? 1 : 0;
      }
      return Status::Ok();
    }
    case DataType::kUint8:
      return DecodeIntegers<uint8_t>(leaves, t);
    case DataType::kUint16:
      return DecodeIntegers<uint16_t>(leaves, t);
    case DataType::kUint32:
      return DecodeIntegers<uint32_t>(leaves, t);
    case DataType::kUint64:
      return DecodeIntegers<uint64_t>(leaves, t);
    case DataType::kInt8:
      return DecodeIntegers<int8_t>(leaves, t);
    case DataType::kInt16:
      return DecodeIntegers<int16_t>(leaves, t);
    case DataType::kInt32:
      return DecodeIntegers<int32_t>(leaves, t);
    case DataType::kInt64:
      return DecodeIntegers<int64_t>(leaves, t);
    case DataType::kFp16:
      return DecodeFloats<uint16_t>(leaves, t, forms,
                                    [](double d) { return FloatToHalf(static_cast<float>(d)); });
    case DataType::kBf16:
      return DecodeFloats<uint16_t>(leaves, t, forms,
                                    [](double d) { return FloatToBf16(static_cast<float>(d)); });
    case DataType::kFp32:
      return DecodeFloats<float>(leaves, t, forms, [](double d) { return static_cast<float>(d); });
    case DataType::kFp64:
      return DecodeFloats<double>(leaves, t, forms, [](double d) { return d; });
    case DataType::kBytes: {
      if (forms.bytes) return DecodeBytesForm(leaves, t, forms);
      std::vector<std::byte> buffer;
      size_t total = 0;
      for (size_t i = 0; i < leaves.size(); ++i) {
        if (leaves[i].type() != element_type::STRING) return ElementError(t, i, "a string");
        total += 4 + leaves[i].get_string_length().value_unsafe();
      }
      buffer.reserve(total);
      for (const element& leaf : leaves) {
        AppendBytesElement(buffer, std::string_view(leaf.get_string().value_unsafe()));
      }
      t.Adopt(std::move(buffer));
      return Status::Ok();
    }
    case DataType::kInvalid:
      break;
  }
  return InvalidArgument("input '" + t.name() + "' has no valid datatype");
}

void WriteJsonTensorData(const Tensor& given, JsonWriter& w) {
  // Elements are read through typed pointers: a tensor that borrows bytes at
  // an odd offset (a binary body, a shared-memory region) is copied to
  // aligned memory first.
  std::optional<Tensor> aligned;
  const size_t element = given.dtype() == DataType::kBytes ? 1 : DataTypeByteSize(given.dtype());
  if (element > 1 && reinterpret_cast<uintptr_t>(given.data()) % element != 0) {
    aligned.emplace(given.name(), given.dtype(), given.shape());
    std::byte* copy = aligned->Allocate(given.byte_size());
    std::memcpy(copy, given.data(), given.byte_size());
  }
  const Tensor& t = aligned ? *aligned : given;
  const size_t count = [&] {
    auto n = ElementCount(t.shape());
    return n.ok() ? static_cast<size_t>(*n) : 0;
  }();
  w.StartArray();
  switch (t.dtype()) {
    case DataType::kBool: {
      const auto* p = t.data_as<uint8_t>();
      for (size_t i = 0; i < count; ++i) w.Bool(p[i] != 0);
      break;
    }
    case DataType::kUint8:
      WriteIntegers<uint8_t>(t, count, w);
      break;
    case DataType::kUint16:
      WriteIntegers<uint16_t>(t, count, w);
      break;
    case DataType::kUint32:
      WriteIntegers<uint32_t>(t, count, w);
      break;
    case DataType::kUint64:
      WriteIntegers<uint64_t>(t, count, w);
      break;
    case DataType::kInt8:
      WriteIntegers<int8_t>(t, count, w);
      break;
    case DataType::kInt16:
      WriteIntegers<int16_t>(t, count, w);
      break;
    case DataType::kInt32:
      WriteIntegers<int32_t>(t, count, w);
      break;
    case DataType::kInt64:
      WriteIntegers<int64_t>(t, count, w);
      break;
    case DataType::kFp16: {
      const auto* p = t.data_as<uint16_t>();
      for (size_t i = 0; i < count; ++i) w.Double(HalfToFloat(p[i]));
      break;
    }
    case DataType::kBf16: {
      const auto* p = t.data_as<uint16_t>();
      for (size_t i = 0; i < count; ++i) w.Double(Bf16ToFloat(p[i]));
      break;
    }
    case DataType::kFp32: {
      const auto* p = t.data_as<float>();
      for (size_t i = 0; i < count; ++i) w.Double(p[i]);
      break;
    }
    case DataType::kFp64: {
      const auto* p = t.data_as<double>();
      for (size_t i = 0; i < count; ++i) w.Double(p[i]);
      break;
    }
    case DataType::kBytes: {
      auto elements = SplitBytesElements(t.bytes(), static_cast<int64_t>(count));
      if (elements.ok()) {
        for (auto e : *elements) w.String(e.data(), static_cast<rapidjson::SizeType>(e.size()));
      }
      break;
    }
    case DataType::kInvalid:
      break;
  }
  w.EndArray();
}

HttpResponse JsonAnswer(unsigned status, const std::function<void(JsonWriter&)>& write) {
  JsonBuffer buffer;
  JsonWriter w(buffer);
  write(w);
  HttpResponse response;
  response.status = status;
  response.body = buffer.Release();
  return response;
}

}  // namespace inferd::http
