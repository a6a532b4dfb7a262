// The API-key admin API (inferd's own; `inferd keys` calls it):
//   GET    /v1/keys               every key, revoked ones too (never secrets)
//   POST   /v1/keys               {"name", "roles": ["infer"], "models": ["m*"],
//                                  "expires_in_secs": N}: 201 with the key text,
//                                  shown this once
//   GET    /v1/keys/{id}
//   POST   /v1/keys/{id}/rotate   a new key text for the same id; the old one stops
//   DELETE /v1/keys/{id}          revokes it, on every replica at the next request
// All are admin calls. Translates JSON <-> the core's ApiKeyStore; decides nothing.
#pragma once

#include "core/auth/api_key.h"
#include "frontends/http/router.h"

namespace inferd::keys {

// `store` (may be null: the routes then answer 404 "API keys are off") must
// outlive the router.
void AddKeyRoutes(ApiKeyStore* store, http::Router& router);

}  // namespace inferd::keys
