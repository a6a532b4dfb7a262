#include "pipeline/auth/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <optional>
#include <utility>

#include "pipeline/auth/auth_json.h"
#include "pipeline/auth/base64url.h"

namespace inferd::auth {
namespace {

constexpr int kMaxJsonDepth = 16;  // {"keys":[{"x5c":[...]}]} needs 4
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 16384;  // verification cost grows with the modulus
constexpr size_t kMaxRsaExponentBytes = 8;
constexpr size_t kP256CoordinateBytes = 32;

struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;
struct BldDeleter {
  void operator()(OSSL_PARAM_BLD* bld) const { OSSL_PARAM_BLD_free(bld); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* params) const { OSSL_PARAM_free(params); }
};

Status KeyError(size_t index, std::string_view what) {
  return InvalidArgument("JWKS key " + std::to_string(index) + ": " + std::string(what));
}

// Reads the optional string member `name`; error when present but not a string.
Status OptionalString(const rapidjson::Value& jwk, std::string_view name, size_t index,
                      std::string* out) {
  const rapidjson::Value* v = FindMember(jwk, name);
  if (v == nullptr) return Status::Ok();
  if (!v->IsString()) return KeyError(index, "\"" + std::string(name) + "\" is not a string");
  *out = std::string(StringOf(*v));
  return Status::Ok();
}

// Decodes the required base64url member `name`.
StatusOr<std::string> RequiredBytes(const rapidjson::Value& jwk, std::string_view name,
                                    size_t index) {
  const rapidjson::Value* v = FindMember(jwk, name);
  if (v == nullptr || !v->IsString()) {
    return KeyError(index, "missing string \"" + std::string(name) + "\"");
  }
  std::optional<std::string> bytes = Base64UrlDecode(StringOf(*v));
  if (!bytes || bytes->empty()) {
    return KeyError(index, "\"" + std::string(name) + "\" is not base64url");
  }
  return std::move(*bytes);
}

// Builds a public EVP_PKEY of `type` ("RSA" or "EC") from `params`.
EvpPkeyPtr KeyFromParams(const char* type, OSSL_PARAM* params) {
  CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
    return nullptr;
  }
  return EvpPkeyPtr(raw);
}

StatusOr<EvpPkeyPtr> RsaKey(const rapidjson::Value& jwk, size_t index) {
  INFERD_ASSIGN_OR_RETURN(std::string n_bytes, RequiredBytes(jwk, "n", index));
  INFERD_ASSIGN_OR_RETURN(std::string e_bytes, RequiredBytes(jwk, "e", index));
  if (e_bytes.size() > kMaxRsaExponentBytes) return KeyError(index, "RSA exponent too large");
  BnPtr n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n_bytes.data()),
                    static_cast<int>(n_bytes.size()), nullptr));
  BnPtr e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e_bytes.data()),
                    static_cast<int>(e_bytes.size()), nullptr));
  if (!n || !e) return Internal("out of memory reading an RSA key");
  if (BN_num_bits(n.get()) < kMinRsaBits) {
    return KeyError(index, "RSA modulus shorter than 2048 bits");
  }
  if (BN_num_bits(n.get()) > kMaxRsaBits) return KeyError(index, "RSA modulus too long");
  if (!BN_is_odd(n.get())) return KeyError(index, "RSA modulus is even");
  if (!BN_is_odd(e.get()) || BN_is_one(e.get())) return KeyError(index, "bad RSA exponent");

  std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get())) {
    return Internal("out of memory reading an RSA key");
  }
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) return Internal("out of memory reading an RSA key");
  EvpPkeyPtr key = KeyFromParams("RSA", params.get());
  if (!key) return KeyError(index, "OpenSSL refused the RSA key");
  return key;
}

StatusOr<EvpPkeyPtr> EcP256Key(const rapidjson::Value& jwk, size_t index) {
  INFERD_ASSIGN_OR_RETURN(std::string x, RequiredBytes(jwk, "x", index));
  INFERD_ASSIGN_OR_RETURN(std::string y, RequiredBytes(jwk, "y", index));
  // RFC 7518 section 6.2.1.2: coordinates are full-length, leading zeros kept.
  if (x.size() != kP256CoordinateBytes || y.size() != kP256CoordinateBytes) {
    return KeyError(index, "P-256 coordinates must be 32 bytes");
  }
  std::string point = "\x04" + x + y;  // SEC 1 uncompressed point
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end(),
  };
  EvpPkeyPtr key = KeyFromParams("EC", params);
  if (!key) return KeyError(index, "EC point is not on P-256");
  // fromdata already decodes the point onto the curve; the explicit check
  // also refuses the point at infinity and keeps us independent of that.
  CtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return KeyError(index, "EC point is not on P-256");
  }
  return key;
}

// One entry of "keys": appends it to `set`, skips it, or explains the fault.
Status AddKey(const rapidjson::Value& jwk, size_t index, JwkSet* set) {
  if (!jwk.IsObject()) return KeyError(index, "not a JSON object");
  if (HasDuplicateMembers(jwk)) return KeyError(index, "duplicate member names");
  const rapidjson::Value* kty = FindMember(jwk, "kty");
  if (kty == nullptr || !kty->IsString()) return KeyError(index, "missing string \"kty\"");
  std::string use;
  INFERD_RETURN_IF_ERROR(OptionalString(jwk, "use", index, &use));
  if (FindMember(jwk, "use") != nullptr && use != "sig") {
    ++set->skipped_not_for_signing;
    return Status::Ok();
  }
  Jwk key;
  INFERD_RETURN_IF_ERROR(OptionalString(jwk, "kid", index, &key.kid));
  INFERD_RETURN_IF_ERROR(OptionalString(jwk, "alg", index, &key.alg));
  if (StringOf(*kty) == "RSA") {
    key.kind = JwkKind::kRsa;
    INFERD_ASSIGN_OR_RETURN(key.key, RsaKey(jwk, index));
  } else if (StringOf(*kty) == "EC") {
    std::string crv;
    INFERD_RETURN_IF_ERROR(OptionalString(jwk, "crv", index, &crv));
    if (crv.empty()) return KeyError(index, "missing string \"crv\"");
    if (crv != "P-256") {
      ++set->skipped_unsupported;
      return Status::Ok();
    }
    key.kind = JwkKind::kEcP256;
    INFERD_ASSIGN_OR_RETURN(key.key, EcP256Key(jwk, index));
  } else {
    // "oct" keys are skipped too: HS256 uses only the configured secret.
    ++set->skipped_unsupported;
    return Status::Ok();
  }
  set->keys.push_back(std::move(key));
  return Status::Ok();
}

}  // namespace

void EvpPkeyDeleter::operator()(EVP_PKEY* key) const {
  EVP_PKEY_free(key);
}

StatusOr<JwkSet> JwkSet::Parse(std::string_view json) {
  if (json.size() > kMaxDocumentBytes) return InvalidArgument("JWKS document larger than 1 MiB");
  rapidjson::Document doc;
  if (!ParseJsonObject(json, kMaxJsonDepth, &doc)) {
    return InvalidArgument("JWKS is not a JSON object (or nests too deep, or repeats a member)");
  }
  const rapidjson::Value* keys = FindMember(doc, "keys");
  if (keys == nullptr || !keys->IsArray()) return InvalidArgument("JWKS has no \"keys\" array");
  if (keys->Size() > kMaxKeys) return InvalidArgument("JWKS has more than 256 keys");
  JwkSet set;
  for (rapidjson::SizeType i = 0; i < keys->Size(); ++i) {
    Status status = AddKey((*keys)[i], i, &set);
    if (!status.ok()) {
      ERR_clear_error();  // leave no OpenSSL errors behind for unrelated code
      return status;
    }
  }
  ERR_clear_error();
  return set;
}

StatusOr<HmacKey> HmacKey::FromSecret(std::string secret) {
  if (secret.size() < kMinBytes) {
    OPENSSL_cleanse(secret.data(), secret.size());
    return InvalidArgument("HS256 secret shorter than 32 bytes");
  }
  return HmacKey(std::move(secret));
}

HmacKey& HmacKey::operator=(const HmacKey& other) {
  if (this != &other) {
    Wipe();
    secret_ = other.secret_;
  }
  return *this;
}

HmacKey::HmacKey(HmacKey&& other) noexcept : secret_(std::move(other.secret_)) {
  other.Wipe();
}

HmacKey& HmacKey::operator=(HmacKey&& other) noexcept {
  if (this != &other) {
    Wipe();
    secret_ = std::move(other.secret_);
    other.Wipe();
  }
  return *this;
}

HmacKey::~HmacKey() {
  Wipe();
}

void HmacKey::Wipe() {
  OPENSSL_cleanse(secret_.data(), secret_.size());
  secret_.clear();
}

}  // namespace inferd::auth
