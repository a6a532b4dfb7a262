// Test-only: a real redis-server (Debian's, installed by scripts/setup.sh)
// started for one test on a unix socket in a fresh folder, so tests never
// share a server or race for a port, and killed when the test ends. It can
// be stopped and started again on the same folder (a Redis restart), with
// its append-only file on, or paused (SIGSTOP) and resumed.
//
// Not for production: a server that does not start fails the test.
// Thread-compatible.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "storage/redis_client.h"

namespace inferd::test_util {

class RedisTestServer {
 public:
  explicit RedisTestServer(const std::string& name) {
    // A write to a killed server must fail, not end the test (the server
    // ignores SIGPIPE the same way: serve_command.cc).
    ::signal(SIGPIPE, SIG_IGN);
    dir_ = std::filesystem::temp_directory_path() /
           ("inferd_redis_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Start();
  }
  ~RedisTestServer() {
    Stop();
    std::filesystem::remove_all(dir_);
  }
  RedisTestServer(const RedisTestServer&) = delete;
  RedisTestServer& operator=(const RedisTestServer&) = delete;

  RedisEndpoint endpoint() const {
    RedisEndpoint endpoint;
    endpoint.socket_path = socket().string();
    return endpoint;
  }
  std::filesystem::path socket() const { return dir_ / "redis.sock"; }

  void Start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string dir = dir_.string();
      const std::string sock = socket().string();
      ::execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock.c_str(), "--dir",
               dir.c_str(), "--save", "", "--appendonly", "yes", "--appendfsync", "always",
               "--loglevel", "warning", "--logfile", "redis.log", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ASSERT_GT(pid_, 0) << "cannot fork for redis-server";
    // Up when it answers PING.
    RedisClient probe(endpoint(), std::chrono::milliseconds(500));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "redis-server exited at start (is it installed? scripts/setup.sh installs it)";
      }
      if (probe.Command({"PING"}).ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "redis-server did not answer within 20 s";
  }

  // SIGSTOP and SIGCONT: a server that is there and does not answer.
  void Pause() const { ::kill(pid_, SIGSTOP); }
  void Resume() const { ::kill(pid_, SIGCONT); }

  // SIGKILL: what the append-only file holds is all that survives.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    std::error_code ec;
    std::filesystem::remove(socket(), ec);
  }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

}  // namespace inferd::test_util
