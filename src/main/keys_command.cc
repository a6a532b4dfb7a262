#include "main/keys_command.h"

#include <simdjson.h>

#include <chrono>
#include <iostream>

#include "core/auth/api_key.h"
#include "main/admin_client.h"
#include "observability/audit_log.h"
#include "observability/log.h"
#include "storage/sqlite_api_key_store.h"

namespace inferd {
namespace {

std::string JsonList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"' + JsonEscape(items[i]) + '"';
  }
  return out + "]";
}

std::string Describe(const ApiKeyRecord& key) {
  std::string models;
  for (const std::string& m : key.models) models += (models.empty() ? "" : ",") + m;
  std::string line = key.id + "  " + key.name + "  roles=" + key.roles.ToString() +
                     "  models=" + (models.empty() ? "*" : models);
  if (key.expires_at_unix) line += "  expires_at=" + std::to_string(*key.expires_at_unix);
  if (key.last_used_unix) line += "  last_used_at=" + std::to_string(*key.last_used_unix);
  if (key.revoked) line += "  REVOKED";
  return line;
}

int Fail(std::string_view command, const Status& status) {
  std::cerr << "inferd keys " << command << ": " << status.message() << "\n";
  return 1;
}

// The key text of a server's answer ({"key": ..., "record": ...}).
int PrintKeyOf(const StatusOr<AdminReply>& reply, std::string_view command) {
  if (!reply.ok()) return Fail(command, reply.status());
  if (reply->status != 200 && reply->status != 201) {
    std::cerr << "inferd keys " << command << ": " << ErrorMessageOf(*reply) << " (HTTP "
              << reply->status << ")\n";
    return 1;
  }
  simdjson::dom::parser parser;
  std::string_view key;
  if (parser.parse(reply->body).at_key("key").get(key) != simdjson::SUCCESS) {
    std::cerr << "inferd keys " << command << ": unexpected answer " << reply->body << "\n";
    return 1;
  }
  std::cout << key << "\n";
  std::cerr << "Store this key now: it is not shown again.\n";
  return 0;
}

int PrintBody(const StatusOr<AdminReply>& reply, std::string_view command) {
  if (!reply.ok()) return Fail(command, reply.status());
  if (reply->status != 200) {
    std::cerr << "inferd keys " << command << ": " << ErrorMessageOf(*reply) << " (HTTP "
              << reply->status << ")\n";
    return 1;
  }
  std::cout << reply->body << "\n";
  return 0;
}

int ThroughServer(const std::string& command, const KeysOptions& o) {
  auto client = AdminClient::Connect(o.url);
  if (!client.ok()) return Fail(command, client.status());
  if (command == "create") {
    std::string body = "{\"name\":\"" + JsonEscape(o.name) + "\",\"roles\":" + JsonList(o.roles) +
                       ",\"models\":" + JsonList(o.models);
    if (o.expires_in_secs > 0) body += ",\"expires_in_secs\":" + std::to_string(o.expires_in_secs);
    body += "}";
    return PrintKeyOf(client->Send("POST", "/v1/keys", body), command);
  }
  if (command == "list") return PrintBody(client->Send("GET", "/v1/keys"), command);
  if (command == "rotate") {
    return PrintKeyOf(client->Send("POST", "/v1/keys/" + o.id + "/rotate"), command);
  }
  return PrintBody(client->Send("DELETE", "/v1/keys/" + o.id), command);  // revoke
}

int InDatabase(const std::string& command, const KeysOptions& o) {
  auto opened = SqliteApiKeyStore::Open(o.db);
  if (!opened.ok()) return Fail(command, opened.status());
  ApiKeyStore& store = **opened;
  std::unique_ptr<AuditLog> audit;
  if (!o.audit_log.empty()) {
    auto log = AuditLog::Open(o.audit_log);
    if (!log.ok()) {
      return Fail(command, Unavailable("cannot open the audit log (a running server holds it? "
                                       "then use --url): " +
                                       log.status().message()));
    }
    audit = std::move(log).value();
  }
  auto record = [&](const std::string& target, const Status& outcome) {
    if (!audit) return;
    AuditEvent event;
    event.identity = "cli:database";
    event.client = "local";
    event.action = "keys " + command;
    event.target = target;
    event.outcome = outcome.ok() ? "ok" : "refused " + outcome.message();
    (void)audit->Append(event);
  };
  if (command == "create") {
    NewApiKey spec;
    spec.name = o.name;
    for (const std::string& r : o.roles) {
      auto roles = ParseRoleSet(r);
      if (!roles.ok()) return Fail(command, roles.status());
      for (Role role : kAllRoles) {
        if (roles->Has(role)) spec.roles.Add(role);
      }
    }
    spec.models = o.models;
    if (o.expires_in_secs > 0) {
      spec.expires_at_unix = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count() +
                             o.expires_in_secs;
    }
    std::string secret;
    auto created = store.Create(spec, &secret);
    record(created.ok() ? created->id : o.name, created.status());
    if (!created.ok()) return Fail(command, created.status());
    std::cout << secret << "\n";
    std::cerr << Describe(*created) << "\nStore this key now: it is not shown again.\n";
    return 0;
  }
  if (command == "list") {
    auto keys = store.List();
    if (!keys.ok()) return Fail(command, keys.status());
    for (const ApiKeyRecord& key : *keys) std::cout << Describe(key) << "\n";
    return 0;
  }
  if (command == "rotate") {
    auto secret = store.Rotate(o.id);
    record(o.id, secret.status());
    if (!secret.ok()) return Fail(command, secret.status());
    std::cout << *secret << "\n";
    std::cerr << "Store this key now: it is not shown again; the old one no longer works.\n";
    return 0;
  }
  Status revoked = store.Revoke(o.id);
  record(o.id, revoked);
  if (!revoked.ok()) return Fail(command, revoked);
  std::cout << "revoked " << o.id << "\n";
  return 0;
}

}  // namespace

CLI::App* AddKeysCommand(CLI::App& app, KeysOptions& o) {
  CLI::App* keys = app.add_subcommand("keys", "Create, list, rotate and revoke API keys");
  keys->require_subcommand(1);
  auto common = [&o](CLI::App* cmd) {
    cmd->add_option("--url", o.url, "The server (its key admin API; INFERD_API_KEY: admin key)")
        ->capture_default_str();
    cmd->add_option("--db", o.db,
                    "Work on this key database directly instead (e.g. the first admin key)");
    cmd->add_option("--audit-log", o.audit_log, "With --db: append to this audit log");
  };
  CLI::App* create = keys->add_subcommand("create", "Make a key; prints it once");
  common(create);
  create->add_option("--name", o.name, "A label for people")->required();
  create->add_option("--roles", o.roles, "read, infer, admin (comma-separated or repeated)")
      ->required()
      ->delimiter(',');
  create->add_option("--models", o.models, "Model names or glob patterns (default: all)")
      ->delimiter(',');
  create->add_option("--expires-in-secs", o.expires_in_secs, "Lifetime (default: none)")
      ->check(CLI::PositiveNumber);
  CLI::App* list = keys->add_subcommand("list", "Every key (never the secrets)");
  common(list);
  for (const auto& [name, help] : {std::pair{"rotate", "A new secret for the key; the old stops"},
                                   std::pair{"revoke", "Stop the key, everywhere, for good"}}) {
    CLI::App* cmd = keys->add_subcommand(name, help);
    common(cmd);
    cmd->add_option("id", o.id, "The key's id (k_...)")->required();
  }
  return keys;
}

int RunKeys(const CLI::App& keys, const KeysOptions& o) {
  for (const char* command : {"create", "list", "rotate", "revoke"}) {
    if (!keys.got_subcommand(command)) continue;
    return o.db.empty() ? ThroughServer(command, o) : InDatabase(command, o);
  }
  return 2;
}

}  // namespace inferd
