#include "frontends/tfserving/tensor_proto_codec.h"

#include <cstring>
#include <limits>
#include <type_traits>

#include "frontends/tfserving/tf_types.h"

namespace inferd::tfserving {
namespace {

std::string Where(const std::string& name) {
  return "input '" + name + "'";
}

Status CountError(const std::string& name, std::string_view field, int64_t have, int64_t count,
                  const Shape& shape) {
  return InvalidArgument(Where(name) + " has " + std::to_string(have) + " " + std::string(field) +
                         " values but shape " + ShapeToString(shape) + " needs " +
                         std::to_string(count) + " (or one value to broadcast)");
}

// Copies (or broadcasts) typed values into `t`, range-checking each value
// against the element type `To`.
template <typename To, typename Field>
Status CopyTyped(const Field& values, std::string_view field, int64_t count, Tensor& t) {
  const int64_t have = values.size();
  const bool broadcast = have == 1 && count > 1;
  if (have != count && !broadcast) return CountError(t.name(), field, have, count, t.shape());
  if (static_cast<uint64_t>(count) * sizeof(To) > kMaxBroadcastBytes && broadcast) {
    return InvalidArgument(Where(t.name()) + " broadcasts one value to shape " +
                           ShapeToString(t.shape()) + ", which is too large");
  }
  To* out = reinterpret_cast<To*>(t.Allocate(static_cast<size_t>(count) * sizeof(To)));
  for (int64_t i = 0; i < have && i < count; ++i) {
    const auto v = values[static_cast<int>(i)];
    using From = std::remove_cv_t<decltype(v)>;
    if constexpr (std::is_integral_v<To> && std::is_integral_v<From> &&
                  !std::is_same_v<From, bool>) {
      if (std::cmp_less(v, std::numeric_limits<To>::min()) ||
          std::cmp_greater(v, std::numeric_limits<To>::max())) {
        return InvalidArgument(Where(t.name()) + " value " + std::to_string(v) + " in " +
                               std::string(field) + " does not fit " +
                               std::string(TfDataTypeName(t.dtype())));
      }
    }
    out[i] = static_cast<To>(v);
  }
  for (int64_t i = 1; broadcast && i < count; ++i) out[i] = out[0];
  return Status::Ok();
}

Status DecodeStrings(const tensorflow::TensorProto& proto, int64_t count, Tensor& t) {
  const int64_t have = proto.string_val_size();
  const bool broadcast = have == 1 && count > 1;
  if (have != count && !broadcast)
    return CountError(t.name(), "string_val", have, count, t.shape());
  if (broadcast &&
      static_cast<uint64_t>(count) * (4 + proto.string_val(0).size()) > kMaxBroadcastBytes) {
    return InvalidArgument(Where(t.name()) + " broadcasts one string to shape " +
                           ShapeToString(t.shape()) + ", which is too large");
  }
  std::vector<std::byte> buffer;
  for (int64_t i = 0; i < count; ++i) {
    AppendBytesElement(buffer, proto.string_val(broadcast ? 0 : static_cast<int>(i)));
  }
  t.Adopt(std::move(buffer));
  return Status::Ok();
}

Status DecodeTyped(const tensorflow::TensorProto& p, int64_t count, Tensor& t) {
  switch (t.dtype()) {
    case DataType::kFp32:
      return CopyTyped<float>(p.float_val(), "float_val", count, t);
    case DataType::kFp64:
      return CopyTyped<double>(p.double_val(), "double_val", count, t);
    case DataType::kInt32:
      return CopyTyped<int32_t>(p.int_val(), "int_val", count, t);
    case DataType::kInt16:
      return CopyTyped<int16_t>(p.int_val(), "int_val", count, t);
    case DataType::kInt8:
      return CopyTyped<int8_t>(p.int_val(), "int_val", count, t);
    case DataType::kUint8:
      return CopyTyped<uint8_t>(p.int_val(), "int_val", count, t);
    case DataType::kUint16:
      return CopyTyped<uint16_t>(p.int_val(), "int_val", count, t);
    case DataType::kInt64:
      return CopyTyped<int64_t>(p.int64_val(), "int64_val", count, t);
    case DataType::kUint32:
      return CopyTyped<uint32_t>(p.uint32_val(), "uint32_val", count, t);
    case DataType::kUint64:
      return CopyTyped<uint64_t>(p.uint64_val(), "uint64_val", count, t);
    case DataType::kBool:
      return CopyTyped<uint8_t>(p.bool_val(), "bool_val", count, t);
    case DataType::kFp16:
    case DataType::kBf16:
      // half_val holds the 16 bits of each value in an int32.
      return CopyTyped<uint16_t>(p.half_val(), "half_val", count, t);
    case DataType::kBytes:
      return DecodeStrings(p, count, t);
    case DataType::kInvalid:
      break;
  }
  return InvalidArgument(Where(t.name()) + " has no valid dtype");
}

}  // namespace

StatusOr<Tensor> DecodeTensorProto(const std::string& name, const tensorflow::TensorProto& proto,
                                   std::shared_ptr<const void> owner) {
  const DataType dtype = FromTfDataTypeNumber(proto.dtype());
  if (dtype == DataType::kInvalid) {
    const std::string_view tf_name = TfDataTypeNumberName(proto.dtype());
    return InvalidArgument(
        Where(name) + " has dtype " +
        (tf_name.empty() ? std::to_string(proto.dtype()) : std::string(tf_name)) +
        ", which inferd does not serve");
  }
  if (proto.tensor_shape().unknown_rank()) {
    return InvalidArgument(Where(name) + " has an unknown rank; give its shape");
  }
  Shape shape;
  for (const auto& dim : proto.tensor_shape().dim()) {
    if (dim.size() < 0) {
      return InvalidArgument(Where(name) + " has a negative dim " + std::to_string(dim.size()));
    }
    shape.push_back(dim.size());
  }
  auto count = ElementCount(shape);
  if (!count.ok()) return InvalidArgument(Where(name) + ": " + count.status().message());
  Tensor tensor(name, dtype, std::move(shape));
  const std::string& content = proto.tensor_content();
  if (content.empty() || dtype == DataType::kBytes) {
    // An empty tensor_content means the values are in the typed fields.
    if (!content.empty()) {
      return InvalidArgument(Where(name) + " is DT_STRING, whose values go in string_val, " +
                             "not tensor_content");
    }
    INFERD_RETURN_IF_ERROR(DecodeTyped(proto, *count, tensor));
    return tensor;
  }
  const uint64_t expected = static_cast<uint64_t>(*count) * DataTypeByteSize(dtype);
  if (content.size() != expected) {
    return InvalidArgument(Where(name) + " has " + std::to_string(content.size()) +
                           " bytes of tensor_content but shape " + ShapeToString(tensor.shape()) +
                           " of " + std::string(TfDataTypeName(dtype)) + " needs " +
                           std::to_string(expected));
  }
  tensor.Borrow(std::span(reinterpret_cast<const std::byte*>(content.data()), content.size()),
                std::move(owner));
  return tensor;
}

namespace {

// Appends every element of `tensor`, read as `From`, to the repeated field.
template <typename From, typename Field>
void AppendTyped(const Tensor& tensor, Field* field) {
  const size_t n = tensor.byte_size() / sizeof(From);
  field->Reserve(static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) {
    From v;
    std::memcpy(&v, tensor.data() + i * sizeof(From), sizeof(From));
    field->Add(v);
  }
}

// The fields TensorFlow's Tensor::AsProtoField fills for each type: small
// integers widen into int_val, fp16 and bf16 keep their bits in half_val.
void EncodeTyped(const Tensor& t, tensorflow::TensorProto& out) {
  switch (t.dtype()) {
    case DataType::kFp32:
      return AppendTyped<float>(t, out.mutable_float_val());
    case DataType::kFp64:
      return AppendTyped<double>(t, out.mutable_double_val());
    case DataType::kInt8:
      return AppendTyped<int8_t>(t, out.mutable_int_val());
    case DataType::kInt16:
      return AppendTyped<int16_t>(t, out.mutable_int_val());
    case DataType::kInt32:
      return AppendTyped<int32_t>(t, out.mutable_int_val());
    case DataType::kUint8:
      return AppendTyped<uint8_t>(t, out.mutable_int_val());
    case DataType::kUint16:
      return AppendTyped<uint16_t>(t, out.mutable_int_val());
    case DataType::kInt64:
      return AppendTyped<int64_t>(t, out.mutable_int64_val());
    case DataType::kUint32:
      return AppendTyped<uint32_t>(t, out.mutable_uint32_val());
    case DataType::kUint64:
      return AppendTyped<uint64_t>(t, out.mutable_uint64_val());
    case DataType::kBool:
      return AppendTyped<uint8_t>(t, out.mutable_bool_val());  // one byte, 0 or not
    case DataType::kFp16:
    case DataType::kBf16:
      return AppendTyped<uint16_t>(t, out.mutable_half_val());
    default:
      out.set_tensor_content(reinterpret_cast<const char*>(t.data()), t.byte_size());
  }
}

}  // namespace

void EncodeTensorProto(const Tensor& tensor, tensorflow::TensorProto& out,
                       TensorEncoding encoding) {
  out.set_dtype(static_cast<tensorflow::DataType>(TfDataTypeNumber(tensor.dtype())));
  auto* shape = out.mutable_tensor_shape();
  for (int64_t d : tensor.shape()) shape->add_dim()->set_size(d);
  if (tensor.dtype() != DataType::kBytes) {
    if (encoding == TensorEncoding::kTypedFields) return EncodeTyped(tensor, out);
    out.set_tensor_content(reinterpret_cast<const char*>(tensor.data()), tensor.byte_size());
    return;
  }
  auto count = ElementCount(tensor.shape());
  if (!count.ok()) return;
  auto elements = SplitBytesElements(tensor.bytes(), *count);
  if (!elements.ok()) return;
  for (std::string_view e : *elements) out.add_string_val(e.data(), e.size());
}

}  // namespace inferd::tfserving
