#include "pipeline/auth/jwt_verifier.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "pipeline/auth/auth_json.h"
#include "pipeline/auth/base64url.h"
#include "pipeline/auth/jws_signature.h"

namespace inferd::auth {
namespace {

using Clock = std::chrono::system_clock;

// A JOSE header is flat; claims may nest a little (e.g. Keycloak's
// realm_access.roles), never deeply.
constexpr int kMaxHeaderDepth = 4;
constexpr int kMaxPayloadDepth = 16;
constexpr size_t kMaxShownAlgBytes = 16;

Status Refuse(JwtError cause, std::string reason, JwtError* error) {
  *error = cause;
  return Unauthenticated(std::move(reason));
}
Status Malformed(JwtError* error) {
  return Refuse(JwtError::kMalformed, "malformed token", error);
}

enum class Alg { kHs256, kRs256, kEs256 };

struct Header {
  Alg alg = Alg::kHs256;
  std::string alg_name;
  std::string kid;
  bool has_kid = false;
};

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// "unsupported alg: X", naming X only when it is short and plain, so that the
// reason never echoes arbitrary token bytes back.
std::string UnsupportedAlg(std::string_view alg) {
  bool plain = !alg.empty() && alg.size() <= kMaxShownAlgBytes;
  for (const char c : alg) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '+' || c == '.';
    if (!ok) plain = false;
  }
  return plain ? "unsupported alg: " + std::string(alg) : "unsupported alg";
}

// RFC 7519 section 5.1 and RFC 9068: "JWT" or "at+jwt", as media types
// (case-insensitive, "application/" optional).
bool AcceptedTyp(std::string_view typ) {
  constexpr std::string_view kPrefix = "application/";
  if (typ.size() > kPrefix.size() && EqualsIgnoreCase(typ.substr(0, kPrefix.size()), kPrefix)) {
    typ.remove_prefix(kPrefix.size());
  }
  return EqualsIgnoreCase(typ, "jwt") || EqualsIgnoreCase(typ, "at+jwt");
}

StatusOr<Header> ParseHeader(std::string_view json, JwtError* error) {
  rapidjson::Document doc;
  if (!ParseJsonObject(json, kMaxHeaderDepth, &doc)) return Malformed(error);
  const rapidjson::Value* alg = FindMember(doc, "alg");
  if (alg == nullptr || !alg->IsString()) return Malformed(error);
  Header header;
  header.alg_name = std::string(StringOf(*alg));
  if (header.alg_name == "HS256") {
    header.alg = Alg::kHs256;
  } else if (header.alg_name == "RS256") {
    header.alg = Alg::kRs256;
  } else if (header.alg_name == "ES256") {
    header.alg = Alg::kEs256;
  } else {
    return Refuse(JwtError::kUnsupportedAlg, UnsupportedAlg(header.alg_name), error);
  }
  // We understand no extension, so RFC 7515 section 4.1.11 says refuse.
  if (FindMember(doc, "crit") != nullptr) {
    return Refuse(JwtError::kUnsupportedAlg, "unsupported crit header", error);
  }
  if (const rapidjson::Value* typ = FindMember(doc, "typ"); typ != nullptr) {
    if (!typ->IsString() || !AcceptedTyp(StringOf(*typ))) {
      return Refuse(JwtError::kUnsupportedAlg, "unsupported token type", error);
    }
  }
  if (const rapidjson::Value* kid = FindMember(doc, "kid"); kid != nullptr) {
    if (!kid->IsString()) return Malformed(error);
    header.kid = std::string(StringOf(*kid));
    header.has_kid = true;
  }
  // jku, x5u, jwk and x5c are ignored: keys come only from our configuration.
  return header;
}

bool Fits(const Jwk& key, const Header& header) {
  const JwkKind want = header.alg == Alg::kRs256 ? JwkKind::kRsa : JwkKind::kEcP256;
  return key.kind == want && (key.alg.empty() || key.alg == header.alg_name);
}

// The JWK that verifies an RS256/ES256 token, by the rules in the header file.
StatusOr<const Jwk*> SelectKey(const JwkSet* set, const Header& header, JwtError* error) {
  const std::string no_key = "no key for alg " + header.alg_name;
  if (set == nullptr) return Refuse(JwtError::kNoKey, no_key, error);
  if (header.has_kid) {
    bool kid_known = false;
    for (const Jwk& key : set->keys) {
      if (key.kid != header.kid) continue;
      kid_known = true;
      if (Fits(key, header)) return &key;
    }
    if (!kid_known) return Refuse(JwtError::kUnknownKid, "unknown kid", error);
    return Refuse(JwtError::kNoKey, no_key, error);
  }
  const Jwk* found = nullptr;
  for (const Jwk& key : set->keys) {
    if (!Fits(key, header)) continue;
    if (found != nullptr) return Refuse(JwtError::kNoKey, "token has no kid", error);
    found = &key;
  }
  if (found == nullptr) return Refuse(JwtError::kNoKey, no_key, error);
  return found;
}

// A NumericDate claim (RFC 7519 section 2): seconds since the epoch, integer
// or not. nullopt when absent; error when not a number.
StatusOr<std::optional<double>> NumericDate(const rapidjson::Value& claims, std::string_view name,
                                            JwtError* error) {
  const rapidjson::Value* v = FindMember(claims, name);
  if (v == nullptr) return std::optional<double>();
  if (!v->IsNumber() || !std::isfinite(v->GetDouble())) {
    return Refuse(JwtError::kBadClaim, "invalid " + std::string(name) + " claim", error);
  }
  return std::optional<double>(v->GetDouble());
}

Clock::time_point ToTimePoint(double seconds) {
  // Clamp into what Clock::duration can hold (about +-292 years of ns).
  const double limit =
      static_cast<double>(
          std::chrono::duration_cast<std::chrono::seconds>(Clock::duration::max()).count()) -
      1.0;
  const double clamped = std::fmax(-limit, std::fmin(limit, seconds));
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(clamped)));
}

// A list of names: a JSON array of strings, or one space-separated string.
StatusOr<std::vector<std::string>> NameList(const rapidjson::Value& claims, std::string_view name,
                                            JwtError* error) {
  std::vector<std::string> names;
  const rapidjson::Value* v = FindMember(claims, name);
  if (v == nullptr) return names;
  if (v->IsString()) {
    std::string_view rest = StringOf(*v);
    constexpr std::string_view kSpace = " \t\r\n";
    while (!rest.empty()) {
      const size_t start = rest.find_first_not_of(kSpace);
      if (start == std::string_view::npos) break;
      rest.remove_prefix(start);
      const size_t end = std::min(rest.find_first_of(kSpace), rest.size());
      names.emplace_back(rest.substr(0, end));
      rest.remove_prefix(end);
    }
    return names;
  }
  if (v->IsArray()) {
    for (const rapidjson::Value& item : v->GetArray()) {
      if (!item.IsString()) break;
      names.emplace_back(StringOf(item));
    }
    if (names.size() == v->Size()) return names;
  }
  return Refuse(JwtError::kBadClaim, "invalid " + std::string(name) + " claim", error);
}

// The first policy audience that `aud` (a string or an array of strings)
// contains; RFC 7519 section 4.1.3.
StatusOr<std::string> MatchAudience(const rapidjson::Value& claims,
                                    const std::vector<std::string>& audiences, JwtError* error) {
  const rapidjson::Value* aud = FindMember(claims, "aud");
  if (aud == nullptr) return Refuse(JwtError::kWrongAudience, "wrong audience", error);
  std::vector<std::string_view> listed;
  if (aud->IsString()) {
    listed.push_back(StringOf(*aud));
  } else if (aud->IsArray()) {
    for (const rapidjson::Value& item : aud->GetArray()) {
      if (!item.IsString()) return Refuse(JwtError::kBadClaim, "invalid aud claim", error);
      listed.push_back(StringOf(item));
    }
  } else {
    return Refuse(JwtError::kBadClaim, "invalid aud claim", error);
  }
  for (const std::string& want : audiences) {
    for (std::string_view have : listed) {
      if (have == want) return want;
    }
  }
  return Refuse(JwtError::kWrongAudience, "wrong audience", error);
}

// Checks the claims of a token whose signature is already verified.
Status CheckClaims(const rapidjson::Value& claims, const JwtPolicy& policy, Clock::time_point now,
                   JwtClaims* out, JwtError* error) {
  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double leeway_s = static_cast<double>(policy.leeway.count());
  INFERD_ASSIGN_OR_RETURN(std::optional<double> exp, NumericDate(claims, "exp", error));
  if (!exp) return Refuse(JwtError::kBadClaim, "missing exp claim", error);
  if (now_s >= *exp + leeway_s) return Refuse(JwtError::kExpired, "token expired", error);
  INFERD_ASSIGN_OR_RETURN(std::optional<double> nbf, NumericDate(claims, "nbf", error));
  if (nbf && now_s + leeway_s < *nbf) {
    return Refuse(JwtError::kNotYetValid, "token not yet valid", error);
  }
  INFERD_ASSIGN_OR_RETURN(std::optional<double> iat, NumericDate(claims, "iat", error));
  if (iat && now_s + leeway_s < *iat) {
    return Refuse(JwtError::kNotYetValid, "token issued in the future", error);
  }
  out->expiry = ToTimePoint(*exp);

  const rapidjson::Value* iss = FindMember(claims, "iss");
  if (iss == nullptr || !iss->IsString() || StringOf(*iss) != policy.issuer) {
    return Refuse(JwtError::kWrongIssuer, "wrong issuer", error);
  }
  out->issuer = policy.issuer;
  INFERD_ASSIGN_OR_RETURN(out->audience, MatchAudience(claims, policy.audiences, error));

  if (const rapidjson::Value* sub = FindMember(claims, "sub"); sub != nullptr) {
    if (!sub->IsString()) return Refuse(JwtError::kBadClaim, "invalid sub claim", error);
    out->subject = std::string(StringOf(*sub));
  }
  INFERD_ASSIGN_OR_RETURN(out->roles, NameList(claims, policy.roles_claim, error));
  INFERD_ASSIGN_OR_RETURN(out->models, NameList(claims, policy.models_claim, error));
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(JwtPolicy policy,
                                                           std::optional<HmacKey> hmac,
                                                           std::shared_ptr<const JwkSet> jwks) {
  if (policy.issuer.empty()) return InvalidArgument("JWT policy needs an issuer");
  if (policy.audiences.empty()) return InvalidArgument("JWT policy needs at least one audience");
  for (const std::string& audience : policy.audiences) {
    if (audience.empty()) return InvalidArgument("JWT policy has an empty audience");
  }
  if (policy.leeway.count() < 0) return InvalidArgument("JWT leeway must not be negative");
  if (policy.roles_claim.empty() || policy.models_claim.empty()) {
    return InvalidArgument("JWT roles and models claim names must not be empty");
  }
  if (!hmac && !jwks) return InvalidArgument("JWT verification needs an HS256 secret or a JWKS");
  return std::unique_ptr<JwtVerifier>(
      new JwtVerifier(std::move(policy), std::move(hmac), std::move(jwks)));
}

JwtVerifier::JwtVerifier(JwtPolicy policy, std::optional<HmacKey> hmac,
                         std::shared_ptr<const JwkSet> jwks)
    : policy_(std::move(policy)), hmac_(std::move(hmac)), jwks_(std::move(jwks)) {}

void JwtVerifier::SetJwks(std::shared_ptr<const JwkSet> jwks) {
  std::lock_guard<std::mutex> lock(jwks_mu_);
  jwks_.swap(jwks);
  jwks_generation_.fetch_add(1, std::memory_order_acq_rel);
  // The old set (now in `jwks`) is released after the lock, outside it.
}

std::shared_ptr<const JwkSet> JwtVerifier::jwks() const {
  std::lock_guard<std::mutex> lock(jwks_mu_);
  return jwks_;
}

StatusOr<JwtClaims> JwtVerifier::Verify(std::string_view token, Clock::time_point now,
                                        JwtError* error) const {
  JwtError cause = JwtError::kNone;
  StatusOr<JwtClaims> claims = VerifyImpl(token, now, &cause);
  if (error != nullptr) *error = cause;
  return claims;
}

StatusOr<JwtClaims> JwtVerifier::VerifyImpl(std::string_view token, Clock::time_point now,
                                            JwtError* error) const {
  if (token.size() > kMaxTokenBytes) return Refuse(JwtError::kMalformed, "token too large", error);
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Malformed(error);
  }
  const std::string_view signing_input = token.substr(0, dot2);
  std::optional<std::string> header_json = Base64UrlDecode(token.substr(0, dot1));
  std::optional<std::string> payload_json =
      Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  std::optional<std::string> signature = Base64UrlDecode(token.substr(dot2 + 1));
  if (!header_json || !payload_json || !signature) return Malformed(error);
  INFERD_ASSIGN_OR_RETURN(Header header, ParseHeader(*header_json, error));

  bool verified = false;
  if (header.alg == Alg::kHs256) {
    // Only the configured secret: never JWKS material, whatever the kid says.
    if (!hmac_) return Refuse(JwtError::kUnsupportedAlg, UnsupportedAlg("HS256"), error);
    verified = VerifyHs256(hmac_->bytes(), signing_input, *signature);
  } else {
    const std::shared_ptr<const JwkSet> jwks = this->jwks();
    INFERD_ASSIGN_OR_RETURN(const Jwk* key, SelectKey(jwks.get(), header, error));
    verified = header.alg == Alg::kRs256 ? VerifyRs256(key->key.get(), signing_input, *signature)
                                         : VerifyEs256(key->key.get(), signing_input, *signature);
  }
  if (!verified) return Refuse(JwtError::kBadSignature, "bad signature", error);

  // The payload is read only once the signature holds.
  rapidjson::Document payload;
  if (!ParseJsonObject(*payload_json, kMaxPayloadDepth, &payload)) return Malformed(error);
  JwtClaims claims;
  INFERD_RETURN_IF_ERROR(CheckClaims(payload, policy_, now, &claims, error));
  claims.kid = std::move(header.kid);
  claims.alg = std::move(header.alg_name);
  return claims;
}

}  // namespace inferd::auth
