// Signature checks of JWS compact tokens (RFC 7515/7518) on OpenSSL 3: one
// function per supported alg, each over the ASCII signing input
// "<header>.<payload>" and the decoded signature bytes.
//
// The functions check only the cryptography; choosing which key may verify
// which alg (the algorithm-confusion rules) is JwtVerifier's job. Each returns
// false on any failure and leaves no errors on OpenSSL's error queue.
//
// Thread-safety: pure functions; a key may be shared by concurrent calls.
#pragma once

#include <openssl/types.h>

#include <string_view>

namespace inferd::auth {

// HMAC-SHA256 with `secret`, compared in constant time.
bool VerifyHs256(std::string_view secret, std::string_view signing_input,
                 std::string_view signature);

// RSASSA-PKCS1-v1_5 with SHA-256; `rsa_key` must be an RSA public key.
bool VerifyRs256(EVP_PKEY* rsa_key, std::string_view signing_input, std::string_view signature);

// ECDSA P-256 with SHA-256. `signature` is JOSE's raw R||S (64 bytes); any
// other length (e.g. an ASN.1 DER signature) is refused.
bool VerifyEs256(EVP_PKEY* ec_key, std::string_view signing_input, std::string_view signature);

}  // namespace inferd::auth
