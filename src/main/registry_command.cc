#include "main/registry_command.h"

#include <rapidjson/writer.h>
#include <simdjson.h>

#include <iostream>
#include <map>

#include "frontends/http/json_buffer.h"
#include "main/admin_client.h"
#include "main/file_text.h"

namespace inferd {
namespace {

constexpr char kBase[] = "/v1/registry";

int Fail(const std::string& message) {
  std::cerr << "inferd registry: " << message << "\n";
  return 1;
}

// A JSON object of string fields (and "version" as a string, as MLflow sends it).
std::string Body(const std::map<std::string, std::string>& fields,
                 const std::map<std::string, bool>& flags = {}) {
  http::JsonBuffer buffer;
  rapidjson::Writer<http::JsonBuffer> w(buffer);
  w.StartObject();
  for (const auto& [key, value] : fields) {
    w.Key(key.c_str());
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  for (const auto& [key, value] : flags) {
    w.Key(key.c_str());
    w.Bool(value);
  }
  w.EndObject();
  return buffer.Release();
}

// Prints one line per version: the reply's "model_version" or "model_versions".
int PrintVersions(const StatusOr<AdminReply>& reply) {
  simdjson::dom::parser parser;
  auto parsed = OkJson(reply, parser);
  if (!parsed.ok()) return Fail(parsed.status().message());
  const simdjson::dom::element doc = *parsed;
  std::vector<simdjson::dom::element> versions;
  simdjson::dom::element one;
  simdjson::dom::array many;
  if (doc["model_version"].get(one) == simdjson::SUCCESS) versions.push_back(one);
  if (doc["model_versions"].get(many) == simdjson::SUCCESS) {
    for (auto v : many) versions.push_back(v);
  }
  std::printf("%-20s %-8s %-11s %-16s %-11s %s\n", "MODEL", "VERSION", "STAGE", "ALIASES",
              "SERVING", "CHECKSUM");
  for (auto v : versions) {
    auto field = [&v](const char* key) {
      std::string_view value;
      return v[key].get(value) == simdjson::SUCCESS ? std::string(value) : std::string("-");
    };
    std::string aliases;
    simdjson::dom::array list;
    if (v["aliases"].get(list) == simdjson::SUCCESS) {
      for (auto a : list) {
        std::string_view alias;
        if (a.get(alias) == simdjson::SUCCESS)
          aliases += (aliases.empty() ? "@" : ",@") + std::string(alias);
      }
    }
    std::printf("%-20s %-8s %-11s %-16s %-11s %s\n", field("name").c_str(),
                field("version").c_str(), field("current_stage").c_str(),
                aliases.empty() ? "-" : aliases.c_str(), field("serving_state").c_str(),
                field("checksum").c_str());
  }
  return 0;
}

int Done(const StatusOr<AdminReply>& reply, const std::string& done) {
  return ReportReply(reply, "registry", done);
}

int Upload(const AdminClient& client, const RegistryOptions& o) {
  auto file = ReadFileText(o.file);
  if (!file.ok()) return Fail(file.status().message());
  std::string path = std::string(kBase) + "/models/" + UrlEncode(o.model) + "/versions";
  if (!o.description.empty()) path += "?description=" + UrlEncode(o.description);
  if (o.config_file.empty()) {
    return PrintVersions(client.Send("POST", path, *file, "application/octet-stream"));
  }
  auto config = ReadFileText(o.config_file);
  if (!config.ok()) return Fail(config.status().message());
  const std::string boundary = "inferd-upload-7d1f3a9c52e84b06";
  if (file->find(boundary) != std::string::npos || config->find(boundary) != std::string::npos) {
    return Fail("the files contain the multipart boundary; upload them separately");
  }
  std::string body;
  for (const auto& [name, bytes] :
       {std::pair<std::string, const std::string*>{"model", &*file}, {"config", &*config}}) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name +
            "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + *bytes + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return PrintVersions(
      client.Send("POST", path, body, "multipart/form-data; boundary=" + boundary));
}

}  // namespace

CLI::App* AddRegistryCommand(CLI::App& app, RegistryOptions& o) {
  CLI::App* registry = app.add_subcommand(
      "registry", "The model registry of a running server: versions, stages, aliases, uploads");
  registry->require_subcommand(1);
  registry->add_option("--url", o.url, "The server's HTTP address")->capture_default_str();

  CLI::App* list = registry->add_subcommand("list", "Registered versions (of one model or all)");
  list->add_option("model", o.model, "Model name");

  CLI::App* create = registry->add_subcommand("create", "Register a model");
  create->add_option("model", o.model, "Model name")->required();
  create->add_option("--description", o.description, "Description");

  CLI::App* reg = registry->add_subcommand(
      "register",
      "Register a version from a path on the server (a model file, copied in as "
      "the next version, or a version directory of the repository)");
  reg->add_option("model", o.model, "Model name")->required();
  reg->add_option("source", o.source, "Absolute path on the server")->required();
  reg->add_option("--description", o.description, "Description");

  CLI::App* upload =
      registry->add_subcommand("upload", "Upload an ONNX file as the model's next version");
  upload->add_option("model", o.model, "Model name")->required();
  upload->add_option("file", o.file, "The ONNX file")->required()->check(CLI::ExistingFile);
  upload->add_option("--config", o.config_file, "A config.pbtxt for the model")
      ->check(CLI::ExistingFile);
  upload->add_option("--description", o.description, "Description");

  CLI::App* stage =
      registry->add_subcommand("stage", "Move a version to None, Staging, Production or Archived");
  stage->add_option("model", o.model, "Model name")->required();
  stage->add_option("version", o.version, "Version")->required()->check(CLI::PositiveNumber);
  stage->add_option("stage", o.stage, "Stage")->required();
  stage->add_flag("--archive-existing", o.archive_existing,
                  "Archive the model's other versions in that stage");

  CLI::App* alias = registry->add_subcommand("alias", "Point an alias at a version");
  alias->add_option("model", o.model, "Model name")->required();
  alias->add_option("alias", o.alias, "Alias (requests name it as @alias)")->required();
  alias->add_option("version", o.version, "Version")->check(CLI::PositiveNumber);
  alias->add_flag("--remove", o.remove, "Remove the alias instead");

  CLI::App* del = registry->add_subcommand(
      "delete", "Delete a registered version, or the whole model (files stay in the repository)");
  del->add_option("model", o.model, "Model name")->required();
  del->add_option("version", o.version, "Version")->check(CLI::PositiveNumber);
  return registry;
}

int RunRegistry(const CLI::App& registry, const RegistryOptions& o) {
  auto client = AdminClient::Connect(o.url);
  if (!client.ok()) return Fail(client.status().message());
  const std::string base = kBase;
  const std::string version = std::to_string(o.version);
  if (registry.got_subcommand("list")) {
    const std::string filter =
        o.model.empty() ? "" : "?filter=" + UrlEncode("name='" + o.model + "'");
    return PrintVersions(client->Send("GET", base + "/model-versions/search" + filter));
  }
  if (registry.got_subcommand("create")) {
    return Done(client->Send("POST", base + "/registered-models/create",
                             Body({{"name", o.model}, {"description", o.description}})),
                "registered " + o.model);
  }
  if (registry.got_subcommand("register")) {
    return PrintVersions(client->Send(
        "POST", base + "/model-versions/create",
        Body({{"name", o.model}, {"source", o.source}, {"description", o.description}})));
  }
  if (registry.got_subcommand("upload")) return Upload(*client, o);
  if (registry.got_subcommand("stage")) {
    return PrintVersions(
        client->Send("POST", base + "/model-versions/transition-stage",
                     Body({{"name", o.model}, {"version", version}, {"stage", o.stage}},
                          {{"archive_existing_versions", o.archive_existing}})));
  }
  if (registry.got_subcommand("alias")) {
    if (o.remove) {
      return Done(client->Send("DELETE", base + "/registered-models/alias",
                               Body({{"name", o.model}, {"alias", o.alias}})),
                  "removed @" + o.alias);
    }
    if (o.version <= 0) return Fail("alias needs a version (or --remove)");
    return Done(client->Send("POST", base + "/registered-models/alias",
                             Body({{"name", o.model}, {"alias", o.alias}, {"version", version}})),
                o.model + "@" + o.alias + " -> version " + version);
  }
  if (registry.got_subcommand("delete")) {
    if (o.version > 0) {
      return Done(client->Send("DELETE", base + "/model-versions/delete",
                               Body({{"name", o.model}, {"version", version}})),
                  "deleted " + o.model + " version " + version);
    }
    return Done(
        client->Send("DELETE", base + "/registered-models/delete", Body({{"name", o.model}})),
        "deleted " + o.model);
  }
  return Fail("no subcommand");
}

}  // namespace inferd
