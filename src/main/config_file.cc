#include "main/config_file.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>
#include <type_traits>

namespace inferd {
namespace {

// A config file is a screenful of settings; anything far larger is a mistake.
constexpr size_t kMaxConfigBytes = 1 << 20;
// Suggestions compare names with an O(n*m) edit distance: skip absurd keys.
constexpr size_t kMaxSuggestKeyLength = 64;

std::string Where(std::string_view source, int line) {
  return std::string(source) + " line " + std::to_string(line) + ": ";
}

int LineOf(const YAML::Mark& mark) {
  return mark.line >= 0 ? mark.line + 1 : 0;
}

// snake_case keys name the same flags as dash-case ones.
std::string NormalizeName(std::string_view name) {
  while (!name.empty() && name.front() == '-') name.remove_prefix(1);
  std::string out(name);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

bool IsFileSettable(const CLI::App& app, const CLI::Option* opt) {
  return opt != app.get_help_ptr() && opt != app.get_help_all_ptr() && opt->get_configurable() &&
         !opt->get_lnames().empty();
}

template <typename AppT>
auto FindByLongName(AppT& app, std::string_view name)
    -> std::remove_reference_t<decltype(app.get_options().front())> {
  for (auto* opt : app.get_options()) {
    const auto& names = opt->get_lnames();
    if (std::find(names.begin(), names.end(), name) != names.end()) return opt;
  }
  return nullptr;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean 'http-port'?)" for a near miss, else "".
std::string Suggestion(const CLI::App& app, std::string_view name) {
  if (name.size() > kMaxSuggestKeyLength) return "";
  std::string best;
  size_t best_distance = std::max<size_t>(2, name.size() / 3) + 1;
  for (const CLI::Option* opt : app.get_options()) {
    if (!IsFileSettable(app, opt)) continue;
    for (const std::string& candidate : opt->get_lnames()) {
      size_t distance = EditDistance(name, candidate);
      // "port" for "http-port": a word of the name is a near miss too.
      if (name.size() >= 4 && candidate.find(name) != std::string::npos) {
        distance = std::min<size_t>(distance, 2);
      }
      if (distance < best_distance) {
        best_distance = distance;
        best = candidate;
      }
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

// Appends the strings of one value node (a scalar or a sequence of scalars).
Status AppendValues(const YAML::Node& node, const std::string& name, int line,
                    std::string_view source, std::vector<std::string>* out) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      out->push_back(node.Scalar());
      return Status::Ok();
    case YAML::NodeType::Sequence:
      for (const YAML::Node& item : node) {
        if (!item.IsScalar()) {
          return InvalidArgument(Where(source, LineOf(item.Mark())) + "the items of '" + name +
                                 "' must be plain values");
        }
        out->push_back(item.Scalar());
      }
      return Status::Ok();
    case YAML::NodeType::Map:
      return InvalidArgument(Where(source, line) + "'" + name +
                             "' nests too deep: only one level of grouping is allowed "
                             "(tls: {cert: ...} sets tls-cert)");
    default:
      return InvalidArgument(Where(source, line) + "'" + name + "' has no value");
  }
}

// The name of a mapping key; keys must be plain non-empty strings.
StatusOr<std::string> KeyName(const YAML::Node& key, std::string_view source) {
  if (!key.IsScalar() || key.Scalar().empty()) {
    return InvalidArgument(Where(source, LineOf(key.Mark())) +
                           "expected a setting name (a flag without dashes) as the key");
  }
  return NormalizeName(key.Scalar());
}

StatusOr<std::vector<ConfigSetting>> SettingsOf(const YAML::Node& root, std::string_view source) {
  std::vector<ConfigSetting> settings;
  if (root.IsNull()) return settings;  // an empty file
  if (!root.IsMap()) {
    return InvalidArgument(Where(source, LineOf(root.Mark())) +
                           "expected settings as 'name: value' lines");
  }
  for (YAML::const_iterator it = root.begin(); it != root.end(); ++it) {
    INFERD_ASSIGN_OR_RETURN(std::string name, KeyName(it->first, source));
    const int line = LineOf(it->first.Mark());
    if (!it->second.IsMap()) {
      ConfigSetting& setting = settings.emplace_back(ConfigSetting{name, {}, line});
      INFERD_RETURN_IF_ERROR(AppendValues(it->second, name, line, source, &setting.values));
      continue;
    }
    // A group: `tls: {cert: a}` is `tls-cert: a`.
    for (YAML::const_iterator inner = it->second.begin(); inner != it->second.end(); ++inner) {
      INFERD_ASSIGN_OR_RETURN(std::string leaf, KeyName(inner->first, source));
      const std::string full = name + "-" + leaf;
      const int inner_line = LineOf(inner->first.Mark());
      ConfigSetting& setting = settings.emplace_back(ConfigSetting{full, {}, inner_line});
      INFERD_RETURN_IF_ERROR(
          AppendValues(inner->second, full, inner_line, source, &setting.values));
    }
  }
  return settings;
}

// Notes where documents start and builds nothing: YAML::LoadAll in
// yaml-cpp 0.7 loops forever on some inputs (a lone ","), so ParseConfigYaml
// loads one document and steps the parser itself to find a second.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  std::vector<YAML::Mark> starts;
};

// One value as a YAML scalar that reads back as the same string: plain when
// it has only characters that are plain in every context, else double-quoted.
std::string EmitScalar(const std::string& value) {
  auto plain_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '/' || c == '+' || c == '=' || c == '-' || c == ' ';
  };
  const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), plain_char) &&
                     value.front() != ' ' && value.back() != ' ' && value.front() != '-' &&
                     value != "null" && value != "Null" && value != "NULL";
  if (plain) return value;
  std::string out = "\"";
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;  // UTF-8 stays as it is
    }
  }
  return out + "\"";
}

bool IsMultiValued(const CLI::Option* opt) {
  return opt->get_items_expected_max() > 1;
}

// The values an option has now: its results, else its default.
std::vector<std::string> CurrentValues(const CLI::Option* opt) {
  if (opt->count() > 0) return opt->results();
  std::string def = opt->get_default_str();
  if (def.empty()) {
    if (opt->get_expected_min() == 0) return {"false"};  // a flag not given
    return {};
  }
  if (IsMultiValued(opt) && def.size() >= 2 && def.front() == '[' && def.back() == ']') {
    std::vector<std::string> items;
    for (std::string& item : CLI::detail::split(def.substr(1, def.size() - 2), ',')) {
      if (!item.empty()) items.push_back(std::move(item));
    }
    return items;
  }
  // CLI11 captures bool defaults as 1/0.
  if (opt->get_type_name() == "BOOLEAN" && (def == "1" || def == "0")) {
    return {def == "1" ? "true" : "false"};
  }
  return {def};
}

std::string EmitValues(const CLI::Option* opt, const std::vector<std::string>& values) {
  if (!IsMultiValued(opt) && values.size() == 1) return EmitScalar(values.front());
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + EmitScalar(values[i]);
  return out + "]";
}

}  // namespace

StatusOr<std::vector<ConfigSetting>> ParseConfigYaml(std::string_view text,
                                                     std::string_view source) {
  if (text.size() > kMaxConfigBytes) {
    return InvalidArgument(std::string(source) + ": larger than " +
                           std::to_string(kMaxConfigBytes) + " bytes");
  }
  try {
    const std::string input(text);
    const YAML::Node root = YAML::Load(input);
    std::istringstream stream(input);
    YAML::Parser parser(stream);
    DocumentCounter counter;
    // Never more than two steps: yaml-cpp 0.7 can step forever on bad input.
    for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
    }
    if (counter.starts.size() > 1) {
      return InvalidArgument(Where(source, LineOf(counter.starts[1])) +
                             "expected one YAML document, found another");
    }
    return SettingsOf(root, source);
  } catch (const YAML::Exception& e) {
    // yaml-cpp counts lines and columns from 0.
    return InvalidArgument(std::string(source) + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

Status ValidateConfigSettings(const CLI::App& app, const std::vector<ConfigSetting>& settings,
                              std::string_view source) {
  std::map<const CLI::Option*, int> first_line;
  for (const ConfigSetting& s : settings) {
    const CLI::Option* opt = FindByLongName(app, s.name);
    if (opt == nullptr) {
      return InvalidArgument(Where(source, s.line) + "unknown setting '" + s.name + "'" +
                             Suggestion(app, s.name));
    }
    if (!IsFileSettable(app, opt)) {
      return InvalidArgument(Where(source, s.line) + "'" + s.name +
                             "' cannot be set in a config file");
    }
    if (s.values.size() > 1 && !IsMultiValued(opt)) {
      return InvalidArgument(Where(source, s.line) + "'" + s.name + "' takes one value, not " +
                             std::to_string(s.values.size()));
    }
    if (auto [it, added] = first_line.emplace(opt, s.line); !added) {
      return InvalidArgument(Where(source, s.line) + "'" + s.name +
                             "' is set twice (also on line " + std::to_string(it->second) + ")");
    }
  }
  return Status::Ok();
}

Status ApplyConfigText(CLI::App& app, std::string_view text, std::string_view source) {
  INFERD_ASSIGN_OR_RETURN(std::vector<ConfigSetting> settings, ParseConfigYaml(text, source));
  INFERD_RETURN_IF_ERROR(ValidateConfigSettings(app, settings, source));
  const auto recorder = std::dynamic_pointer_cast<YamlConfig>(app.get_config_formatter());
  for (const ConfigSetting& s : settings) {
    CLI::Option* opt = FindByLongName(app, s.name);
    // A flag or an environment variable set it already: they win.
    if (opt == nullptr || opt->count() > 0 || s.values.empty()) continue;
    try {
      if (opt->get_expected_min() == 0) {
        opt->add_result(opt->get_flag_value(s.name, s.values.front()));
      } else {
        opt->add_result(s.values);
      }
      opt->run_callback();  // converts and validates, like a flag would
    } catch (const CLI::Error& e) {
      return InvalidArgument(Where(source, s.line) + e.what());
    }
    if (recorder) recorder->RecordFromFile(source, opt->get_lnames().front(), s.line);
  }
  return Status::Ok();
}

Status ApplyConfigFile(CLI::App& app, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return InvalidArgument("config file " + path + " is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open config file " + path + ": " + std::strerror(errno));
  std::string text;
  text.resize(kMaxConfigBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return InvalidArgument("cannot read config file " + path);
  text.resize(static_cast<size_t>(in.gcount()));
  return ApplyConfigText(app, text, path);
}

std::string YamlConfig::to_config(const CLI::App* app, bool default_also, bool write_description,
                                  std::string /*prefix: sections are not used*/) const {
  std::ostringstream out;
  for (const CLI::Option* opt : app->get_options()) {
    if (!IsFileSettable(*app, opt) || (opt->count() == 0 && !default_also)) continue;
    const std::vector<std::string> values = CurrentValues(opt);
    if (values.empty()) continue;
    if (write_description && opt->has_description()) {
      std::string description = opt->get_description();
      std::replace(description.begin(), description.end(), '\n', ' ');
      out << "# " << description << "\n";
    }
    out << opt->get_lnames().front() << ": " << EmitValues(opt, values) << "\n";
  }
  return out.str();
}

std::vector<CLI::ConfigItem> YamlConfig::from_config(std::istream& input) const {
  const std::string text{std::istreambuf_iterator<char>(input), std::istreambuf_iterator<char>()};
  StatusOr<std::vector<ConfigSetting>> settings = ParseConfigYaml(text, "config");
  if (!settings.ok()) throw CLI::ConfigError(settings.status().message());
  std::vector<CLI::ConfigItem> items;
  for (ConfigSetting& s : *settings) {
    CLI::ConfigItem item;
    item.name = std::move(s.name);
    item.inputs = std::move(s.values);
    items.push_back(std::move(item));
  }
  return items;
}

void YamlConfig::RecordFromFile(std::string_view source, const std::string& option, int line) {
  applied_source_ = std::string(source);
  applied_[option] = line;
}

std::string EnvNameFor(std::string_view long_name) {
  std::string out = "INFERD_";
  for (char c : NormalizeName(long_name)) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += alnum ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
  }
  return out;
}

Status InstallConfigFile(CLI::App& serve_app) {
  if (serve_app.get_option_no_throw("--config") != nullptr ||
      serve_app.get_option_no_throw("--print-config") != nullptr) {
    return AlreadyExists("--config or --print-config is declared already");
  }
  serve_app.config_formatter(std::make_shared<YamlConfig>());
  CLI::App* app = &serve_app;
  // Environment variables only once `serve` itself is parsed: CLI11 2.1 runs
  // the callbacks (and validators) of env-set options of every subcommand,
  // chosen or not, so `inferd models` would trip over INFERD_* meant for serve.
  serve_app.preparse_callback([app](size_t) {
    for (CLI::Option* opt : app->get_options()) {
      if (!IsFileSettable(*app, opt) || !opt->get_envname().empty()) continue;
      opt->envname(EnvNameFor(opt->get_lnames().front()));
    }
    app->get_option("--config")->envname("INFERD_CONFIG");
  });
  // CLI11 runs this callback after flags and environment variables are in
  // and before it checks required options: the file fills what is unset.
  serve_app
      .add_option_function<std::string>(
          "--config",
          [app](const std::string& path) {
            // --help answers even when the file is broken.
            const CLI::Option* help = app->get_help_ptr();
            if (path.empty() || (help != nullptr && help->count() > 0)) return;
            if (Status s = ApplyConfigFile(*app, path); !s.ok()) {
              throw CLI::ConfigError(s.message());
            }
          },
          "YAML file with any of these flags, named without dashes (see "
          "inferd.example.yaml); flags and INFERD_* environment variables override it")
      ->type_name("FILE")
      ->configurable(false);
  const std::string print_help =
      "Print the effective configuration (secrets masked), each value with where it came "
      "from, and exit";
  serve_app.add_flag("--print-config", print_help)->configurable(false);
  return Status::Ok();
}

bool PrintConfigRequested(const CLI::App& serve_app) {
  const CLI::Option* opt = serve_app.get_option_no_throw("--print-config");
  return opt != nullptr && opt->count() > 0;
}

std::string RenderEffectiveConfig(const CLI::App& app,
                                  const std::vector<std::string>& secret_option_names) {
  std::set<std::string> secrets;
  for (const std::string& name : secret_option_names) secrets.insert(NormalizeName(name));
  const auto recorder = std::dynamic_pointer_cast<YamlConfig>(app.get_config_formatter());
  const std::set<const CLI::Option*> from_flags(app.parse_order().begin(), app.parse_order().end());
  // Why an option has its value; only meaningful for options with results.
  auto origin = [&](const CLI::Option* opt) -> std::string {
    const std::string& name = opt->get_lnames().front();
    if (recorder) {
      if (auto it = recorder->applied().find(name); it != recorder->applied().end()) {
        return "file " + recorder->applied_source() + ":" + std::to_string(it->second);
      }
    }
    if (from_flags.count(opt) == 0 && !opt->get_envname().empty()) {
      const char* env = std::getenv(opt->get_envname().c_str());
      if (env != nullptr && *env != '\0') return "env " + opt->get_envname();
    }
    return "flag";
  };
  auto is_secret = [&](const CLI::Option* opt) {
    for (const std::string& name : opt->get_lnames()) {
      if (secrets.count(name) || name.find("secret") != std::string::npos ||
          name.find("password") != std::string::npos) {
        return true;
      }
    }
    return false;
  };

  std::ostringstream out;
  out << "# inferd" << (app.get_name().empty() ? "" : " " + app.get_name())
      << ": effective configuration (precedence: flag > env > file > default)\n";
  if (const CLI::Option* config = app.get_option_no_throw("--config");
      config != nullptr && config->count() > 0) {
    out << "# config file: " << EmitScalar(config->results().front()) << " (" << origin(config)
        << ")\n";
  }
  for (const CLI::Option* opt : app.get_options()) {
    if (!IsFileSettable(app, opt)) continue;
    const std::string& name = opt->get_lnames().front();
    const std::vector<std::string> values = CurrentValues(opt);
    const std::string from = opt->count() > 0 ? origin(opt) : "default";
    if (values.empty() && opt->count() == 0) {
      out << "# " << name << ":  # " << from << ": not set\n";
      continue;
    }
    out << name << ": " << (is_secret(opt) ? "\"****\"" : EmitValues(opt, values)) << "  # " << from
        << "\n";
  }
  return out.str();
}

}  // namespace inferd
