// libFuzzer target: the authentication filter over arbitrary Authorization
// and X-API-Key header values (split at the first '\n'), against a real key
// database holding one key and a verifier with an HS256 secret. Checks the
// one invariant that matters, not just crashes: an identity is granted only
// for the stored key's exact text (up to the spaces around it) or a token
// that verifies.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "pipeline/auth/authentication_filter.h"
#include "storage/sqlite_api_key_store.h"

namespace {

using namespace inferd;

struct Setup {
  std::unique_ptr<ApiKeyStore> keys;
  std::unique_ptr<auth::JwtVerifier> jwt;
  std::unique_ptr<pipeline::AuthenticationFilter> filter;
  std::string key_text;
};

Setup& Get() {
  static Setup* setup = [] {
    auto* s = new Setup;
    static std::string dir =
        (std::filesystem::temp_directory_path() / "inferd-fuzz-auth-XXXXXX").string();
    if (::mkdtemp(dir.data()) == nullptr) std::abort();
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    });
    auto store = SqliteApiKeyStore::Open(std::filesystem::path(dir) / "keys.db");
    if (!store.ok()) std::abort();
    s->keys = std::move(store).value();
    NewApiKey spec{"fuzz", RoleSet{Role::kInfer}, {}, std::nullopt};
    if (!s->keys->Create(spec, &s->key_text).ok()) std::abort();
    auth::JwtPolicy policy;
    policy.issuer = "https://issuer.example";
    policy.audiences = {"inferd"};
    auto secret = auth::HmacKey::FromSecret(std::string(32, 'k'));
    auto verifier = auth::JwtVerifier::Create(policy, std::move(secret).value(), nullptr);
    if (!verifier.ok()) std::abort();
    s->jwt = std::move(verifier).value();
    pipeline::AuthenticationOptions options;
    options.keys = s->keys.get();
    options.jwt = s->jwt.get();
    s->filter = std::make_unique<pipeline::AuthenticationFilter>(options);
    return s;
  }();
  return *setup;
}

class TwoHeaders final : public pipeline::HeaderSource {
 public:
  TwoHeaders(std::string_view authorization, std::string_view api_key)
      : authorization_(authorization), api_key_(api_key) {}
  std::string_view Get(std::string_view name) const override {
    if (name == "authorization") return authorization_;
    if (name == "x-api-key") return api_key_;
    return {};
  }

 private:
  std::string_view authorization_, api_key_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Setup& setup = Get();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\n');
  const std::string_view authorization = input.substr(0, split);
  const std::string_view api_key =
      split == std::string_view::npos ? std::string_view() : input.substr(split + 1);
  TwoHeaders headers(authorization, api_key);
  pipeline::RequestContext context;
  context.kind = pipeline::RouteKind::kInfer;
  context.headers = &headers;
  const auto refusal = setup.filter->OnCall(context);
  const std::string_view credential = pipeline::PresentedCredential(authorization, api_key);
  if (refusal) {
    if (refusal->status.code() != StatusCode::kUnauthenticated) std::abort();
    return 0;
  }
  // Granted: the stored key itself, or a token the verifier accepts.
  if (context.identity.kind == "api-key") {
    if (credential != setup.key_text) std::abort();
  } else if (context.identity.kind == "jwt") {
    if (!setup.jwt->Verify(credential, std::chrono::system_clock::now()).ok()) std::abort();
  } else {
    std::abort();  // an infer route never lets an anonymous caller through
  }
  return 0;
}
