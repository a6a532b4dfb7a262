// libFuzzer target: TF Serving gRPC tensors. The input is a serialized
// tensorflow.serving.PredictRequest (whose inputs are TensorProtos, the
// untrusted part of Predict); each input is decoded and, when it decodes,
// encoded back and decoded again, which must give the same bytes.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "frontends/tfserving/tensor_proto_codec.h"
#include "tf_serving_apis.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Invalid UTF-8 in string fields is rejected with a log line per message.
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  tensorflow::serving::PredictRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  for (const auto& [name, proto] : request.inputs()) {
    auto tensor = inferd::tfserving::DecodeTensorProto(name, proto, nullptr);
    if (!tensor.ok()) continue;
    tensorflow::TensorProto encoded;
    inferd::tfserving::EncodeTensorProto(*tensor, encoded);
    auto again = inferd::tfserving::DecodeTensorProto(name, encoded, nullptr);
    if (!again.ok() || again->byte_size() != tensor->byte_size() ||
        again->shape() != tensor->shape() ||
        (tensor->byte_size() > 0 &&
         std::memcmp(again->data(), tensor->data(), tensor->byte_size()) != 0)) {
      std::abort();  // encode and decode must round-trip
    }
  }
  return 0;
}
