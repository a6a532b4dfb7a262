#include "frontends/http/tabular_elements.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace inferd::http {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr int kMaxCellDepth = 32;

std::string_view JsonKindName(element_type type) {
  switch (type) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a bool";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ParseTextDouble(std::string_view s, double& out) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// An integral double in T's range, converted; false otherwise.
template <typename T>
bool IntegralDouble(double d, T& out) {
  if (!std::isfinite(d) || d != std::floor(d)) return false;
  if constexpr (std::is_signed_v<T>) {
    if (d < -9.2233720368547758e18 || d >= 9.2233720368547758e18) return false;
    const int64_t v = static_cast<int64_t>(d);
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return false;
    out = static_cast<T>(v);
  } else {
    if (d < 0 || d >= 1.8446744073709552e19) return false;
    const uint64_t v = static_cast<uint64_t>(d);
    if (v > std::numeric_limits<T>::max()) return false;
    out = static_cast<T>(v);
  }
  return true;
}

template <typename T>
bool InRange(int64_t v, T& out) {
  if constexpr (std::is_signed_v<T>) {
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return false;
  } else {
    if (v < 0 || static_cast<uint64_t>(v) > std::numeric_limits<T>::max()) return false;
  }
  out = static_cast<T>(v);
  return true;
}

template <typename T>
bool InRangeUnsigned(uint64_t v, T& out) {
  if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
  out = static_cast<T>(v);
  return true;
}

template <typename T>
bool JsonInteger(element e, T& out) {
  switch (e.type()) {
    case element_type::INT64:
      return InRange<T>(int64_t(e), out);
    case element_type::UINT64:
      return InRangeUnsigned<T>(uint64_t(e), out);
    case element_type::DOUBLE:
      return IntegralDouble<T>(double(e), out);
    default:
      return false;
  }
}

template <typename T>
bool TextInteger(std::string_view s, T& out) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  T v{};
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && end == s.data() + s.size()) {
    out = v;
    return true;
  }
  double d = 0;  // "3.0", "1e3": integral values written as floats
  return ParseTextDouble(s, d) && IntegralDouble<T>(d, out);
}

bool TextBool(std::string_view s, uint8_t& out) {
  s = Trim(s);
  auto equals = [s](std::string_view word) {
    if (s.size() != word.size()) return false;
    for (size_t i = 0; i < s.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(s[i])) != word[i]) return false;
    }
    return true;
  };
  if (equals("true") || s == "1") return out = 1, true;
  if (equals("false") || s == "0") return out = 0, true;
  return false;
}

}  // namespace

ElementSink::ElementSink(const TensorSpec& spec) : spec_(spec) {}

void ElementSink::Reserve(size_t elements) {
  const size_t size = DataTypeByteSize(spec_.dtype);
  if (size > 0) buffer_.reserve(elements * size);
}

Status ElementSink::Append(const Cell& cell, const std::string& where) {
  if (cell.is_text) return AppendText(cell.text, where);
  return AppendJson(cell.json, where, 0);
}

template <typename T>
void ElementSink::Put(T value) {
  const size_t at = buffer_.size();
  buffer_.resize(at + sizeof(T));
  std::memcpy(buffer_.data() + at, &value, sizeof(T));
  ++count_;
}

Status ElementSink::Mismatch(const std::string& where, std::string_view got) const {
  std::string expected;
  switch (spec_.dtype) {
    case DataType::kBytes:
      expected = "a string";
      break;
    case DataType::kBool:
      expected = "true or false";
      break;
    case DataType::kFp16:
    case DataType::kBf16:
    case DataType::kFp32:
    case DataType::kFp64:
      expected = "a number";
      break;
    default:
      expected = "an integer in range";
  }
  return InvalidArgument(where + ": input '" + spec_.name + "' (" +
                         std::string(DataTypeName(spec_.dtype)) + ") needs " + expected + ", got " +
                         std::string(got));
}

template <typename T>
Status ElementSink::PutJsonInteger(element e, const std::string& where) {
  T v{};
  if (!JsonInteger<T>(e, v)) return Mismatch(where, JsonKindName(e.type()));
  Put(v);
  return Status::Ok();
}

template <typename T>
Status ElementSink::PutTextInteger(std::string_view s, const std::string& where) {
  T v{};
  if (!TextInteger<T>(s, v)) return Mismatch(where, "'" + std::string(s.substr(0, 40)) + "'");
  Put(v);
  return Status::Ok();
}

void ElementSink::PutDouble(double d) {
  switch (spec_.dtype) {
    case DataType::kFp16:
      Put(FloatToHalf(static_cast<float>(d)));
      break;
    case DataType::kBf16:
      Put(FloatToBf16(static_cast<float>(d)));
      break;
    case DataType::kFp32:
      Put(static_cast<float>(d));
      break;
    default:
      Put(d);
  }
}

Status ElementSink::AppendJson(element e, const std::string& where, int depth) {
  if (e.type() == element_type::ARRAY) {
    if (depth >= kMaxCellDepth) return InvalidArgument(where + ": value is nested too deeply");
    for (element item : simdjson::dom::array(e)) {
      INFERD_RETURN_IF_ERROR(AppendJson(item, where, depth + 1));
    }
    return Status::Ok();
  }
  switch (spec_.dtype) {
    case DataType::kBytes: {
      if (e.type() != element_type::STRING) return Mismatch(where, JsonKindName(e.type()));
      AppendBytesElement(buffer_, std::string_view(e.get_string().value_unsafe()));
      ++count_;
      return Status::Ok();
    }
    case DataType::kBool: {
      uint8_t v = 0;
      if (e.type() == element_type::BOOL) {
        v = bool(e) ? 1 : 0;
      } else if (!JsonInteger<uint8_t>(e, v) || v > 1) {
        return Mismatch(where, JsonKindName(e.type()));
      }
      Put(v);
      return Status::Ok();
    }
    case DataType::kFp16:
    case DataType::kBf16:
    case DataType::kFp32:
    case DataType::kFp64: {
      double d = 0;
      if (e.type() == element_type::BOOL || e.get_double().get(d) != simdjson::SUCCESS) {
        return Mismatch(where, JsonKindName(e.type()));
      }
      PutDouble(d);
      return Status::Ok();
    }
    case DataType::kUint8:
      return PutJsonInteger<uint8_t>(e, where);
    case DataType::kUint16:
      return PutJsonInteger<uint16_t>(e, where);
    case DataType::kUint32:
      return PutJsonInteger<uint32_t>(e, where);
    case DataType::kUint64:
      return PutJsonInteger<uint64_t>(e, where);
    case DataType::kInt8:
      return PutJsonInteger<int8_t>(e, where);
    case DataType::kInt16:
      return PutJsonInteger<int16_t>(e, where);
    case DataType::kInt32:
      return PutJsonInteger<int32_t>(e, where);
    case DataType::kInt64:
      return PutJsonInteger<int64_t>(e, where);
    case DataType::kInvalid:
      break;
  }
  return InvalidArgument("input '" + spec_.name + "' has no valid datatype");
}

Status ElementSink::AppendText(std::string_view s, const std::string& where) {
  switch (spec_.dtype) {
    case DataType::kBytes:
      AppendBytesElement(buffer_, s);
      ++count_;
      return Status::Ok();
    case DataType::kBool: {
      uint8_t v = 0;
      if (!TextBool(s, v)) return Mismatch(where, "'" + std::string(s.substr(0, 40)) + "'");
      Put(v);
      return Status::Ok();
    }
    case DataType::kFp16:
    case DataType::kBf16:
    case DataType::kFp32:
    case DataType::kFp64: {
      double d = 0;
      if (Trim(s).empty()) return Mismatch(where, "an empty field");
      if (!ParseTextDouble(s, d)) return Mismatch(where, "'" + std::string(s.substr(0, 40)) + "'");
      PutDouble(d);
      return Status::Ok();
    }
    case DataType::kUint8:
      return PutTextInteger<uint8_t>(s, where);
    case DataType::kUint16:
      return PutTextInteger<uint16_t>(s, where);
    case DataType::kUint32:
      return PutTextInteger<uint32_t>(s, where);
    case DataType::kUint64:
      return PutTextInteger<uint64_t>(s, where);
    case DataType::kInt8:
      return PutTextInteger<int8_t>(s, where);
    case DataType::kInt16:
      return PutTextInteger<int16_t>(s, where);
    case DataType::kInt32:
      return PutTextInteger<int32_t>(s, where);
    case DataType::kInt64:
      return PutTextInteger<int64_t>(s, where);
    case DataType::kInvalid:
      break;
  }
  return InvalidArgument("input '" + spec_.name + "' has no valid datatype");
}

}  // namespace inferd::http
