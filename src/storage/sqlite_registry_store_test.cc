#include "storage/sqlite_registry_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>

namespace inferd {
namespace {

namespace fs = std::filesystem;

class RegistryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("inferd_registry_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = dir_ / "registry.db";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<RegistryStore> OpenStore() {
    auto store = SqliteRegistryStore::Open(path_, true, std::chrono::milliseconds(100));
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  static NewModelVersion Version(const std::string& model, int64_t v = 0) {
    NewModelVersion n;
    n.model = model;
    n.version = v;
    n.source = "/src";
    n.checksum = "sha256:00";
    return n;
  }

  fs::path dir_;
  fs::path path_;
};

TEST_F(RegistryStoreTest, MissingDatabaseIsNotFoundUnlessCreated) {
  EXPECT_EQ(SqliteRegistryStore::Open(path_, false).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_NE(OpenStore(), nullptr);
  EXPECT_TRUE(fs::exists(path_));
}

TEST_F(RegistryStoreTest, ModelsVersionsTagsAndMetricsPersist) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->CreateModel("fraud", "detects fraud", {{"team", "risk"}}).ok());
    EXPECT_EQ(store->CreateModel("fraud", "", {}).code(), StatusCode::kAlreadyExists);
    auto v1 = store->CreateVersion(Version("fraud"));
    ASSERT_TRUE(v1.ok()) << v1.status().message();
    EXPECT_EQ(v1->version, 1);
    EXPECT_EQ(v1->stage, "None");
    auto v2 = Version("fraud");
    v2.metrics["auc"] = 0.93;
    v2.tags["commit"] = "abc";
    ASSERT_EQ(store->CreateVersion(v2)->version, 2);
    EXPECT_EQ(store->CreateVersion(Version("fraud", 2)).status().code(),
              StatusCode::kAlreadyExists);
    EXPECT_EQ(store->CreateVersion(Version("nope")).status().code(), StatusCode::kNotFound);
  }
  auto store = OpenStore();  // reopened: all of it is on disk
  auto model = store->GetModel("fraud");
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->description, "detects fraud");
  EXPECT_EQ(model->tags.at("team"), "risk");
  ASSERT_EQ(model->versions.size(), 2u);
  EXPECT_DOUBLE_EQ(model->versions[1].metrics.at("auc"), 0.93);
  EXPECT_EQ(model->versions[1].tags.at("commit"), "abc");
  EXPECT_EQ(model->last_version, 2);
}

TEST_F(RegistryStoreTest, VersionNumbersAreNeverReused) {
  auto store = OpenStore();
  ASSERT_TRUE(store->CreateModel("m", "", {}).ok());
  ASSERT_EQ(store->CreateVersion(Version("m"))->version, 1);
  ASSERT_EQ(store->CreateVersion(Version("m"))->version, 2);
  ASSERT_TRUE(store->DeleteVersion("m", 2).ok());
  EXPECT_EQ(store->CreateVersion(Version("m"))->version, 3);
  EXPECT_EQ(store->CreateVersion(Version("m", 7))->version, 7);
  EXPECT_EQ(store->CreateVersion(Version("m"))->version, 8);
}

TEST_F(RegistryStoreTest, TransitionArchivesOthersOnlyWhenAsked) {
  auto store = OpenStore();
  ASSERT_TRUE(store->CreateModel("m", "", {}).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->CreateVersion(Version("m")).ok());
  ASSERT_TRUE(store->TransitionStage("m", 1, "Production", false).ok());
  auto changed = store->TransitionStage("m", 2, "Production", false);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, std::vector<int64_t>{2});
  EXPECT_EQ(store->GetVersion("m", 1)->stage, "Production");  // both in Production
  changed = store->TransitionStage("m", 3, "Production", true);
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(store->GetVersion("m", 1)->stage, "Archived");
  EXPECT_EQ(store->GetVersion("m", 2)->stage, "Archived");
  EXPECT_EQ(store->GetVersion("m", 3)->stage, "Production");
  EXPECT_EQ(store->TransitionStage("m", 9, "Staging", false).status().code(),
            StatusCode::kNotFound);
  // The schema itself refuses a stage that is not one of the four.
  EXPECT_FALSE(store->TransitionStage("m", 1, "production", false).ok());
}

TEST_F(RegistryStoreTest, AliasesMoveAndGoWithTheirVersion) {
  auto store = OpenStore();
  ASSERT_TRUE(store->CreateModel("m", "", {}).ok());
  ASSERT_TRUE(store->CreateVersion(Version("m")).ok());
  ASSERT_TRUE(store->CreateVersion(Version("m")).ok());
  ASSERT_TRUE(store->SetAlias("m", "champion", 1).ok());
  ASSERT_TRUE(store->SetAlias("m", "champion", 2).ok());
  EXPECT_EQ(store->GetModel("m")->aliases.at("champion"), 2);
  EXPECT_EQ(store->SetAlias("m", "x", 5).code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->DeleteVersion("m", 2).ok());
  EXPECT_TRUE(store->GetModel("m")->aliases.empty());
  EXPECT_EQ(store->DeleteAlias("m", "champion").code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->DeleteModel("m").ok());
  EXPECT_EQ(store->GetModel("m").status().code(), StatusCode::kNotFound);
}

TEST_F(RegistryStoreTest, ALockedDatabaseIsUnavailableThenRecovers) {
  auto store = OpenStore();
  ASSERT_TRUE(store->CreateModel("m", "", {}).ok());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Status locked = store->CreateModel("n", "", {});
  EXPECT_EQ(locked.code(), StatusCode::kUnavailable);
  EXPECT_NE(locked.message().find("locked"), std::string::npos) << locked.message();
  EXPECT_TRUE(store->GetModel("m").ok());  // WAL: readers do not wait for the writer
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_TRUE(store->CreateModel("n", "", {}).ok());
}

TEST_F(RegistryStoreTest, AFileThatIsNotADatabaseIsRefusedWithTheReason) {
  std::ofstream(path_) << std::string(8192, 'x');
  auto store = SqliteRegistryStore::Open(path_, true);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("registry.db"), std::string::npos);
}

TEST_F(RegistryStoreTest, DataVersionMovesWhenAnotherConnectionCommits) {
  auto store = OpenStore();
  auto other = OpenStore();
  const int64_t before = *store->DataVersion();
  ASSERT_TRUE(other->CreateModel("m", "", {}).ok());
  EXPECT_NE(*store->DataVersion(), before);
}

}  // namespace
}  // namespace inferd
