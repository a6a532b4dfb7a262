// libFuzzer target: the KServe v2 HTTP infer body decoder (JSON, binary
// extension, shared-memory parameters against a registered region) and, for
// whatever decodes, shared-memory output writes and the response encoder.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "frontends/kserve/kserve_infer_codec.h"

namespace {

// One 4 KiB region "r" (and "half", its second half), registered once.
inferd::SharedMemoryRegions& Regions() {
  static inferd::SharedMemoryRegions* regions = [] {
    auto* r = new inferd::SharedMemoryRegions(true);
    const std::string key = "/inferd-fuzz-" + std::to_string(::getpid());
    const int fd = ::shm_open(key.c_str(), O_CREAT | O_RDWR, 0600);
    if (fd >= 0 && ::ftruncate(fd, 4096) == 0) {
      (void)r->Register("r", key, 0, 4096, true);
      (void)r->Register("half", key, 2048, 2048, true);
    }
    if (fd >= 0) ::close(fd);
    ::shm_unlink(key.c_str());  // the mappings keep it
    return r;
  }();
  return *regions;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the Inference-Header-Content-Length (or none).
  const int64_t header = (int64_t{data[0]} << 8 | data[1]) - 1;
  auto body = std::make_shared<std::string>(reinterpret_cast<const char*>(data + 2), size - 2);
  auto decoded = inferd::kserve::DecodeInferRequest(body, header, &Regions());
  if (!decoded.ok()) return 0;
  inferd::InferResponse response;
  response.model_name = "m";
  response.model_version = 1;
  for (auto& t : decoded->request.inputs) {
    auto count = inferd::ElementCount(t.shape());
    if (!count.ok()) continue;
    const bool consistent =
        t.dtype() == inferd::DataType::kBytes
            ? inferd::SplitBytesElements(t.bytes(), *count).ok()
            : t.byte_size() == static_cast<uint64_t>(*count) * inferd::DataTypeByteSize(t.dtype());
    if (consistent) response.outputs.push_back(t);  // the core only passes these on
  }
  (void)inferd::kserve::WriteOutputsToSharedMemory(&Regions(), decoded->options.shared_memory,
                                                   response);
  inferd::kserve::EncodeInferResponse(response, decoded->options);
  decoded->options.binary_by_default = !decoded->options.binary_by_default;
  inferd::kserve::EncodeInferResponse(response, decoded->options);
  return 0;
}
