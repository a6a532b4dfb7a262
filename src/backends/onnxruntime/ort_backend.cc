#include "backends/onnxruntime/ort_backend.h"

#include <onnxruntime_cxx_api.h>

#include <cstring>
#include <map>
#include <mutex>

#include "backends/onnxruntime/onnx_graph_reader.h"
#include "backends/onnxruntime/ort_engine_limits.h"
#include "backends/onnxruntime/ort_env.h"
#include "backends/onnxruntime/ort_types.h"
#include "observability/log.h"

namespace inferd {
namespace {

Status FromOrtException(const Ort::Exception& e, const std::string& context) {
  std::string message = context + e.what();
  switch (e.GetOrtErrorCode()) {
    case ORT_INVALID_ARGUMENT:
    case ORT_INVALID_PROTOBUF:
    case ORT_INVALID_GRAPH:
    case ORT_NO_MODEL:
      return InvalidArgument(std::move(message));
    case ORT_NO_SUCHFILE:
      return NotFound(std::move(message));
    case ORT_NOT_IMPLEMENTED:
      return Unsupported(std::move(message));
    default:
      return Internal(std::move(message));
  }
}

std::string FirstDimSymbol(const Ort::ConstTensorTypeAndShapeInfo& info) {
  const size_t rank = info.GetDimensionsCount();
  if (rank == 0) return "";
  std::vector<const char*> symbols(rank, nullptr);
  info.GetSymbolicDimensions(symbols.data(), rank);
  return symbols[0] == nullptr ? "" : symbols[0];
}

// How one engine output becomes a Tensor.
struct OutputPlan {
  bool zipmap = false;
  bool int64_keys = true;
  std::map<int64_t, size_t> int_columns;
  std::map<std::string, size_t, std::less<>> string_columns;
  size_t classes = 0;
};

class OrtBackend : public Backend {
 public:
  static StatusOr<std::unique_ptr<Backend>> Load(const std::filesystem::path& file,
                                                 const BackendOptions& options);

  const ModelSignature& signature() const override { return signature_; }

  StatusOr<std::vector<Tensor>> Execute(std::span<const Tensor> inputs,
                                        std::span<const size_t> outputs) override;

 private:
  Status ReadSignature();
  StatusOr<Tensor> ConvertOutput(size_t index, Ort::Value value) const;
  static Tensor ConvertZipMap(const std::string& name, const OutputPlan& plan,
                              const Ort::Value& seq);

  Ort::Session session_{nullptr};
  ort::OnnxFileFacts facts_;
  ModelSignature signature_;
  std::vector<std::string> input_names_;
  std::vector<std::string> output_names_;
  std::vector<const char*> input_name_ptrs_;
  std::vector<OutputPlan> plans_;
};

static GraphOptimizationLevel ToOrtLevel(GraphOptimization level) {
  switch (level) {
    case GraphOptimization::kDisabled:
      return GraphOptimizationLevel::ORT_DISABLE_ALL;
    case GraphOptimization::kBasic:
      return GraphOptimizationLevel::ORT_ENABLE_BASIC;
    case GraphOptimization::kExtended:
      return GraphOptimizationLevel::ORT_ENABLE_EXTENDED;
    case GraphOptimization::kAll:
      break;
  }
  return GraphOptimizationLevel::ORT_ENABLE_ALL;
}

StatusOr<std::unique_ptr<Backend>> OrtBackend::Load(const std::filesystem::path& file,
                                                    const BackendOptions& options) {
  auto backend = std::make_unique<OrtBackend>();
  // The file's own facts first: a model too new for this engine is refused
  // with both versions and the fix, before its weights are read.
  INFERD_ASSIGN_OR_RETURN(backend->facts_, ort::ReadOnnxFacts(file));
  INFERD_RETURN_IF_ERROR(ort::CheckEngineCanRead(backend->facts_, file));
  try {
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(options.intra_op_threads);
    so.SetInterOpNumThreads(options.inter_op_threads);
    so.SetExecutionMode(options.parallel_execution ? ORT_PARALLEL : ORT_SEQUENTIAL);
    so.SetGraphOptimizationLevel(ToOrtLevel(options.graph_optimization));
    if (!options.enable_mem_arena) so.DisableCpuMemArena();
    if (!options.enable_mem_pattern) so.DisableMemPattern();
    // A server shares its cores between requests: spinning threads would steal
    // them from the other instances, so spinning is off unless asked for.
    const char* spin = options.allow_spinning ? "1" : "0";
    so.AddConfigEntry("session.intra_op.allow_spinning", spin);
    so.AddConfigEntry("session.inter_op.allow_spinning", spin);
    backend->session_ = Ort::Session(ort::Env(), file.c_str(), so);
  } catch (const Ort::Exception& e) {
    return FromOrtException(e, "ONNX Runtime cannot load " + file.string() + ": ");
  }
  INFERD_RETURN_IF_ERROR(backend->ReadSignature());
  backend->facts_.nodes.clear();  // only needed to find labels
  return std::unique_ptr<Backend>(std::move(backend));
}

Status OrtBackend::ReadSignature() {
  Ort::AllocatorWithDefaultOptions allocator;
  const auto zipmap_labels = facts_.ZipMapLabels();
  try {
    for (size_t i = 0; i < session_.GetInputCount(); ++i) {
      std::string name = session_.GetInputNameAllocated(i, allocator).get();
      Ort::TypeInfo info = session_.GetInputTypeInfo(i);
      if (info.GetONNXType() != ONNX_TYPE_TENSOR) {
        return Unsupported("input '" + name + "' is not a tensor; only tensor inputs are served");
      }
      auto tensor = info.GetTensorTypeAndShapeInfo();
      const DataType dtype = ort::FromOrtType(tensor.GetElementType());
      if (dtype == DataType::kInvalid) {
        return Unsupported("input '" + name + "' has an element type inferd does not serve");
      }
      signature_.inputs.push_back({name, dtype, tensor.GetShape(), {}, FirstDimSymbol(tensor)});
      input_names_.push_back(std::move(name));
    }
    for (size_t i = 0; i < session_.GetOutputCount(); ++i) {
      std::string name = session_.GetOutputNameAllocated(i, allocator).get();
      Ort::TypeInfo info = session_.GetOutputTypeInfo(i);
      OutputPlan plan;
      TensorSpec spec{name, DataType::kInvalid, {}, {}, {}};
      if (info.GetONNXType() == ONNX_TYPE_TENSOR) {
        auto tensor = info.GetTensorTypeAndShapeInfo();
        spec.dtype = ort::FromOrtType(tensor.GetElementType());
        spec.shape = tensor.GetShape();
        spec.first_dim_symbol = FirstDimSymbol(tensor);
        // Scores of a classifier converted without ZipMap: the labels come
        // from the classifier node, as a ZipMap's would.
        if ((spec.dtype == DataType::kFp32 || spec.dtype == DataType::kFp64) &&
            spec.shape.size() == 2) {
          spec.class_labels = facts_.ScoreLabels(name, spec.shape[1]);
        }
      } else if (info.GetONNXType() == ONNX_TYPE_SEQUENCE) {
        Ort::TypeInfo element = info.GetSequenceTypeInfo().GetSequenceElementType();
        if (element.GetONNXType() != ONNX_TYPE_MAP) {
          return Unsupported("output '" + name + "' is a sequence of non-maps; not served");
        }
        auto map = element.GetMapTypeInfo();
        const auto key = map.GetMapKeyType();
        Ort::TypeInfo value = map.GetMapValueType();
        if ((key != ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 &&
             key != ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING) ||
            value.GetONNXType() != ONNX_TYPE_TENSOR ||
            value.GetTensorTypeAndShapeInfo().GetElementType() !=
                ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
          return Unsupported("output '" + name +
                             "' is a sequence of maps other than "
                             "map(int64|string, float); not served");
        }
        auto labels = zipmap_labels.find(name);
        if (labels == zipmap_labels.end() || labels->second.empty()) {
          return Unsupported("output '" + name +
                             "' is a sequence of maps not made by a ZipMap "
                             "node with class labels; not served");
        }
        plan.zipmap = true;
        plan.int64_keys = key == ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64;
        plan.classes = labels->second.size();
        for (size_t c = 0; c < plan.classes; ++c) {
          if (plan.int64_keys) {
            plan.int_columns[std::stoll(labels->second[c])] = c;
          } else {
            plan.string_columns[labels->second[c]] = c;
          }
        }
        spec.dtype = DataType::kFp32;
        spec.shape = {-1, static_cast<int64_t>(plan.classes)};
        spec.class_labels = labels->second;
      }
      if (spec.dtype == DataType::kInvalid) {
        return Unsupported("output '" + name + "' has a type inferd does not serve");
      }
      signature_.outputs.push_back(std::move(spec));
      plans_.push_back(std::move(plan));
      output_names_.push_back(std::move(name));
    }
  } catch (const Ort::Exception& e) {
    return FromOrtException(e, "cannot read the model's inputs and outputs: ");
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("cannot read the model's class labels: ") + e.what());
  }
  for (const auto& name : input_names_) input_name_ptrs_.push_back(name.c_str());
  return Status::Ok();
}

Tensor OrtBackend::ConvertZipMap(const std::string& name, const OutputPlan& plan,
                                 const Ort::Value& seq) {
  Ort::AllocatorWithDefaultOptions allocator;
  const size_t rows = seq.GetCount();
  Tensor out(name, DataType::kFp32,
             {static_cast<int64_t>(rows), static_cast<int64_t>(plan.classes)});
  auto* dense = reinterpret_cast<float*>(out.Allocate(rows * plan.classes * sizeof(float)));
  std::fill(dense, dense + rows * plan.classes, 0.0f);
  std::vector<char> key_chars;
  std::vector<size_t> key_offsets;
  for (size_t r = 0; r < rows; ++r) {
    Ort::Value map = seq.GetValue(static_cast<int>(r), allocator);
    Ort::Value keys = map.GetValue(0, allocator);
    Ort::Value values = map.GetValue(1, allocator);
    const size_t n = values.GetTensorTypeAndShapeInfo().GetElementCount();
    const float* v = values.GetTensorData<float>();
    float* row = dense + r * plan.classes;
    if (plan.int64_keys) {
      const int64_t* k = keys.GetTensorData<int64_t>();
      for (size_t i = 0; i < n; ++i) {
        auto col = plan.int_columns.find(k[i]);
        if (col != plan.int_columns.end()) row[col->second] = v[i];
      }
    } else {
      const size_t bytes = keys.GetStringTensorDataLength();
      key_chars.resize(bytes + 1);
      key_offsets.resize(n);
      keys.GetStringTensorContent(key_chars.data(), bytes, key_offsets.data(), n);
      for (size_t i = 0; i < n; ++i) {
        const size_t end = i + 1 < n ? key_offsets[i + 1] : bytes;
        const std::string_view key(key_chars.data() + key_offsets[i], end - key_offsets[i]);
        auto col = plan.string_columns.find(key);
        if (col != plan.string_columns.end()) row[col->second] = v[i];
      }
    }
  }
  return out;
}

StatusOr<Tensor> OrtBackend::ConvertOutput(size_t index, Ort::Value value) const {
  const std::string& name = output_names_[index];
  const OutputPlan& plan = plans_[index];
  if (plan.zipmap) return ConvertZipMap(name, plan, value);
  auto info = value.GetTensorTypeAndShapeInfo();
  const DataType dtype = ort::FromOrtType(info.GetElementType());
  Tensor out(name, dtype, info.GetShape());
  const size_t count = info.GetElementCount();
  if (dtype == DataType::kBytes) {
    const size_t bytes = value.GetStringTensorDataLength();
    std::vector<char> chars(bytes + 1);
    std::vector<size_t> offsets(count + 1);
    if (count > 0) value.GetStringTensorContent(chars.data(), bytes, offsets.data(), count);
    std::vector<std::byte> serialized;
    serialized.reserve(bytes + 4 * count);
    for (size_t i = 0; i < count; ++i) {
      const size_t end = i + 1 < count ? offsets[i + 1] : bytes;
      AppendBytesElement(serialized, std::string_view(chars.data() + offsets[i], end - offsets[i]));
    }
    out.Adopt(std::move(serialized));
    return out;
  }
  // Hand the engine's buffer over without copying; the Ort::Value owns it.
  auto owner = std::make_shared<Ort::Value>(std::move(value));
  const auto* data = static_cast<const std::byte*>(owner->GetTensorRawData());
  out.Borrow(std::span(data, count * DataTypeByteSize(dtype)), owner);
  return out;
}

StatusOr<std::vector<Tensor>> OrtBackend::Execute(std::span<const Tensor> inputs,
                                                  std::span<const size_t> outputs) {
  try {
    static const Ort::MemoryInfo kCpu =
        Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
    Ort::AllocatorWithDefaultOptions allocator;
    std::vector<Ort::Value> values;
    values.reserve(inputs.size());
    std::vector<std::unique_ptr<std::byte[]>> aligned_copies;
    static std::byte empty_placeholder[8];
    for (const Tensor& t : inputs) {
      const Shape& shape = t.shape();
      if (t.dtype() == DataType::kBytes) {
        INFERD_ASSIGN_OR_RETURN(int64_t count, ElementCount(shape));
        INFERD_ASSIGN_OR_RETURN(auto elements, SplitBytesElements(t.bytes(), count));
        Ort::Value v = Ort::Value::CreateTensor(allocator, shape.data(), shape.size(),
                                                ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING);
        for (size_t i = 0; i < elements.size(); ++i) {
          char* buffer = v.GetResizedStringTensorElementBuffer(i, elements[i].size());
          if (!elements[i].empty()) std::memcpy(buffer, elements[i].data(), elements[i].size());
        }
        values.push_back(std::move(v));
        continue;
      }
      const size_t element = DataTypeByteSize(t.dtype());
      std::byte* data = const_cast<std::byte*>(t.data());
      if (t.byte_size() == 0) {
        data = empty_placeholder;
      } else if (reinterpret_cast<uintptr_t>(data) % element != 0) {
        // Binary inputs sit at arbitrary offsets in the body; kernels expect
        // naturally aligned elements, so copy the rare misaligned one.
        aligned_copies.emplace_back(new std::byte[t.byte_size()]);
        std::memcpy(aligned_copies.back().get(), data, t.byte_size());
        data = aligned_copies.back().get();
      }
      values.push_back(Ort::Value::CreateTensor(kCpu, data, t.byte_size(), shape.data(),
                                                shape.size(), ort::ToOrtType(t.dtype())));
    }
    std::vector<const char*> names;
    names.reserve(outputs.size());
    for (size_t index : outputs) names.push_back(output_names_[index].c_str());
    auto results = session_.Run(Ort::RunOptions{nullptr}, input_name_ptrs_.data(), values.data(),
                                values.size(), names.data(), names.size());
    std::vector<Tensor> tensors;
    tensors.reserve(results.size());
    for (size_t i = 0; i < results.size(); ++i) {
      INFERD_ASSIGN_OR_RETURN(Tensor t, ConvertOutput(outputs[i], std::move(results[i])));
      tensors.push_back(std::move(t));
    }
    return tensors;
  } catch (const Ort::Exception& e) {
    return FromOrtException(e, "inference failed: ");
  }
}

class OrtBackendFactory : public BackendFactory {
 public:
  StatusOr<std::unique_ptr<Backend>> Load(const std::filesystem::path& model_file,
                                          const BackendOptions& options) override {
    return OrtBackend::Load(model_file, options);
  }
};

}  // namespace

std::unique_ptr<BackendFactory> MakeOrtBackendFactory() {
  ort::Env();
  return std::make_unique<OrtBackendFactory>();
}

std::string OrtVersion() {
  return Ort::GetVersionString();
}

}  // namespace inferd
