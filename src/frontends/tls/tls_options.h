// What a TLS listener needs to know, shared by the HTTP and gRPC servers.
#pragma once

#include <string>
#include <string_view>

namespace inferd::tls {

// Whether clients are asked for a certificate, and whether one is required.
// A certificate a client does send is always verified against the client CA.
enum class ClientAuth { kNone, kOptional, kRequired };

// "none", "optional", "required".
std::string_view ClientAuthName(ClientAuth auth);

struct TlsFiles {
  std::string cert_file;       // PEM certificate chain, the server's own first
  std::string key_file;        // PEM private key of the first certificate (unencrypted)
  std::string client_ca_file;  // PEM bundle that signs client certificates; "" for none
  ClientAuth client_auth = ClientAuth::kNone;
};

}  // namespace inferd::tls
