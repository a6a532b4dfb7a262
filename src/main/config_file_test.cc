#include "main/config_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <filesystem>
#include <fstream>

namespace inferd {
namespace {

constexpr const char* kEnvNames[] = {
    "INFERD_MODEL_REPOSITORY", "INFERD_HTTP_PORT",  "INFERD_LOG_FORMAT",  "INFERD_LOG_VERBOSE",
    "INFERD_ALLOW_SPINNING",   "INFERD_LOAD_MODEL", "INFERD_TLS_CERT",    "INFERD_TLS_KEY",
    "INFERD_ADMIN_TOKEN",      "INFERD_CONFIG",     "INFERD_METRICS_PORT"};

struct Options {
  std::string repository;
  int http_port = 8000;
  std::string log_format = "text";
  bool log_verbose = false;
  bool allow_spinning = false;
  std::vector<std::string> load_models;
  std::string tls_cert;
  std::string tls_key;
  std::string admin_token;
  int metrics_port = -1;
};

// True when `text` has "<prefix><digits>:<digits>: ".
bool HasLineAndColumn(const std::string& text, const std::string& prefix) {
  size_t at = text.find(prefix);
  if (at == std::string::npos) return false;
  at += prefix.size();
  for (int part = 0; part < 2; ++part) {
    const size_t digits = at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
    if (at == digits || at >= text.size() || text[at] != ':') return false;
    ++at;
  }
  return at < text.size() && text[at] == ' ';
}

// A `serve` subcommand shaped like inferd's, under a top-level App as in main.cc.
class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kEnvNames) unsetenv(name);
    dir_ = std::filesystem::temp_directory_path() /
           ("inferd_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    serve_ = app_.add_subcommand("serve", "Serve");
    app_.require_subcommand(1);
    serve_->add_option("--model-repository,--model-store", o_.repository)->required();
    serve_->add_option("--http-port", o_.http_port)
        ->capture_default_str()
        ->check(CLI::Range(0, 65535));
    serve_->add_option("--log-format", o_.log_format)
        ->capture_default_str()
        ->check(CLI::IsMember({"text", "json"}));
    serve_->add_flag("--log-verbose", o_.log_verbose, "Log debug messages too");
    serve_->add_option("--allow-spinning", o_.allow_spinning)->capture_default_str();
    serve_->add_option("--load-model", o_.load_models);
    serve_->add_option("--tls-cert", o_.tls_cert);
    serve_->add_option("--tls-key", o_.tls_key);
    serve_->add_option("--admin-token", o_.admin_token);
    serve_->add_option("--metrics-port", o_.metrics_port);
    ASSERT_TRUE(InstallConfigFile(*serve_).ok());
  }
  void TearDown() override {
    for (const char* name : kEnvNames) unsetenv(name);
    std::filesystem::remove_all(dir_);
  }

  std::string WriteFile(const std::string& text, const std::string& name = "inferd.yaml") {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  // Parses `inferd serve <args>`; returns CLI11's error text, "" on success.
  std::string Parse(std::vector<std::string> args) {
    args.insert(args.begin(), {"inferd", "serve"});
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    try {
      app_.parse(static_cast<int>(argv.size()), argv.data());
      return "";
    } catch (const CLI::ParseError& e) {
      return e.what();
    }
  }

  std::filesystem::path dir_;
  CLI::App app_{"test", "inferd"};
  CLI::App* serve_ = nullptr;
  Options o_;
};

TEST_F(ConfigFileTest, FileValuesApply) {
  const std::string path = WriteFile(
      "model-repository: /models\n"
      "http-port: 9000\n"
      "log-verbose: true\n"
      "allow-spinning: yes\n"
      "load-model: [resnet, bert]\n");
  ASSERT_EQ(Parse({"--config", path}), "");
  EXPECT_EQ(o_.repository, "/models");
  EXPECT_EQ(o_.http_port, 9000);
  EXPECT_TRUE(o_.log_verbose);
  EXPECT_TRUE(o_.allow_spinning);
  EXPECT_EQ(o_.load_models, (std::vector<std::string>{"resnet", "bert"}));
  EXPECT_EQ(o_.log_format, "text");  // untouched default
}

TEST_F(ConfigFileTest, FalseFlagInFileStaysFalse) {
  const std::string path = WriteFile("model-repository: /m\nlog-verbose: false\n");
  ASSERT_EQ(Parse({"--config", path}), "");
  EXPECT_FALSE(o_.log_verbose);
}

TEST_F(ConfigFileTest, EnvOverridesFile) {
  const std::string path = WriteFile("model-repository: /models\nhttp-port: 9000\n");
  setenv("INFERD_HTTP_PORT", "9100", 1);
  ASSERT_EQ(Parse({"--config", path}), "");
  EXPECT_EQ(o_.http_port, 9100);
}

TEST_F(ConfigFileTest, FlagOverridesEnvAndFile) {
  const std::string path = WriteFile("model-repository: /models\nhttp-port: 9000\n");
  setenv("INFERD_HTTP_PORT", "9100", 1);
  ASSERT_EQ(Parse({"--config", path, "--http-port", "9200"}), "");
  EXPECT_EQ(o_.http_port, 9200);
  EXPECT_EQ(o_.repository, "/models");
}

TEST_F(ConfigFileTest, ConfigPathFromEnvironment) {
  setenv("INFERD_CONFIG", WriteFile("model-store: /from-env-file\n").c_str(), 1);
  ASSERT_EQ(Parse({}), "");
  EXPECT_EQ(o_.repository, "/from-env-file");
}

TEST_F(ConfigFileTest, RequiredOptionMissingEverywhereStillFails) {
  const std::string path = WriteFile("http-port: 9000\n");
  EXPECT_NE(Parse({"--config", path}).find("model-repository"), std::string::npos);
}

TEST_F(ConfigFileTest, UnknownKeyNamesItsLineAndSuggests) {
  const std::string path = WriteFile("model-repository: /m\n\nhttp-prot: 9000\n");
  const std::string error = Parse({"--config", path});
  EXPECT_NE(error.find("inferd.yaml line 3: unknown setting 'http-prot'"), std::string::npos)
      << error;
  EXPECT_NE(error.find("did you mean 'http-port'?"), std::string::npos) << error;
}

TEST_F(ConfigFileTest, UnknownKeyWithoutNearMissHasNoSuggestion) {
  const Status s = ApplyConfigText(*serve_, "zzzzzzzzzz: 1\n", "x.yaml");
  EXPECT_EQ(s.message(), "x.yaml line 1: unknown setting 'zzzzzzzzzz'");
}

TEST_F(ConfigFileTest, SnakeCaseKeysAccepted) {
  const std::string path = WriteFile("model_repository: /m\nhttp_port: 9300\nlog_verbose: on\n");
  ASSERT_EQ(Parse({"--config", path}), "");
  EXPECT_EQ(o_.http_port, 9300);
  EXPECT_TRUE(o_.log_verbose);
}

TEST_F(ConfigFileTest, NestedGroupSetsDashJoinedNames) {
  const std::string path = WriteFile(
      "model-repository: /m\n"
      "tls:\n"
      "  cert: /etc/cert.pem\n"
      "  key: /etc/key.pem\n");
  ASSERT_EQ(Parse({"--config", path}), "");
  EXPECT_EQ(o_.tls_cert, "/etc/cert.pem");
  EXPECT_EQ(o_.tls_key, "/etc/key.pem");
}

TEST_F(ConfigFileTest, UnknownKeyInsideGroupNamesItsLine) {
  const Status s = ApplyConfigText(*serve_, "tls:\n  cert: a\n  kye: b\n", "x.yaml");
  EXPECT_NE(s.message().find("x.yaml line 3: unknown setting 'tls-kye'"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("'tls-key'"), std::string::npos) << s.message();
}

TEST_F(ConfigFileTest, DeeperNestingRejected) {
  const Status s = ApplyConfigText(*serve_, "tls:\n  cert:\n    path: a\n", "x.yaml");
  EXPECT_NE(s.message().find("x.yaml line 2: 'tls-cert' nests too deep"), std::string::npos)
      << s.message();
}

TEST_F(ConfigFileTest, SyntaxErrorGivesLineAndColumn) {
  const std::string path = WriteFile("model-repository: /m\nload-model: [a, b\nhttp-port: 1\n");
  const std::string error = Parse({"--config", path});
  EXPECT_TRUE(HasLineAndColumn(error, "inferd.yaml:")) << error;
  auto parsed = ParseConfigYaml("a: 1\n  b: 2\n", "bad.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message().rfind("bad.yaml:2:", 0), 0u) << parsed.status().message();
}

TEST_F(ConfigFileTest, SequenceForMultiValueOnlyOption) {
  EXPECT_TRUE(ApplyConfigText(*serve_, "load-model:\n  - a\n  - b\n  - c\n", "x").ok());
  const Status s = ApplyConfigText(*serve_, "http-port: [1, 2]\n", "x.yaml");
  EXPECT_EQ(s.message(), "x.yaml line 1: 'http-port' takes one value, not 2");
}

TEST_F(ConfigFileTest, InvalidValueNamesLineAndOption) {
  const std::string path = WriteFile("model-repository: /m\nhttp-port: 70000\n");
  const std::string error = Parse({"--config", path});
  EXPECT_NE(error.find("inferd.yaml line 2: "), std::string::npos) << error;
  EXPECT_NE(error.find("http-port"), std::string::npos) << error;
  const Status s = ApplyConfigText(*serve_, "log-format: xml\n", "x.yaml");
  EXPECT_NE(s.message().find("x.yaml line 1:"), std::string::npos) << s.message();
}

TEST_F(ConfigFileTest, DuplicatesRejectedAcrossSpellingsAndAliases) {
  Status s = ApplyConfigText(*serve_, "http-port: 1\nhttp_port: 2\n", "x.yaml");
  EXPECT_EQ(s.message(), "x.yaml line 2: 'http-port' is set twice (also on line 1)");
  s = ApplyConfigText(*serve_, "model-repository: /a\nmodel-store: /b\n", "x.yaml");
  EXPECT_NE(s.message().find("set twice"), std::string::npos) << s.message();
}

TEST_F(ConfigFileTest, NonConfigurableOptionsRejected) {
  for (const char* text : {"config: other.yaml\n", "help: true\n", "print-config: true\n"}) {
    const Status s = ApplyConfigText(*serve_, text, "x.yaml");
    EXPECT_NE(s.message().find("cannot be set in a config file"), std::string::npos) << text;
  }
}

TEST_F(ConfigFileTest, ShapeErrors) {
  EXPECT_TRUE(ApplyConfigText(*serve_, "", "x").ok());
  EXPECT_TRUE(ApplyConfigText(*serve_, "# only a comment\n", "x").ok());
  EXPECT_NE(ApplyConfigText(*serve_, "- a\n- b\n", "x").message().find("'name: value'"),
            std::string::npos);
  EXPECT_NE(ApplyConfigText(*serve_, "http-port:\n", "x").message().find("has no value"),
            std::string::npos);
  EXPECT_NE(ApplyConfigText(*serve_, "load-model: [[a]]\n", "x").message().find("plain values"),
            std::string::npos);
  EXPECT_NE(ApplyConfigText(*serve_, "[a]: 1\n", "x").message().find("setting name"),
            std::string::npos);
  EXPECT_EQ(ApplyConfigText(*serve_, "a: 1\n---\nb: 2\n", "x").message(),
            "x line 2: expected one YAML document, found another");
}

// yaml-cpp 0.7's LoadAll never returns on these; found by fuzz_config_file.
TEST_F(ConfigFileTest, InputsThatHangYamlCppLoadAllEnd) {
  for (const char* text : {",", ",a", ",\xb1\xda", "a: 1\n,\n"}) {
    EXPECT_FALSE(ParseConfigYaml(text, "x").ok()) << text;
  }
}

TEST_F(ConfigFileTest, MissingFileIsAnError) {
  const std::string error = Parse({"--config", (dir_ / "absent.yaml").string()});
  EXPECT_NE(error.find("cannot open config file"), std::string::npos) << error;
}

TEST_F(ConfigFileTest, EnvNamesFollowLongNames) {
  EXPECT_EQ(EnvNameFor("http-port"), "INFERD_HTTP_PORT");
  EXPECT_EQ(EnvNameFor("--model-repository"), "INFERD_MODEL_REPOSITORY");
  EXPECT_EQ(serve_->get_option("--http-port")->get_envname(), "");  // until serve is parsed
  ASSERT_EQ(Parse({"--model-repository", "/m"}), "");
  EXPECT_EQ(serve_->get_option("--http-port")->get_envname(), "INFERD_HTTP_PORT");
  EXPECT_EQ(serve_->get_option("--config")->get_envname(), "INFERD_CONFIG");
  EXPECT_EQ(serve_->get_help_ptr()->get_envname(), "");
  EXPECT_EQ(serve_->get_option("--print-config")->get_envname(), "");
}

// CLI11 2.1 would run validators of env-set options of unchosen subcommands.
TEST_F(ConfigFileTest, OtherSubcommandsIgnoreServeEnvironment) {
  app_.add_subcommand("models", "Models");
  setenv("INFERD_CONFIG", WriteFile("bogus: 1\n").c_str(), 1);
  setenv("INFERD_HTTP_PORT", "not-a-port", 1);
  std::vector<std::string> args = {"inferd", "models"};
  std::vector<char*> argv = {args[0].data(), args[1].data()};
  EXPECT_NO_THROW(app_.parse(2, argv.data()));
  EXPECT_EQ(o_.http_port, 8000);
}

TEST_F(ConfigFileTest, HelpWinsOverBrokenConfig) {
  const std::string path = WriteFile("bogus: 1\n");
  std::vector<std::string> args = {"inferd", "serve", "--config", path, "--help"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  EXPECT_THROW(app_.parse(static_cast<int>(argv.size()), argv.data()), CLI::CallForHelp);
}

TEST_F(ConfigFileTest, InstallTwiceFails) {
  EXPECT_FALSE(InstallConfigFile(*serve_).ok());
}

TEST_F(ConfigFileTest, PrintConfigMasksSecretsAndReportsOrigins) {
  const std::string path = WriteFile(
      "model-repository: /models\n"
      "http-port: 9000\n"
      "log-format: json\n"
      "admin-token: hunter2\n"
      "load-model: [a, b]\n");
  setenv("INFERD_LOG_FORMAT", "text", 1);
  setenv("INFERD_TLS_KEY", "/secret/key.pem", 1);
  ASSERT_EQ(Parse({"--config", path, "--http-port", "9200", "--print-config"}), "");
  ASSERT_TRUE(PrintConfigRequested(*serve_));
  const std::string out = RenderEffectiveConfig(*serve_, {"admin-token", "--tls-key"});
  EXPECT_NE(out.find("# config file: " + path + " (flag)"), std::string::npos) << out;
  EXPECT_NE(out.find("model-repository: /models  # file " + path + ":1\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("http-port: 9200  # flag\n"), std::string::npos) << out;
  EXPECT_NE(out.find("log-format: text  # env INFERD_LOG_FORMAT\n"), std::string::npos) << out;
  EXPECT_NE(out.find("log-verbose: false  # default\n"), std::string::npos) << out;
  EXPECT_NE(out.find("allow-spinning: false  # default\n"), std::string::npos) << out;
  EXPECT_NE(out.find("load-model: [a, b]  # file " + path + ":5\n"), std::string::npos) << out;
  EXPECT_NE(out.find("admin-token: \"****\"  # file"), std::string::npos) << out;
  EXPECT_NE(out.find("tls-key: \"****\"  # env INFERD_TLS_KEY\n"), std::string::npos) << out;
  EXPECT_NE(out.find("# tls-cert:  # default: not set\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_EQ(out.find("/secret/key.pem"), std::string::npos) << out;
  EXPECT_EQ(out.find("print-config"), std::string::npos) << out;
}

TEST_F(ConfigFileTest, PrintConfigNotRequestedByDefault) {
  ASSERT_EQ(Parse({"--model-repository", "/m"}), "");
  EXPECT_FALSE(PrintConfigRequested(*serve_));
}

TEST_F(ConfigFileTest, RenderedConfigReadsBack) {
  ASSERT_EQ(Parse({"--model-repository", "/m: #odd \"path\"", "--load-model", "x", "--load-model",
                   "armu \x97p?=ll", "--tls-cert", "-leading dash", "--admin-token", "tab\there",
                   "--tls-key", "armu \x97p?=ll"}),
            "");
  const std::string out = RenderEffectiveConfig(*serve_, {});
  // A fresh App takes the rendered text as its config file.
  CLI::App app;
  Options o;
  app.add_option("--model-repository", o.repository);
  app.add_option("--http-port", o.http_port);
  app.add_option("--log-format", o.log_format);
  app.add_flag("--log-verbose", o.log_verbose);
  app.add_option("--allow-spinning", o.allow_spinning);
  app.add_option("--load-model", o.load_models);
  app.add_option("--tls-cert", o.tls_cert);
  app.add_option("--tls-key", o.tls_key);
  app.add_option("--admin-token", o.admin_token);
  app.add_option("--metrics-port", o.metrics_port);
  const Status s = ApplyConfigText(app, out, "rendered");
  ASSERT_TRUE(s.ok()) << s.message() << "\n" << out;
  EXPECT_EQ(o.repository, "/m: #odd \"path\"");
  // In a flow sequence "?" is special; found by fuzz_config_file.
  EXPECT_EQ(o.load_models, (std::vector<std::string>{"x", "armu \x97p?=ll"}));
  EXPECT_EQ(o.tls_cert, "-leading dash");
  EXPECT_EQ(o.admin_token, "tab\there");
  EXPECT_EQ(o.tls_key, "armu \x97p?=ll");
  EXPECT_EQ(o.http_port, 8000);
}

TEST_F(ConfigFileTest, YamlConfigFormatterForCli11) {
  YamlConfig formatter;
  std::istringstream in("http_port: 1\ntls: {cert: c}\nload-model: [a, b]\n");
  const std::vector<CLI::ConfigItem> items = formatter.from_config(in);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].name, "http-port");
  EXPECT_EQ(items[1].name, "tls-cert");
  EXPECT_EQ(items[2].inputs, (std::vector<std::string>{"a", "b"}));
  std::istringstream bad("a: [\n");
  EXPECT_THROW(formatter.from_config(bad), CLI::ConfigError);

  ASSERT_EQ(Parse({"--model-repository", "/m", "--http-port", "1"}), "");
  const std::string written = serve_->config_to_str(/*default_also=*/false, false);
  EXPECT_EQ(written, "model-repository: /m\nhttp-port: 1\n");
}

}  // namespace
}  // namespace inferd
