// libFuzzer target: TF Serving REST bodies. The first byte picks a model
// signature and whether the rest is a :predict or a :classify/:regress body;
// the NaN/Infinity pre-pass runs inside both decoders. Whatever decodes is
// encoded back (predict outputs in both formats, examples as tensors).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "frontends/tfserving/tf_examples.h"
#include "frontends/tfserving/tf_json_nonfinite.h"
#include "frontends/tfserving/tfserving_json.h"

namespace {

using inferd::DataType;
using inferd::ModelSignature;

ModelSignature Signature(uint8_t pick) {
  ModelSignature s;
  switch (pick % 4) {
    case 0:
      s.inputs.push_back({"x", DataType::kFp32, {-1, 2}, {}, ""});
      s.outputs.push_back({"p", DataType::kFp32, {-1, 2}, {"a", "b"}, ""});
      break;
    case 1:
      s.inputs.push_back({"city", DataType::kBytes, {-1, 1}, {}, ""});
      s.inputs.push_back({"x", DataType::kFp16, {-1, -1}, {}, ""});
      s.outputs.push_back({"v", DataType::kFp64, {-1}, {}, ""});
      break;
    case 2:
      // One input per dtype, named by it.
      for (auto [name, type] :
           std::initializer_list<std::pair<const char*, DataType>>{{"b", DataType::kBool},
                                                                   {"u8", DataType::kUint8},
                                                                   {"u16", DataType::kUint16},
                                                                   {"u32", DataType::kUint32},
                                                                   {"u64", DataType::kUint64},
                                                                   {"i8", DataType::kInt8},
                                                                   {"i16", DataType::kInt16},
                                                                   {"i32", DataType::kInt32},
                                                                   {"i64", DataType::kInt64},
                                                                   {"f16", DataType::kFp16},
                                                                   {"bf16", DataType::kBf16},
                                                                   {"f32", DataType::kFp32},
                                                                   {"f64", DataType::kFp64},
                                                                   {"s", DataType::kBytes}}) {
        s.inputs.push_back({name, type, {-1, -1}, {}, ""});
      }
      break;
    default:
      s.inputs.push_back({"s_bytes", DataType::kBytes, {-1}, {}, ""});
      break;
  }
  return s;
}

// Outputs echo the decoded inputs when their bytes are consistent (the core
// only ever passes such tensors on).
inferd::InferResponse Echo(const std::vector<inferd::Tensor>& inputs) {
  inferd::InferResponse response;
  for (const auto& t : inputs) {
    auto count = inferd::ElementCount(t.shape());
    if (!count.ok() || t.dtype() == DataType::kInvalid) continue;
    const bool consistent =
        t.dtype() == DataType::kBytes
            ? inferd::SplitBytesElements(t.bytes(), *count).ok()
            : t.byte_size() == static_cast<uint64_t>(*count) * inferd::DataTypeByteSize(t.dtype());
    if (consistent) response.outputs.push_back(t);
  }
  return response;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const ModelSignature signature = Signature(data[0]);
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  namespace tf = inferd::tfserving;
  if (data[0] & 0x80) {
    auto set = tf::DecodeExamplesRequest(body);
    if (!set.ok()) return 0;
    auto request = tf::ExamplesToRequest(*set, signature);
    if (!request.ok()) return 0;
    auto response = Echo(request->inputs);
    (void)tf::EncodePredictResponse(response, tf::PredictFormat::kColumnar);
    std::vector<float> values(set->examples.size(), 0.5f);
    (void)tf::EncodeRegressResponse(values);
    return 0;
  }
  auto decoded = tf::DecodePredictRequest(body, signature);
  if (!decoded.ok()) return 0;
  auto response = Echo(decoded->request.inputs);
  (void)tf::EncodePredictResponse(response, tf::PredictFormat::kRow);
  (void)tf::EncodePredictResponse(response, tf::PredictFormat::kColumnar);
  return 0;
}
