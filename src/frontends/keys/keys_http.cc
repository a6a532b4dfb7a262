#include "frontends/keys/keys_http.h"

#include <chrono>

#include "core/lifecycle/model_manager.h"
#include "frontends/http/json_buffer.h"
#include "frontends/http/json_tensor_codec.h"

namespace inferd::keys {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::JsonWriter;
using http::Method;
using http::Responder;
using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr auto Error = &http::StatusJsonError;

const http::ProtocolErrors kErrors{"keys-http", Error, &ModelManager::UnknownModel};

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void WriteRecord(JsonWriter& w, const ApiKeyRecord& key) {
  w.StartObject();
  w.Key("id");
  w.String(key.id.c_str(), static_cast<rapidjson::SizeType>(key.id.size()));
  w.Key("name");
  w.String(key.name.c_str(), static_cast<rapidjson::SizeType>(key.name.size()));
  w.Key("roles");
  w.StartArray();
  for (Role r : kAllRoles) {
    if (!key.roles.Has(r)) continue;
    const std::string_view name = RoleName(r);
    w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  }
  w.EndArray();
  w.Key("models");
  w.StartArray();
  for (const std::string& m : key.models) {
    w.String(m.c_str(), static_cast<rapidjson::SizeType>(m.size()));
  }
  w.EndArray();
  auto optional_time = [&](const char* name, const std::optional<int64_t>& t) {
    w.Key(name);
    if (t) {
      w.Int64(*t);
    } else {
      w.Null();
    }
  };
  w.Key("created_at");
  w.Int64(key.created_at_unix);
  optional_time("expires_at", key.expires_at_unix);
  optional_time("last_used_at", key.last_used_unix);
  optional_time("revoked_at", key.revoked_at_unix);
  w.Key("revoked");
  w.Bool(key.revoked);
  w.EndObject();
}

constexpr auto Json = &http::JsonAnswer;

HttpResponse WithSecret(unsigned status, const ApiKeyRecord& key, const std::string& secret) {
  return Json(status, [&](JsonWriter& w) {
    w.StartObject();
    w.Key("key");
    w.String(secret.c_str(), static_cast<rapidjson::SizeType>(secret.size()));
    w.Key("record");
    WriteRecord(w, key);
    w.EndObject();
  });
}

StatusOr<std::vector<std::string>> Strings(element value, std::string_view field) {
  std::vector<std::string> out;
  if (value.type() == element_type::STRING) {
    // "read,infer" as well as ["read", "infer"].
    std::string_view text = value.get_string().value();
    size_t start = 0;
    while (start <= text.size()) {
      const size_t comma = text.find(',', start);
      std::string_view word =
          text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
      while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
      while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
      if (!word.empty()) out.emplace_back(word);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return out;
  }
  if (value.type() != element_type::ARRAY) {
    return InvalidArgument("'" + std::string(field) + "' must be a list of strings");
  }
  for (element item : value.get_array()) {
    if (item.type() != element_type::STRING) {
      return InvalidArgument("'" + std::string(field) + "' must be a list of strings");
    }
    out.emplace_back(item.get_string().value());
  }
  return out;
}

StatusOr<NewApiKey> ParseNewKey(std::string_view body) {
  INFERD_ASSIGN_OR_RETURN(element doc, http::ParseJson(body));
  if (doc.type() != element_type::OBJECT) return InvalidArgument("the body must be a JSON object");
  NewApiKey spec;
  for (auto [key, value] : doc.get_object()) {
    if (key == "name") {
      if (value.type() != element_type::STRING) return InvalidArgument("'name' must be a string");
      spec.name = std::string(value.get_string().value());
    } else if (key == "roles") {
      INFERD_ASSIGN_OR_RETURN(std::vector<std::string> names, Strings(value, "roles"));
      for (const std::string& name : names) {
        auto role = ParseRole(name);
        if (!role) {
          return InvalidArgument("unknown role '" + name + "' (expected read, infer or admin)");
        }
        spec.roles.Add(*role);
      }
    } else if (key == "models") {
      INFERD_ASSIGN_OR_RETURN(spec.models, Strings(value, "models"));
    } else if (key == "expires_in_secs") {
      if (value.type() != element_type::INT64 && value.type() != element_type::UINT64) {
        return InvalidArgument("'expires_in_secs' must be a positive integer");
      }
      const int64_t secs = value.type() == element_type::INT64
                               ? value.get_int64().value()
                               : static_cast<int64_t>(value.get_uint64().value());
      if (secs <= 0 || secs > 100LL * 365 * 86400) {
        return InvalidArgument("'expires_in_secs' must be between 1 and 100 years");
      }
      spec.expires_at_unix = NowUnix() + secs;
    } else {
      return InvalidArgument("unknown field '" + std::string(key) +
                             "' (known: name, roles, models, expires_in_secs)");
    }
  }
  return spec;
}

}  // namespace

void AddKeyRoutes(ApiKeyStore* store, http::Router& router) {
  http::RouteInfo admin{pipeline::RouteKind::kAdmin, &kErrors,
                        [](const HttpRequest&, std::string&, std::string&) {}};
  admin.server_wide = true;  // a key limited to some models cannot manage keys
  auto off = [store](Responder& respond) {
    if (store != nullptr) return false;
    respond(http::JsonError(404, "API keys are off: start inferd with --api-keys"));
    return true;
  };
  router.Add(Method::kGet, "/v1/keys", admin, [store, off](HttpRequest&, Responder respond) {
    if (off(respond)) return;
    auto keys = store->List();
    if (!keys.ok()) return respond(Error(keys.status()));
    respond(Json(200, [&](JsonWriter& w) {
      w.StartObject();
      w.Key("keys");
      w.StartArray();
      for (const ApiKeyRecord& key : *keys) WriteRecord(w, key);
      w.EndArray();
      w.EndObject();
    }));
  });
  router.Add(Method::kPost, "/v1/keys", admin, [store, off](HttpRequest& req, Responder respond) {
    if (off(respond)) return;
    auto spec = ParseNewKey(*req.body);
    if (!spec.ok()) return respond(Error(spec.status()));
    std::string secret;
    auto created = store->Create(*spec, &secret);
    if (!created.ok()) return respond(Error(created.status()));
    respond(WithSecret(201, *created, secret));
  });
  router.Add(Method::kGet, "/v1/keys/{id}", admin,
             [store, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               auto key = store->Get(req.Param("id"));
               if (!key.ok()) return respond(Error(key.status()));
               respond(Json(200, [&](JsonWriter& w) { WriteRecord(w, *key); }));
             });
  router.Add(Method::kPost, "/v1/keys/{id}/rotate", admin,
             [store, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               auto secret = store->Rotate(req.Param("id"));
               if (!secret.ok()) return respond(Error(secret.status()));
               auto key = store->Get(req.Param("id"));
               if (!key.ok()) return respond(Error(key.status()));
               respond(WithSecret(200, *key, *secret));
             });
  router.Add(Method::kDelete, "/v1/keys/{id}", admin,
             [store, off](HttpRequest& req, Responder respond) {
               if (off(respond)) return;
               Status revoked = store->Revoke(req.Param("id"));
               if (!revoked.ok()) return respond(Error(revoked));
               auto key = store->Get(req.Param("id"));
               if (!key.ok()) return respond(Error(key.status()));
               respond(Json(200, [&](JsonWriter& w) { WriteRecord(w, *key); }));
             });
}

}  // namespace inferd::keys
