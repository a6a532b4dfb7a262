#include "main/models_command.h"

#include <rapidjson/writer.h>
#include <simdjson.h>

#include <iostream>

#include "core/model_config.h"
#include "frontends/http/json_buffer.h"
#include "main/admin_client.h"
#include "main/file_text.h"

namespace inferd {
namespace {

// {"parameters": {"config": "<config JSON>"}}, escaped by RapidJSON.
std::string LoadBody(const std::string& config_json) {
  http::JsonBuffer buffer;
  rapidjson::Writer<http::JsonBuffer> w(buffer);
  w.StartObject();
  w.Key("parameters");
  w.StartObject();
  w.Key("config");
  w.String(config_json.data(), static_cast<rapidjson::SizeType>(config_json.size()));
  w.EndObject();
  w.EndObject();
  return buffer.Release();
}

// The config to send as a load override, as JSON: a .pbtxt file is parsed
// here, so a typo is reported before anything reaches the server.
StatusOr<std::string> ConfigJson(const std::string& path) {
  INFERD_ASSIGN_OR_RETURN(const std::string content, ReadFileText(path));
  const size_t first = content.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && content[first] == '{') return content;  // JSON already
  INFERD_ASSIGN_OR_RETURN(ParsedModelConfig parsed, ParseModelConfigText(content));
  return ModelConfigToJson(parsed.config);
}

int Fail(const std::string& message) {
  std::cerr << "inferd models: " << message << "\n";
  return 1;
}

int Check(const StatusOr<AdminReply>& reply, const std::string& done) {
  return ReportReply(reply, "models", done);
}

int List(const AdminClient& client, bool ready_only) {
  auto reply = client.Send("POST", "/v2/repository/index", ready_only ? R"({"ready":true})" : "");
  if (!reply.ok()) return Fail(reply.status().message());
  if (reply->status != 200) return Fail(ErrorMessageOf(*reply));
  simdjson::dom::parser parser;
  simdjson::dom::array rows;
  if (parser.parse(reply->body).get(rows) != simdjson::SUCCESS) {
    return Fail("the server's index is not a JSON array");
  }
  std::printf("%-24s %-8s %-12s %s\n", "MODEL", "VERSION", "STATE", "REASON");
  for (simdjson::dom::element row : rows) {
    auto field = [&row](const char* key) {
      std::string_view value;
      return row[key].get(value) == simdjson::SUCCESS ? std::string(value) : std::string("-");
    };
    const std::string reason = field("reason");
    std::printf("%-24s %-8s %-12s %s\n", field("name").c_str(), field("version").c_str(),
                field("state") == "-" ? "NOT LOADED" : field("state").c_str(),
                reason == "-" ? "" : reason.c_str());
  }
  return 0;
}

}  // namespace

CLI::App* AddModelsCommand(CLI::App& app, ModelsOptions& o) {
  CLI::App* models =
      app.add_subcommand("models", "List, load, unload and label the models of a running server");
  models->require_subcommand(1);
  models->add_option("--url", o.url, "The server's HTTP address")->capture_default_str();

  CLI::App* list = models->add_subcommand("list", "Every model and version with its state");
  list->add_flag("--ready", o.ready_only, "Only ready versions");

  CLI::App* load = models->add_subcommand(
      "load", "Load or reload a model (the server runs with --model-control-mode=explicit)");
  load->add_option("model", o.model, "Model name")->required();
  load->add_option("--config", o.config_file,
                   "A config.pbtxt (or JSON) to use instead of the repository's");

  CLI::App* unload = models->add_subcommand("unload", "Unload a model");
  unload->add_option("model", o.model, "Model name")->required();

  CLI::App* label = models->add_subcommand("label", "Point a label at a ready version");
  label->add_option("model", o.model, "Model name")->required();
  label->add_option("label", o.label, "Label (letters, digits, '_', '-')")->required();
  label->add_option("version", o.version, "Version the label names")->check(CLI::PositiveNumber);
  label->add_flag("--remove", o.remove, "Remove the label instead");

  CLI::App* set_default = models->add_subcommand(
      "default", "Make a ready version the one requests without a version get");
  set_default->add_option("model", o.model, "Model name")->required();
  set_default->add_option("version", o.version, "Version")->required()->check(CLI::PositiveNumber);
  return models;
}

int RunModels(const CLI::App& models, const ModelsOptions& o) {
  auto client = AdminClient::Connect(o.url);
  if (!client.ok()) return Fail(client.status().message());
  const std::string base = "/v2/repository/models/" + o.model;
  if (models.got_subcommand("list")) return List(*client, o.ready_only);
  if (models.got_subcommand("load")) {
    std::string body;
    if (!o.config_file.empty()) {
      auto config = ConfigJson(o.config_file);
      if (!config.ok()) return Fail(config.status().message());
      body = LoadBody(*config);
    }
    return Check(client->Send("POST", base + "/load", body), "loaded " + o.model);
  }
  if (models.got_subcommand("unload")) {
    return Check(client->Send("POST", base + "/unload"), "unloaded " + o.model);
  }
  if (models.got_subcommand("label")) {
    const std::string path = base + "/labels/" + o.label;
    if (o.remove) return Check(client->Send("DELETE", path), "removed label " + o.label);
    if (o.version <= 0) return Fail("label needs a version (or --remove)");
    return Check(client->Send("PUT", path, R"({"version":)" + std::to_string(o.version) + "}"),
                 o.model + ":" + o.label + " -> version " + std::to_string(o.version));
  }
  if (models.got_subcommand("default")) {
    return Check(client->Send("PUT", "/models/" + o.model + "/" + std::to_string(o.version) +
                                         "/set-default"),
                 o.model + " default version -> " + std::to_string(o.version));
  }
  return Fail("no subcommand");
}

}  // namespace inferd
