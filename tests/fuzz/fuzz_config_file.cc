// libFuzzer target: the YAML config file reader (main/config_file) over
// arbitrary bytes, applied to a small App shaped like `inferd serve`'s. Parse
// and validation errors are expected answers; only crashes and UB are bugs.
// Also checks that what RenderEffectiveConfig prints reads back.
#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "main/config_file.h"

namespace {

struct FuzzOptions {
  std::string repository;
  int http_port = 8000;
  std::string log_format = "text";
  bool log_verbose = false;
  bool warmup = true;
  double poll_secs = 15;
  uint64_t max_body_bytes = 1 << 20;
  std::vector<std::string> load_models;
  std::string tls_cert;
  std::string admin_token;
};

void AddFlags(CLI::App& app, FuzzOptions& o) {
  app.add_option("--model-repository,--model-store", o.repository);
  app.add_option("--http-port", o.http_port)->capture_default_str()->check(CLI::Range(0, 65535));
  app.add_option("--log-format", o.log_format)
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--log-verbose", o.log_verbose);
  app.add_option("--default-warmup", o.warmup)->capture_default_str();
  app.add_option("--repository-poll-secs", o.poll_secs)
      ->capture_default_str()
      ->check(CLI::Range(0.05, 86400.0));
  app.add_option("--max-body-bytes", o.max_body_bytes)
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--load-model", o.load_models);
  app.add_option("--tls-cert", o.tls_cert);
  app.add_option("--admin-token", o.admin_token);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  FuzzOptions options;
  CLI::App app{"fuzz", "inferd"};
  AddFlags(app, options);
  if (!inferd::InstallConfigFile(app).ok()) __builtin_trap();
  if (!inferd::ApplyConfigText(app, text, "fuzz.yaml").ok()) return 0;

  // What the file set must render as YAML that reads back and validates.
  const std::string rendered = inferd::RenderEffectiveConfig(app, {"admin-token"});
  FuzzOptions again;
  CLI::App fresh{"fuzz", "inferd"};
  AddFlags(fresh, again);
  auto settings = inferd::ParseConfigYaml(rendered, "rendered");
  if (!settings.ok() || !inferd::ValidateConfigSettings(fresh, *settings, "rendered").ok()) {
    __builtin_trap();
  }

  // CLI11's formatter interface over the same bytes.
  try {
    std::istringstream in{std::string(text)};
    (void)inferd::YamlConfig().from_config(in);
  } catch (const CLI::Error&) {
  }
  return 0;
}
