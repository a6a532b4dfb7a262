// libFuzzer target: gzip/deflate request bodies and Accept-Encoding values.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "frontends/http/content_coding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace inferd::http;
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto coding = data[0] % 2 == 0 ? ContentCoding::kGzip : ContentCoding::kDeflate;
  (void)Decode(coding, text, 1 << 20);
  (void)ChooseResponseCoding(text);
  (void)ParseContentEncoding(text);
  return 0;
}
