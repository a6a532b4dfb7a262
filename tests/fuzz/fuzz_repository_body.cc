// libFuzzer target: the bodies of the repository API (index, load with a
// config override, label) and the config-override JSON parser behind load.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/model_config.h"
#include "frontends/kserve/kserve_repository_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  auto parsed = inferd::kserve::ParseOptionalObject(body);
  if (!parsed.ok() || !parsed->has_value()) return 0;
  (void)inferd::kserve::LabelVersion(**parsed);
  auto config = inferd::kserve::LoadConfigOverride(**parsed);
  if (config.ok() && config->has_value()) (void)inferd::ParseModelConfigJson(**config);
  // The body itself as a config override, as the CLI sends a JSON file.
  (void)inferd::ParseModelConfigJson(body);
  return 0;
}
