#include "core/lifecycle/model_warmup.h"

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "core/model_config.h"

namespace inferd {
namespace {

// Fills a numeric tensor with values a model accepts (finite, in [0, 1) for
// floats; small for integers) rather than raw random bytes, which could be NaN.
void FillRandom(Tensor& t, int64_t elements, std::mt19937& rng) {
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::uniform_int_distribution<int> small(0, 100);
  std::byte* out = t.Allocate(static_cast<size_t>(elements) * DataTypeByteSize(t.dtype()));
  for (int64_t i = 0; i < elements; ++i) {
    const float f = unit(rng);
    const int n = small(rng);
    switch (t.dtype()) {
      case DataType::kFp32:
        reinterpret_cast<float*>(out)[i] = f;
        break;
      case DataType::kFp64:
        reinterpret_cast<double*>(out)[i] = f;
        break;
      case DataType::kFp16:
        reinterpret_cast<uint16_t*>(out)[i] = FloatToHalf(f);
        break;
      case DataType::kBf16:
        reinterpret_cast<uint16_t*>(out)[i] = FloatToBf16(f);
        break;
      case DataType::kBool:
        reinterpret_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(n & 1);
        break;
      default: {
        // Integers: the low bytes of a small positive value, whatever the width.
        const size_t width = DataTypeByteSize(t.dtype());
        std::memset(out + i * width, 0, width);
        std::memcpy(out + i * width, &n, 1);
      }
    }
  }
}

StatusOr<Tensor> SampleInput(const std::string& name, DataType dtype, Shape shape,
                             const inference::ModelWarmup::Input& input,
                             const std::filesystem::path& model_dir, std::mt19937& rng) {
  INFERD_ASSIGN_OR_RETURN(int64_t elements, ElementCount(shape));
  Tensor t(name, dtype, shape);
  if (input.has_input_data_file()) {
    const auto file = model_dir / "warmup" / input.input_data_file();
    std::ifstream in(file, std::ios::binary);
    if (!in) return InvalidArgument("cannot read warm-up file " + file.string());
    std::ostringstream data;
    data << in.rdbuf();
    const std::string bytes = data.str();
    if (dtype == DataType::kBytes) {
      INFERD_RETURN_IF_ERROR(
          SplitBytesElements(std::as_bytes(std::span(bytes)), elements).status());
    } else if (bytes.size() < static_cast<size_t>(elements) * DataTypeByteSize(dtype)) {
      return InvalidArgument("warm-up file " + file.string() + " has " +
                             std::to_string(bytes.size()) + " bytes; input '" + name + "' needs " +
                             std::to_string(elements * DataTypeByteSize(dtype)));
    }
    const size_t size = dtype == DataType::kBytes
                            ? bytes.size()
                            : static_cast<size_t>(elements) * DataTypeByteSize(dtype);
    std::memcpy(t.Allocate(size), bytes.data(), size);
    return t;
  }
  if (dtype == DataType::kBytes) {
    std::vector<std::byte> buffer;
    for (int64_t i = 0; i < elements; ++i) {
      AppendBytesElement(buffer, input.random_data() ? std::to_string(rng() % 1000) : "");
    }
    t.Adopt(std::move(buffer));
    return t;
  }
  if (input.random_data()) {
    FillRandom(t, elements, rng);
  } else {
    const size_t size = static_cast<size_t>(elements) * DataTypeByteSize(dtype);
    std::memset(t.Allocate(size), 0, size);
  }
  return t;
}

Status RunSample(const LoadedModel& model, const inference::ModelWarmup& sample,
                 const std::filesystem::path& model_dir) {
  const bool batched = model.config.max_batch_size() > 0;
  if (batched && (sample.batch_size() == 0 ||
                  sample.batch_size() > static_cast<uint32_t>(model.config.max_batch_size()))) {
    return InvalidArgument("batch_size must be between 1 and max_batch_size");
  }
  std::mt19937 rng(0x1f3d);
  std::vector<Tensor> inputs;
  for (size_t served_index : model.input_order) {
    const TensorSpec& spec = model.signature.inputs[served_index];
    auto found = sample.inputs().find(spec.name);
    if (found == sample.inputs().end()) {
      return InvalidArgument("input '" + spec.name + "' has no warm-up data");
    }
    const auto& input = found->second;
    if (FromConfigDataType(input.data_type()) != spec.dtype) {
      return InvalidArgument("input '" + spec.name + "' is " +
                             std::string(DataTypeConfigName(spec.dtype)) + ", not " +
                             inference::DataType_Name(input.data_type()));
    }
    Shape shape;
    if (batched) shape.push_back(sample.batch_size());
    shape.insert(shape.end(), input.dims().begin(), input.dims().end());
    if (!ShapeMatches(spec.shape, shape)) {
      return InvalidArgument("input '" + spec.name + "' shape " + ShapeToString(shape) +
                             " does not match " + ShapeToString(spec.shape));
    }
    INFERD_ASSIGN_OR_RETURN(Tensor t,
                            SampleInput(spec.name, spec.dtype, shape, input, model_dir, rng));
    inputs.push_back(std::move(t));
  }
  std::vector<size_t> outputs(model.backend->signature().outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) outputs[i] = i;
  return model.backend->Execute(inputs, outputs).status();
}

}  // namespace

Status RunConfiguredWarmup(const LoadedModel& model, const std::filesystem::path& model_dir) {
  for (const auto& sample : model.config.model_warmup()) {
    Status status = RunSample(model, sample, model_dir);
    if (!status.ok()) {
      return Status(status.code(),
                    "warm-up sample '" + sample.name() + "' failed: " + status.message());
    }
  }
  return Status::Ok();
}

Status RunDefaultWarmup(const LoadedModel& model) {
  inference::ModelWarmup sample;
  sample.set_name("zeros");
  sample.set_batch_size(model.config.max_batch_size() > 0 ? 1 : 0);
  for (const TensorSpec& spec : model.signature.inputs) {
    inference::ModelWarmup::Input input;
    input.set_data_type(ToConfigDataType(spec.dtype));
    const size_t skip = model.config.max_batch_size() > 0 ? 1 : 0;
    for (size_t d = skip; d < spec.shape.size(); ++d) {
      input.add_dims(spec.shape[d] < 0 ? 1 : spec.shape[d]);
    }
    input.set_zero_data(true);
    (*sample.mutable_inputs())[spec.name] = std::move(input);
  }
  return RunSample(model, sample, {});
}

}  // namespace inferd
