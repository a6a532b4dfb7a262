#include "pipeline/auth/jwks_fetch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace inferd::auth {
namespace {

TEST(JwksFetchTest, UrlsSplitIntoTheirParts) {
  auto url = ParseFetchUrl("https://issuer.example/.well-known/jwks.json");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "issuer.example");
  EXPECT_EQ(url->port, "443");
  EXPECT_EQ(url->target, "/.well-known/jwks.json");

  url = ParseFetchUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(url.ok());
  EXPECT_FALSE(url->tls);
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->target, "/");

  url = ParseFetchUrl("https://[::1]:9443/keys?tenant=a");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->target, "/keys?tenant=a");
  EXPECT_EQ(url->Display(), "https://[::1]:9443/keys?tenant=a");

  url = ParseFetchUrl("http://h?x=1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->target, "/?x=1");
}

TEST(JwksFetchTest, UrlsThatCannotBeFetchedAreRefused) {
  for (const char* bad :
       {"ftp://h/k", "issuer.example/jwks", "https:///k", "https://u:p@h/k", "https://h:99999/k",
        "https://h:x/k", "https://h/k#frag", "https://[::1/k", "https://h h/k", "http://h/a b"}) {
    auto url = ParseFetchUrl(bad);
    EXPECT_FALSE(url.ok()) << bad;
    if (!url.ok()) {
      EXPECT_EQ(url.status().code(), StatusCode::kInvalidArgument) << bad;
    }
  }
}

// A listening socket nobody accepts from: connecting works (the backlog),
// no answer ever comes.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(JwksFetchTest, AServerThatDoesNotAnswerTimesOut) {
  SilentServer silent;
  auto url = ParseFetchUrl("http://127.0.0.1:" + std::to_string(silent.port()) + "/jwks");
  ASSERT_TRUE(url.ok());
  FetchOptions options;
  options.timeout = std::chrono::milliseconds(200);
  auto fetched = FetchDocument(*url, options);
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(fetched.status().message().find("took longer than 200 ms"), std::string::npos)
      << fetched.status().message();
}

TEST(JwksFetchTest, ARefusedConnectionSaysSo) {
  int port = 0;
  {
    SilentServer gone;  // a port that was free a moment ago, closed again
    port = gone.port();
  }
  auto url = ParseFetchUrl("http://127.0.0.1:" + std::to_string(port) + "/jwks");
  ASSERT_TRUE(url.ok());
  auto fetched = FetchDocument(*url, FetchOptions{});
  ASSERT_FALSE(fetched.ok());
  EXPECT_EQ(fetched.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(fetched.status().message().find("refused"), std::string::npos)
      << fetched.status().message();
}

}  // namespace
}  // namespace inferd::auth
