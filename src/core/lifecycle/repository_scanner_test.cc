#include "core/lifecycle/repository_scanner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "core/lifecycle/version_policy.h"

namespace inferd {
namespace {

namespace fs = std::filesystem;

class RepositoryScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("inferd_scan_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const fs::path& relative, const std::string& text) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative, std::ios::binary) << text;
  }

  ModelDir Scan(const std::string& name) {
    auto dir = ScanModel(root_, name);
    EXPECT_TRUE(dir.ok()) << dir.status().ToString();
    return dir.ok() ? *dir : ModelDir{};
  }

  fs::path root_;
};

TEST_F(RepositoryScannerTest, VersionsWithoutFinishedFilesAreNotVersionsYet) {
  Write("m/1/model.onnx", "one");
  fs::create_directories(root_ / "m" / "2");     // empty: a copy has not started
  Write("m/3/model.onnx.part", "half");          // a copy under a temporary name
  Write("m/4/.model.onnx.swp", "hidden");        // hidden only
  Write("m/5/model.onnx.tmp", "tmp");            // temporary only
  Write("m/.6/model.onnx", "hidden directory");  // not a version name
  ModelDir dir = Scan("m");
  ASSERT_EQ(dir.versions.size(), 1u);
  EXPECT_EQ(dir.versions[0].version, 1);
}

TEST_F(RepositoryScannerTest, FingerprintFollowsContentSizeAndConfig) {
  Write("m/1/model.onnx", "one");
  const uint64_t first = Scan("m").Fingerprint();
  EXPECT_EQ(Scan("m").Fingerprint(), first) << "a rescan of unchanged files is stable";

  Write("m/1/model.onnx", "one more byte");
  const uint64_t grown = Scan("m").Fingerprint();
  EXPECT_NE(grown, first);

  Write("m/config.pbtxt", "max_batch_size: 4");
  const uint64_t configured = Scan("m").Fingerprint();
  EXPECT_NE(configured, grown);
  EXPECT_NE(Scan("m").config_fingerprint, 0u);

  Write("m/2/model.onnx", "two");
  EXPECT_NE(Scan("m").Fingerprint(), configured);
}

TEST_F(RepositoryScannerTest, ModifiedTimeAloneChangesTheFingerprint) {
  Write("m/1/model.onnx", "same bytes");
  const uint64_t before = Scan("m").Fingerprint();
  const auto path = root_ / "m" / "1" / "model.onnx";
  fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(5));
  EXPECT_NE(Scan("m").Fingerprint(), before);
}

TEST_F(RepositoryScannerTest, ScanModelRejectsMissingAndUnsafeNames) {
  EXPECT_EQ(ScanModel(root_, "absent").status().code(), StatusCode::kNotFound);
  for (const char* name : {"", "..", "../etc", "a/b", ".hidden"}) {
    EXPECT_EQ(ScanModel(root_, name).status().code(), StatusCode::kInvalidArgument) << name;
  }
}

TEST(VersionPolicy, SelectsLatestAllAndSpecific) {
  const std::vector<VersionDir> present = {{1, {}, 1}, {2, {}, 1}, {5, {}, 1}};
  inference::ModelVersionPolicy latest;  // default: latest 1
  EXPECT_EQ(SelectVersions(latest, present), (std::vector<int64_t>{5}));
  latest.mutable_latest()->set_num_versions(2);
  EXPECT_EQ(SelectVersions(latest, present), (std::vector<int64_t>{2, 5}));
  inference::ModelVersionPolicy all;
  all.mutable_all();
  EXPECT_EQ(SelectVersions(all, present), (std::vector<int64_t>{1, 2, 5}));
  inference::ModelVersionPolicy specific;
  specific.mutable_specific()->add_versions(3);
  specific.mutable_specific()->add_versions(1);
  specific.mutable_specific()->add_versions(3);
  EXPECT_EQ(SelectVersions(specific, present), (std::vector<int64_t>{1, 3}));
}

}  // namespace
}  // namespace inferd
