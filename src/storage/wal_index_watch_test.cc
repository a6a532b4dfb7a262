#include "storage/wal_index_watch.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

namespace inferd {
namespace {

namespace fs = std::filesystem;

class WalIndexWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wal-watch-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = dir_ / "db";
    ASSERT_EQ(sqlite3_open(path_.c_str(), &a_), SQLITE_OK);
    ASSERT_EQ(sqlite3_open(path_.c_str(), &b_), SQLITE_OK);
    Exec(a_, "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);");
  }
  void TearDown() override {
    sqlite3_close(a_);
    sqlite3_close(b_);
    fs::remove_all(dir_);
  }
  static void Exec(sqlite3* db, const char* sql) {
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  }
  fs::path dir_, path_;
  sqlite3* a_ = nullptr;
  sqlite3* b_ = nullptr;
};

TEST_F(WalIndexWatchTest, TheHeaderMovesWithEveryCommitOfAnyConnectionAndOnlyThen) {
  auto watch = WalIndexWatch::Open(path_);
  ASSERT_NE(watch, nullptr);
  WalIndexWatch::Header before, same, after;
  ASSERT_TRUE(watch->Read(before));
  Exec(b_, "SELECT * FROM t;");  // reads change nothing
  ASSERT_TRUE(watch->Read(same));
  EXPECT_EQ(before, same);
  Exec(b_, "UPDATE t SET x = 2;");
  ASSERT_TRUE(watch->Read(after));
  EXPECT_NE(before, after);
  Exec(a_, "PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO t VALUES (3);");
  WalIndexWatch::Header later;
  ASSERT_TRUE(watch->Read(later));
  EXPECT_NE(after, later);
}

TEST_F(WalIndexWatchTest, NoWalNoWatch) {
  EXPECT_EQ(WalIndexWatch::Open(dir_ / "missing"), nullptr);
}

}  // namespace
}  // namespace inferd
