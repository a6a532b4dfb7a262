// libFuzzer target: the --jobs-redis address, and the text the job stores
// keep for a job's lists (read back from Redis or SQLite, so not trusted).
// Checks round trips, not just crashes: a parsed address parses the same from
// its own name (plus its credentials), and decoded errors or rows encode and
// decode to the same. The first byte picks what the rest is.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "storage/job_store_codec.h"
#include "storage/redis_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto endpoint = inferd::ParseRedisUrl(text);
      if (!endpoint.ok() || !endpoint->user.empty() || !endpoint->password.empty()) break;
      const std::string name = inferd::RedisEndpointName(*endpoint);
      // A host with ':' (IPv6) is named without brackets; only the others round-trip.
      if (endpoint->host.find(':') != std::string::npos) break;
      if (endpoint->host.find_first_of("@/?[") != std::string::npos) break;
      auto again = inferd::ParseRedisUrl(name);
      if (!again.ok() || again->host != endpoint->host || again->port != endpoint->port ||
          again->socket_path != endpoint->socket_path || again->db != endpoint->db) {
        std::abort();
      }
      break;
    }
    case 1: {
      auto errors = inferd::DecodeErrors(text);
      if (!errors) break;
      auto again = inferd::DecodeErrors(inferd::EncodeErrors(*errors));
      if (!again || *again != *errors) std::abort();
      auto merged = inferd::MergeErrors(*errors, *errors);
      if (merged.size() > inferd::kJobFirstErrors) std::abort();
      break;
    }
    default: {
      auto rows = inferd::DecodeRows(text);
      if (!rows) break;
      auto again = inferd::DecodeRows(inferd::EncodeRows(*rows));
      if (!again || *again != *rows) std::abort();
    }
  }
  return 0;
}
