// libFuzzer target: the registry's request arguments (a JSON body, or a query
// string), its search filters, and the ONNX check uploads pass through.
// The first byte picks how the rest is read.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/registry/model_registry.h"
#include "frontends/http/query_params.h"
#include "frontends/registry/registry_args.h"
#include "frontends/registry/registry_filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  inferd::http::HttpRequest request;
  if (data[0] & 1) {
    *request.body = text;
  } else {
    request.query = text;
  }
  auto args = inferd::registry::RegistryArgs::Parse(request);
  if (args.ok()) {
    (void)args->Required("name");
    (void)args->Optional("description");
    (void)args->Version();
    (void)args->Bool("archive_existing_versions", false);
    (void)args->Number("value");
    (void)args->Tags();
    (void)args->Metrics();
    (void)args->Strings("stages");
    auto filter = args->Optional("filter");
    if (filter.ok()) {
      auto parsed = inferd::registry::ParseRegistryFilter(*filter);
      if (parsed.ok()) (void)parsed->Matches(text, {{text, text}});
    }
  }
  (void)inferd::registry::ParseRegistryFilter(text);
  (void)inferd::http::QueryParams(text, "stages");
  (void)inferd::ModelRegistry::CanonicalStage(text);
  (void)inferd::ModelRegistry::CheckOnnxFile(text);
  return 0;
}
