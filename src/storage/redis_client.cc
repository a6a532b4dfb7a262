#include "storage/redis_client.h"

#include <hiredis/hiredis.h>

#include <cerrno>
#include <charconv>
#include <optional>

namespace inferd {
namespace {

std::optional<int> ParseNumber(std::string_view text, int low, int high) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    return std::nullopt;
  }
  return value;
}

// %XX escapes in the user or password (RFC 3986).
std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (ec != std::errc() || end != text.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

RedisReply Convert(const redisReply* reply) {
  RedisReply out;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kString;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i)
        out.elements.push_back(Convert(reply->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

void Append(redisContext* context, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  redisAppendCommandArgv(context, static_cast<int>(args.size()), argv.data(), lengths.data());
}

}  // namespace

StatusOr<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  const auto bad = [&](std::string_view why) {
    // Errors are logged: the credentials never appear in them.
    std::string shown(url);
    const size_t scheme = shown.find("://");
    const size_t at = shown.rfind('@');
    if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
      shown.replace(scheme + 3, at - scheme - 3, "****");
    }
    return InvalidArgument("bad Redis address '" + shown + "': " + std::string(why));
  };
  RedisEndpoint endpoint;
  std::string_view rest;
  bool socket = false;
  if (url.starts_with("redis://")) {
    rest = url.substr(8);
  } else if (url.starts_with("unix://")) {
    rest = url.substr(7);
    socket = true;
  } else if (url.starts_with("rediss://")) {
    return Unsupported(
        "Redis over TLS (rediss://) needs hiredis 1.0 or later, which Debian 12 does not have; "
        "reach Redis over a private network, a unix socket, or a TLS tunnel (stunnel)");
  } else {
    return bad("it must start with redis:// or unix://");
  }
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    const size_t colon = credentials.find(':');
    auto user = PercentDecode(credentials.substr(0, colon));
    auto password = PercentDecode(colon == std::string_view::npos ? std::string_view()
                                                                  : credentials.substr(colon + 1));
    if (!user || !password) return bad("a bad %-escape in its credentials");
    if (colon == std::string_view::npos) {
      endpoint.password = *user;  // redis://secret@host: the password alone
    } else {
      endpoint.user = *user;
      endpoint.password = *password;
    }
  }
  if (socket) {
    const size_t query = rest.find('?');
    endpoint.socket_path = std::string(rest.substr(0, query));
    if (endpoint.socket_path.empty() || endpoint.socket_path[0] != '/') {
      return bad("a unix socket's path must be absolute");
    }
    if (query != std::string_view::npos) {
      const std::string_view q = rest.substr(query + 1);
      if (!q.starts_with("db=")) return bad("the only query it takes is ?db=N");
      auto db = ParseNumber(q.substr(3), 0, 1 << 20);
      if (!db) return bad("the database must be a number");
      endpoint.db = *db;
    }
    return endpoint;
  }
  const size_t slash = rest.find('/');
  std::string_view host_port = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    auto db = ParseNumber(rest.substr(slash + 1), 0, 1 << 20);
    if (!db) return bad("the database must be a number");
    endpoint.db = *db;
  }
  if (host_port.starts_with("[")) {  // [IPv6]:port
    const size_t close = host_port.find(']');
    if (close == std::string_view::npos) return bad("an unclosed [");
    endpoint.host = std::string(host_port.substr(1, close - 1));
    host_port.remove_prefix(close + 1);
    if (!host_port.empty() && host_port[0] != ':') return bad("junk after ]");
  } else {
    const size_t colon = host_port.find(':');
    endpoint.host = std::string(host_port.substr(0, colon));
    host_port.remove_prefix(colon == std::string_view::npos ? host_port.size() : colon);
  }
  if (!host_port.empty()) {
    auto port = ParseNumber(host_port.substr(1), 1, 65535);
    if (!port) return bad("the port must be 1-65535");
    endpoint.port = *port;
  }
  if (endpoint.host.empty()) return bad("no host");
  return endpoint;
}

std::string RedisEndpointName(const RedisEndpoint& endpoint) {
  std::string name = endpoint.socket_path.empty()
                         ? "redis://" + endpoint.host + ":" + std::to_string(endpoint.port)
                         : "unix://" + endpoint.socket_path;
  if (endpoint.db != 0)
    name += (endpoint.socket_path.empty() ? "/" : "?db=") + std::to_string(endpoint.db);
  return name;
}

RedisClient::RedisClient(RedisEndpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {}

RedisClient::~RedisClient() {
  std::lock_guard lock(mu_);
  DropLocked();
}

void RedisClient::DropLocked() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

Status RedisClient::LostLocked(int read_errno) {
  // A blocking hiredis 0.14 context reports a reply that did not come within
  // its timeout (SO_RCVTIMEO) as an I/O error with errno EAGAIN; 1.x has a
  // code of its own for it.
  bool timed_out =
      context_->err == REDIS_ERR_IO && (read_errno == EAGAIN || read_errno == EWOULDBLOCK);
#ifdef REDIS_ERR_TIMEOUT
  timed_out = timed_out || context_->err == REDIS_ERR_TIMEOUT;
#endif
  Status s = timed_out
                 ? Unavailable("Redis at " + RedisEndpointName(endpoint_) +
                               " did not answer within " + std::to_string(timeout_.count()) + " ms")
                 : Unavailable(std::string("Redis connection lost: ") + context_->errstr);
  DropLocked();
  return s;
}

Status RedisClient::ConnectLocked() {
  if (context_ != nullptr) return Status::Ok();
  const timeval tv = ToTimeval(timeout_);
  context_ = endpoint_.socket_path.empty()
                 ? redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, tv)
                 : redisConnectUnixWithTimeout(endpoint_.socket_path.c_str(), tv);
  if (context_ == nullptr) return Unavailable("cannot allocate a Redis connection");
  if (context_->err != 0) {
    Status s = Unavailable("cannot reach Redis at " + RedisEndpointName(endpoint_) + ": " +
                           context_->errstr);
    DropLocked();
    return s;
  }
  redisSetTimeout(context_, tv);
  std::vector<std::vector<std::string>> hello;
  if (!endpoint_.password.empty()) {
    if (endpoint_.user.empty()) {
      hello.push_back({"AUTH", endpoint_.password});
    } else {
      hello.push_back({"AUTH", endpoint_.user, endpoint_.password});
    }
  }
  if (endpoint_.db != 0) hello.push_back({"SELECT", std::to_string(endpoint_.db)});
  for (const auto& command : hello) {
    Append(context_, command);
    void* raw = nullptr;
    errno = 0;
    if (redisGetReply(context_, &raw) != REDIS_OK) return LostLocked(errno);
    const RedisReply reply = Convert(static_cast<redisReply*>(raw));
    freeReplyObject(raw);
    if (reply.error()) {
      DropLocked();
      return Unavailable("Redis refused " + command[0] + ": " + reply.text);
    }
  }
  return Status::Ok();
}

StatusOr<RedisReply> RedisClient::Command(const std::vector<std::string>& args) {
  INFERD_ASSIGN_OR_RETURN(std::vector<RedisReply> replies, Pipeline({args}));
  RedisReply reply = std::move(replies.front());
  if (reply.error()) return Internal("Redis " + args.front() + ": " + reply.text);
  return reply;
}

StatusOr<std::vector<RedisReply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  std::lock_guard lock(mu_);
  INFERD_RETURN_IF_ERROR(ConnectLocked());
  for (const auto& command : commands) Append(context_, command);
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    // The connection is in an unknown state: the next call reconnects.
    errno = 0;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) return LostLocked(errno);
    replies.push_back(Convert(static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
  }
  return replies;
}

}  // namespace inferd
