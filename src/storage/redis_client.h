// A small synchronous Redis client on hiredis: one connection, commands as
// argument lists (binary-safe), pipelines, and a reconnect on the next call
// after the connection broke (a Redis restart), so callers see one failed
// call, UNAVAILABLE, and then carry on.
//
// Addresses: redis://[[user]:password@]host[:port][/db] and
// unix://[[user]:password@]/path/to/socket[?db=N]. Debian 12's hiredis (0.14)
// has no TLS: rediss:// is refused with the reason (see the README).
//
// A process using it must ignore SIGPIPE (the server does), or a write to a
// Redis that went away ends it.
//
// Ownership: owns the connection. Thread-safety: thread-safe (calls are
// serialized on the one connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct redisContext;

namespace inferd {

struct RedisEndpoint {
  std::string host;  // empty for a socket
  int port = 6379;
  std::string socket_path;  // set for unix://
  std::string user;         // empty: the default user
  std::string password;     // empty: no AUTH
  int db = 0;
};
StatusOr<RedisEndpoint> ParseRedisUrl(std::string_view url);
// The address without its password, for logs.
std::string RedisEndpointName(const RedisEndpoint& endpoint);

// A reply, RESP2: a status or bulk string (`text`), an integer, nil, an
// array (`elements`), or an error (`text` holds the message).
struct RedisReply {
  enum class Type { kString, kInteger, kNil, kArray, kError };
  Type type = Type::kNil;
  std::string text;
  int64_t integer = 0;
  std::vector<RedisReply> elements;

  bool nil() const { return type == Type::kNil; }
  bool error() const { return type == Type::kError; }
};

class RedisClient {
 public:
  // Connects at the first call. `timeout` bounds connecting and each reply.
  RedisClient(RedisEndpoint endpoint, std::chrono::milliseconds timeout);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // One command. UNAVAILABLE when Redis cannot be reached; an error reply
  // is INTERNAL with Redis's message ("ERR …", "NOGROUP …").
  StatusOr<RedisReply> Command(const std::vector<std::string>& args);
  // Commands sent together and their replies in order (error replies are
  // kError replies here, not a failed call).
  StatusOr<std::vector<RedisReply>> Pipeline(const std::vector<std::vector<std::string>>& commands);

 private:
  Status ConnectLocked();
  void DropLocked();
  // The error for a failed read, given errno right after it (a timeout says
  // so), and the connection dropped.
  Status LostLocked(int read_errno);

  const RedisEndpoint endpoint_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  redisContext* context_ = nullptr;
};

}  // namespace inferd
