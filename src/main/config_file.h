// Settings for `inferd serve` from a YAML file (--config inferd.yaml) and from
// INFERD_* environment variables, besides flags. Precedence, highest first:
// flag > environment > file > default.
//
// The file is a mapping of flag names without dashes to values:
//   model-repository: /models     # snake_case keys work too: model_repository
//   http-port: 8000
//   log-verbose: true              # flags take true/false (yes/no, on/off, 1/0)
//   load-model: [resnet, bert]     # sequences for repeatable flags
//   tls:                           # one level of grouping: a key `group` with
//     cert: /etc/inferd/cert.pem   # a mapping sets `group-<key>`, here
//     key: /etc/inferd/key.pem     # tls-cert and tls-key
// Unknown keys, keys given twice (also as aliases or in both spellings),
// lists for single-valued flags and deeper nesting are errors naming the
// file and line.
//
// Each option with a long name reads the environment variable
// INFERD_<FIRST_LONG_NAME_UPPER_SNAKE> (--http-port: INFERD_HTTP_PORT);
// repeatable flags take several values there as "[a,b]". INFERD_CONFIG
// names the file.
//
// Why not CLI11's own config support: CLI11 2.1 (Debian 12) reads a config
// file only for the top-level App, not a subcommand, and lets the file win
// over environment variables. InstallConfigFile instead reads the file from
// the callback of --config, which CLI11 runs after flags and environment
// variables are in and before it checks required options, so the file fills
// only what is still unset.
//
// Ownership: InstallConfigFile installs a YamlConfig as the App's config
// formatter; the App owns it, and it records which options the file set
// (for RenderEffectiveConfig).
// Thread-safety: none; use while parsing the command line, on one thread.
#pragma once

#include <CLI/CLI.hpp>
#include <istream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace inferd {

// One setting read from a config file.
struct ConfigSetting {
  std::string name;                 // flag name without dashes, in dash form ("http-port")
  std::vector<std::string> values;  // one for a scalar, any number for a sequence
  int line = 0;                     // 1-based line of the key
};

// Parses a YAML document into settings, without looking at any App. Syntax
// errors read "<source>:<line>:<column>: <what>"; others
// "<source> line <line>: <what>".
StatusOr<std::vector<ConfigSetting>> ParseConfigYaml(std::string_view text,
                                                     std::string_view source);

// Checks settings against the options of `app` (its own, not its option
// groups'): unknown names (with a suggestion), options that cannot come from
// a file (--config, --help, --print-config), lists for single-valued
// options, and options set twice.
Status ValidateConfigSettings(const CLI::App& app, const std::vector<ConfigSetting>& settings,
                              std::string_view source);

// Parses, validates and applies `text` to the options of `app` that no flag or
// environment variable set, running their callbacks and validators (whose
// errors get the file and line too). Records what it set in the App's
// YamlConfig, when InstallConfigFile installed one.
Status ApplyConfigText(CLI::App& app, std::string_view text, std::string_view source);
// Reads the file at `path` and applies it as above.
Status ApplyConfigFile(CLI::App& app, const std::string& path);

// CLI11's view of the YAML format: CLI::App::config_to_str() writes YAML, and
// from_config() turns YAML into CLI::ConfigItems (names in dash form, groups
// flattened), throwing CLI::ConfigError on bad input.
class YamlConfig : public CLI::Config {
 public:
  std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                        std::string prefix) const override;
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;

  // What ApplyConfigText set: the option's first long name -> line.
  void RecordFromFile(std::string_view source, const std::string& option, int line);
  const std::string& applied_source() const { return applied_source_; }
  const std::map<std::string, int>& applied() const { return applied_; }

 private:
  std::string applied_source_;
  std::map<std::string, int> applied_;
};

// "http-port" -> "INFERD_HTTP_PORT".
std::string EnvNameFor(std::string_view long_name);

// Adds --config FILE (also INFERD_CONFIG) and --print-config to `serve_app`
// and installs a YamlConfig as its config formatter. Once `serve_app` is
// chosen on the command line (its preparse callback, which this takes), every
// option with a long name and no environment variable yet gets its INFERD_*
// variable; unchosen, INFERD_* variables are ignored. Fails if --config or
// --print-config exists already.
Status InstallConfigFile(CLI::App& serve_app);

// True when --print-config was given.
bool PrintConfigRequested(const CLI::App& serve_app);

// The effective configuration as YAML that ParseConfigYaml accepts back: one
// `name: value` line per option (unset ones commented out), each with where
// its value came from as a trailing comment: `# flag`, `# env INFERD_X`,
// `# file <source>:<line>`, `# default`. Options named in
// `secret_option_names` (with or without dashes), and any whose name contains
// "secret" or "password", print as "****" when set.
std::string RenderEffectiveConfig(const CLI::App& app,
                                  const std::vector<std::string>& secret_option_names);

}  // namespace inferd
