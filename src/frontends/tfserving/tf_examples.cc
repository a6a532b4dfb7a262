#include "frontends/tfserving/tf_examples.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace inferd::tfserving {
namespace {

using Kind = FeatureValue::Kind;

bool IsFloating(DataType t) {
  return t == DataType::kFp16 || t == DataType::kFp32 || t == DataType::kFp64 ||
         t == DataType::kBf16;
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kFloat:
      return "float_list";
    case Kind::kInt64:
      return "int64_list";
    case Kind::kBytes:
      return "bytes_list";
  }
  return "";
}

const FeatureValue* Find(const Features& features, std::string_view key) {
  for (const auto& [k, v] : features) {
    if (k == key) return &v;
  }
  return nullptr;
}

Features Merge(const Features& example, const Features& context) {
  Features out = example;
  for (const auto& [k, v] : context) {
    if (Find(example, k) == nullptr) out.emplace_back(k, v);
  }
  return out;
}

template <typename T>
void Put(std::vector<std::byte>& buffer, T value) {
  const size_t at = buffer.size();
  buffer.resize(at + sizeof(T));
  std::memcpy(buffer.data() + at, &value, sizeof(T));
}

template <typename T>
Status PutInts(const FeatureValue& v, std::vector<std::byte>& buffer, const std::string& input) {
  for (int64_t x : v.ints) {
    if (std::cmp_less(x, std::numeric_limits<T>::min()) ||
        std::cmp_greater(x, std::numeric_limits<T>::max())) {
      return InvalidArgument("feature value " + std::to_string(x) + " does not fit input '" +
                             input + "'");
    }
    Put<T>(buffer, static_cast<T>(x));
  }
  return Status::Ok();
}

// Appends a feature's values to `buffer` as elements of `dtype`.
Status AppendValues(const FeatureValue& v, DataType dtype, const std::string& feature,
                    const std::string& input, std::vector<std::byte>& buffer) {
  const bool floating = IsFloating(dtype);
  const bool fits = (floating && v.kind != Kind::kBytes) ||
                    (dtype == DataType::kBytes && v.kind == Kind::kBytes) ||
                    (!floating && dtype != DataType::kBytes && v.kind == Kind::kInt64);
  if (!fits) {
    return InvalidArgument("feature '" + feature + "' is a " + std::string(KindName(v.kind)) +
                           " but input '" + input + "' is " + std::string(DataTypeName(dtype)));
  }
  if (floating) {
    const size_t n = v.size();
    for (size_t i = 0; i < n; ++i) {
      const double x = v.kind == Kind::kFloat ? v.floats[i] : static_cast<double>(v.ints[i]);
      switch (dtype) {
        case DataType::kFp16:
          Put<uint16_t>(buffer, FloatToHalf(static_cast<float>(x)));
          break;
        case DataType::kBf16:
          Put<uint16_t>(buffer, FloatToBf16(static_cast<float>(x)));
          break;
        case DataType::kFp64:
          Put<double>(buffer, x);
          break;
        default:
          Put<float>(buffer, static_cast<float>(x));
      }
    }
    return Status::Ok();
  }
  switch (dtype) {
    case DataType::kBytes:
      for (const std::string& s : v.bytes) AppendBytesElement(buffer, s);
      return Status::Ok();
    case DataType::kBool:
      for (int64_t x : v.ints) {
        if (x != 0 && x != 1) {
          return InvalidArgument("feature '" + feature + "' feeds BOOL input '" + input +
                                 "': its values must be 0 or 1");
        }
        Put<uint8_t>(buffer, static_cast<uint8_t>(x));
      }
      return Status::Ok();
    case DataType::kInt8:
      return PutInts<int8_t>(v, buffer, input);
    case DataType::kInt16:
      return PutInts<int16_t>(v, buffer, input);
    case DataType::kInt32:
      return PutInts<int32_t>(v, buffer, input);
    case DataType::kInt64:
      return PutInts<int64_t>(v, buffer, input);
    case DataType::kUint8:
      return PutInts<uint8_t>(v, buffer, input);
    case DataType::kUint16:
      return PutInts<uint16_t>(v, buffer, input);
    case DataType::kUint32:
      return PutInts<uint32_t>(v, buffer, input);
    case DataType::kUint64:
      return PutInts<uint64_t>(v, buffer, input);
    default:
      return InvalidArgument("input '" + input + "' has no valid datatype");
  }
}

// The dims after the batch dim that `values` fill, for input `spec`.
StatusOr<Shape> InnerShape(const TensorSpec& spec, size_t values, size_t example) {
  Shape inner(spec.shape.begin() + 1, spec.shape.end());
  int64_t known = 1;
  int unknown = -1;
  for (size_t i = 0; i < inner.size(); ++i) {
    if (inner[i] >= 0) {
      known *= inner[i];
    } else if (unknown >= 0) {
      return InvalidArgument("input '" + spec.name + "' has more than one variable dim after " +
                             "the batch dim, so features cannot fill it");
    } else {
      unknown = static_cast<int>(i);
    }
  }
  const auto n = static_cast<int64_t>(values);
  if (unknown >= 0 && known > 0 && n % known == 0) {
    inner[static_cast<size_t>(unknown)] = n / known;
  } else if (unknown >= 0 || n != known) {
    return InvalidArgument("feature '" + spec.name + "' of example " + std::to_string(example) +
                           " has " + std::to_string(n) + " values, which do not fill input '" +
                           spec.name + "' of shape " + ShapeToString(spec.shape));
  }
  return inner;
}

StatusOr<InferRequest> ByName(const std::vector<Features>& examples,
                              const ModelSignature& signature) {
  InferRequest request;
  for (const TensorSpec& spec : signature.inputs) {
    if (spec.shape.empty()) {
      return InvalidArgument("input '" + spec.name + "' has no batch dim, so examples cannot " +
                             "feed it");
    }
    std::vector<std::byte> buffer;
    Shape inner;
    for (size_t i = 0; i < examples.size(); ++i) {
      const FeatureValue* v = Find(examples[i], spec.name);
      if (v == nullptr) {
        return InvalidArgument("example " + std::to_string(i) + " has no feature '" + spec.name +
                               "'");
      }
      INFERD_ASSIGN_OR_RETURN(Shape shape, InnerShape(spec, v->size(), i));
      if (i > 0 && shape != inner) {
        return InvalidArgument("feature '" + spec.name + "' has " + std::to_string(v->size()) +
                               " values in example " + std::to_string(i) +
                               " but a different count in example 0");
      }
      inner = std::move(shape);
      INFERD_RETURN_IF_ERROR(AppendValues(*v, spec.dtype, spec.name, spec.name, buffer));
    }
    Shape shape{static_cast<int64_t>(examples.size())};
    shape.insert(shape.end(), inner.begin(), inner.end());
    Tensor tensor(spec.name, spec.dtype, std::move(shape));
    tensor.Adopt(std::move(buffer));
    request.inputs.push_back(std::move(tensor));
  }
  return request;
}

StatusOr<InferRequest> ByColumn(const std::vector<Features>& examples, const TensorSpec& spec) {
  const Features& first = examples[0];
  size_t width = 0;
  for (const auto& [key, v] : first) width += v.size();
  if (spec.shape.size() == 1 && width != 1) {
    return InvalidArgument("input '" + spec.name + "' has shape " + ShapeToString(spec.shape) +
                           ": give one value per example, or name the feature '" + spec.name + "'");
  }
  std::vector<std::byte> buffer;
  for (size_t i = 0; i < examples.size(); ++i) {
    if (examples[i].size() != first.size()) {
      return InvalidArgument("example " + std::to_string(i) + " has " +
                             std::to_string(examples[i].size()) + " features but example 0 has " +
                             std::to_string(first.size()) + "; every example needs the same ones");
    }
    for (const auto& [key, v0] : first) {
      const FeatureValue* v = Find(examples[i], key);
      if (v == nullptr) {
        return InvalidArgument("example " + std::to_string(i) + " has no feature '" + key +
                               "', which example 0 has");
      }
      if (v->size() != v0.size()) {
        return InvalidArgument("feature '" + key + "' has " + std::to_string(v->size()) +
                               " values in example " + std::to_string(i) + " but " +
                               std::to_string(v0.size()) + " in example 0");
      }
      INFERD_RETURN_IF_ERROR(AppendValues(*v, spec.dtype, key, spec.name, buffer));
    }
  }
  Shape shape{static_cast<int64_t>(examples.size())};
  if (spec.shape.size() == 2) shape.push_back(static_cast<int64_t>(width));
  Tensor tensor(spec.name, spec.dtype, std::move(shape));
  tensor.Adopt(std::move(buffer));
  InferRequest request;
  request.inputs.push_back(std::move(tensor));
  return request;
}

std::string Names(const std::vector<TensorSpec>& specs) {
  std::string out;
  for (const auto& s : specs) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

const Tensor* FindOutput(const InferResponse& response, std::string_view name) {
  for (const Tensor& t : response.outputs) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

float ReadFloat(const Tensor& t, size_t i) {
  switch (t.dtype()) {
    case DataType::kFp16:
      return HalfToFloat(t.data_as<uint16_t>()[i]);
    case DataType::kBf16:
      return Bf16ToFloat(t.data_as<uint16_t>()[i]);
    case DataType::kFp64:
      return static_cast<float>(t.data_as<double>()[i]);
    default:
      return t.data_as<float>()[i];
  }
}

// Splits "x10" into ("x", 10)-like runs for a numeric-aware comparison.
bool NaturalLess(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      size_t ei = i, ej = j;
      while (ei < a.size() && digit(a[ei])) ++ei;
      while (ej < b.size() && digit(b[ej])) ++ej;
      std::string_view na = a.substr(i, ei - i), nb = b.substr(j, ej - j);
      while (na.size() > 1 && na[0] == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb[0] == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ei;
      j = ej;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
  return a < b;  // e.g. "x01" and "x1": any fixed order
}

}  // namespace

size_t FeatureValue::size() const {
  switch (kind) {
    case Kind::kFloat:
      return floats.size();
    case Kind::kInt64:
      return ints.size();
    case Kind::kBytes:
      return bytes.size();
  }
  return 0;
}

void SortFeaturesNaturally(Features& features) {
  std::stable_sort(features.begin(), features.end(),
                   [](const auto& a, const auto& b) { return NaturalLess(a.first, b.first); });
}

StatusOr<InferRequest> ExamplesToRequest(const ExampleSet& set, const ModelSignature& signature) {
  if (set.examples.empty()) return InvalidArgument("the request has no examples");
  std::vector<Features> examples;
  examples.reserve(set.examples.size());
  for (const Features& e : set.examples) examples.push_back(Merge(e, set.context));
  const bool by_name =
      !signature.inputs.empty() &&
      std::all_of(signature.inputs.begin(), signature.inputs.end(),
                  [&](const TensorSpec& s) { return Find(examples[0], s.name) != nullptr; });
  if (by_name) return ByName(examples, signature);
  if (signature.inputs.size() == 1 &&
      (signature.inputs[0].shape.size() == 1 || signature.inputs[0].shape.size() == 2)) {
    return ByColumn(examples, signature.inputs[0]);
  }
  return InvalidArgument("examples feed a model's inputs by name (this model's inputs are: " +
                         Names(signature.inputs) +
                         "), or the columns of a model's single [N, F] input");
}

StatusOr<ClassifyOutput> PickClassifyOutput(const ModelSignature& signature) {
  for (const TensorSpec& o : signature.outputs) {
    if (!o.class_labels.empty()) return ClassifyOutput{o.name, o.class_labels};
  }
  std::vector<const TensorSpec*> found;
  for (const TensorSpec& o : signature.outputs) {
    // [N, 1] is a regression's shape, not one class's score.
    if (IsFloating(o.dtype) && o.shape.size() == 2 && o.shape[1] != 1) found.push_back(&o);
  }
  if (found.size() == 1) return ClassifyOutput{found[0]->name, {}};
  return InvalidArgument(
      found.empty() ? "the model has no class score output: classify needs an output with class "
                      "labels or one floating output of shape [N, C]"
                    : "the model has several floating [N, C] outputs, so classify cannot tell "
                      "which holds the class scores; use predict");
}

StatusOr<std::string> PickRegressOutput(const ModelSignature& signature) {
  std::vector<const TensorSpec*> found;
  for (const TensorSpec& o : signature.outputs) {
    const bool shaped = o.shape.size() == 1 || (o.shape.size() == 2 && o.shape[1] == 1);
    if (IsFloating(o.dtype) && shaped) found.push_back(&o);
  }
  if (found.size() == 1) return found[0]->name;
  return InvalidArgument(found.empty()
                             ? "the model has no regression output: regress needs one floating "
                               "output of shape [N] or [N, 1]"
                             : "the model has several floating [N] or [N, 1] outputs, so regress "
                               "cannot tell which to return; use predict");
}

StatusOr<std::vector<Classes>> ClassificationsFrom(const InferResponse& response,
                                                   const ClassifyOutput& pick, size_t examples) {
  const Tensor* t = FindOutput(response, pick.name);
  if (t == nullptr || t->shape().size() != 2 || t->shape()[0] != static_cast<int64_t>(examples) ||
      !IsFloating(t->dtype())) {
    return Internal("output '" + pick.name + "' is not a [" + std::to_string(examples) +
                    ", C] score tensor");
  }
  const auto classes = static_cast<size_t>(t->shape()[1]);
  if (!pick.labels.empty() && pick.labels.size() != classes) {
    return Internal("output '" + pick.name + "' has " + std::to_string(classes) +
                    " scores per example but " + std::to_string(pick.labels.size()) + " labels");
  }
  std::vector<Classes> out(examples);
  for (size_t i = 0; i < examples; ++i) {
    out[i].reserve(classes);
    for (size_t c = 0; c < classes; ++c) {
      out[i].emplace_back(pick.labels.empty() ? std::to_string(c) : pick.labels[c],
                          ReadFloat(*t, i * classes + c));
    }
  }
  return out;
}

StatusOr<std::vector<float>> RegressionsFrom(const InferResponse& response, size_t examples) {
  if (response.outputs.size() != 1 || !IsFloating(response.outputs[0].dtype())) {
    return Internal("the response does not hold one regression output");
  }
  const Tensor& t = response.outputs[0];
  auto count = ElementCount(t.shape());
  if (!count.ok() || *count != static_cast<int64_t>(examples)) {
    return Internal("output '" + t.name() + "' has shape " + ShapeToString(t.shape()) + ", not " +
                    "one value per example");
  }
  std::vector<float> out(examples);
  for (size_t i = 0; i < examples; ++i) out[i] = ReadFloat(t, i);
  return out;
}

}  // namespace inferd::tfserving
