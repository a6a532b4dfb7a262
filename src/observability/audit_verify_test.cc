#include "observability/audit_verify.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "observability/audit_line.h"
#include "observability/audit_log.h"

namespace inferd {
namespace {

namespace fs = std::filesystem;

AuditVerifyOptions Anchor(uint64_t seq, std::string hash = "") {
  AuditVerifyOptions options;
  options.expect_last_seq = seq;
  options.expect_hash = std::move(hash);
  return options;
}

// Five lines written by AuditLog itself, then tampered with in memory.
class AuditVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "inferd_audit_verify_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "audit.jsonl").string();
    {
      auto log = AuditLog::Open(path_);
      ASSERT_TRUE(log.ok()) << log.status().ToString();
      for (int i = 1; i <= 5; ++i) {
        ASSERT_TRUE((*log)
                        ->Append({"user" + std::to_string(i), "127.0.0.1", "model.unload",
                                  "m" + std::to_string(i), "denied", "r", "why"})
                        .ok());
      }
    }
    std::ifstream in(path_, std::ios::binary);
    for (std::string line; std::getline(in, line);) lines_.push_back(line);
    ASSERT_EQ(lines_.size(), 5u);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }
  static AuditVerifyResult Verify(const std::string& bytes, const AuditVerifyOptions& opts = {}) {
    std::istringstream in(bytes);
    return VerifyAuditFile(in, opts);
  }

  fs::path dir_;
  std::string path_;
  std::vector<std::string> lines_;
};

TEST_F(AuditVerifyTest, IntactLogPasses) {
  const AuditVerifyResult result = VerifyAuditFile(path_);
  EXPECT_TRUE(result.ok) << result.first_error;
  EXPECT_EQ(result.lines, 5u);
  EXPECT_EQ(result.last_seq, 5u);
  EXPECT_EQ(result.last_hash, AuditLineHash(lines_[4]));
  EXPECT_TRUE(result.first_error.empty());
}

TEST_F(AuditVerifyTest, EmptyLogPasses) {
  const AuditVerifyResult result = Verify("");
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.lines, 0u);
  EXPECT_EQ(result.last_hash, kAuditGenesisHash);
}

TEST_F(AuditVerifyTest, EditedByteBreaksTheNextLine) {
  std::vector<std::string> lines = lines_;
  const size_t at = lines[2].find("user3");
  ASSERT_NE(at, std::string::npos);
  lines[2][at] = 'U';  // still a valid line on its own
  const AuditVerifyResult result = Verify(Join(lines));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error,
            "line 4: prev does not match the hash of line 3 (line 3 edited, or lines deleted, "
            "inserted or reordered)");
  EXPECT_EQ(result.lines, 3u);
  EXPECT_EQ(result.last_seq, 3u);
}

TEST_F(AuditVerifyTest, EditThatBreaksJsonIsReportedOnItsLine) {
  std::vector<std::string> lines = lines_;
  lines[2][0] = '[';
  const AuditVerifyResult result = Verify(Join(lines));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error.rfind("line 3: not valid JSON", 0), 0u) << result.first_error;
}

TEST_F(AuditVerifyTest, DeletedLineIsDetected) {
  std::vector<std::string> lines = lines_;
  lines.erase(lines.begin() + 1);
  const AuditVerifyResult result = Verify(Join(lines));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error,
            "line 2: seq 3 where 2 was expected (lines deleted, inserted or reordered)");
  EXPECT_EQ(result.lines, 1u);
}

TEST_F(AuditVerifyTest, DeletedFirstLineIsDetected) {
  std::vector<std::string> lines(lines_.begin() + 1, lines_.end());
  const AuditVerifyResult result = Verify(Join(lines));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error.rfind("line 1: seq 2 where 1", 0), 0u) << result.first_error;
}

TEST_F(AuditVerifyTest, SwappedLinesAreDetected) {
  std::vector<std::string> lines = lines_;
  std::swap(lines[1], lines[3]);
  const AuditVerifyResult result = Verify(Join(lines));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error.rfind("line 2: ", 0), 0u) << result.first_error;
}

TEST_F(AuditVerifyTest, DuplicatedLineIsDetected) {
  std::vector<std::string> lines = lines_;
  lines.insert(lines.begin() + 2, lines[2]);
  const AuditVerifyResult result = Verify(Join(lines));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error.rfind("line 4: seq 3 where 4", 0), 0u) << result.first_error;
}

TEST_F(AuditVerifyTest, RenumberedSeqStillBreaksTheChain) {
  // Deleting line 2 and renumbering the rest: seq passes, prev does not.
  std::vector<std::string> lines = {lines_[0], lines_[2]};
  const size_t at = lines[1].find("\"seq\":3");
  ASSERT_NE(at, std::string::npos);
  lines[1][at + 6] = '2';
  const AuditVerifyResult result = Verify(Join(lines));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error.rfind("line 2: prev does not match the hash of line 1", 0), 0u)
      << result.first_error;
}

TEST_F(AuditVerifyTest, FirstLineMustStartTheChain) {
  const std::string line = FormatAuditLine({"u", "c", "a", "t", "o", "r", ""}, 1,
                                           AuditLineHash("x"), std::chrono::system_clock::now());
  const AuditVerifyResult result = Verify(line + "\n");
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error, "line 1: prev is not 64 zeros (the start of the log is missing)");
}

TEST_F(AuditVerifyTest, PartialLastLineIsReported) {
  std::string bytes = Join(lines_);
  bytes.pop_back();
  const AuditVerifyResult result = Verify(bytes);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error.rfind("line 5: partial line at the end of the file", 0), 0u)
      << result.first_error;
  EXPECT_EQ(result.lines, 4u);
}

TEST_F(AuditVerifyTest, EmptyLineIsReported) {
  std::vector<std::string> lines = lines_;
  lines.insert(lines.begin() + 1, "");
  const AuditVerifyResult result = Verify(Join(lines));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error, "line 2: empty line");
}

TEST_F(AuditVerifyTest, TruncatedTailNeedsTheAnchor) {
  const std::vector<std::string> head(lines_.begin(), lines_.begin() + 3);
  EXPECT_TRUE(Verify(Join(head)).ok);  // a shorter chain is still a chain

  const AuditVerifyResult result = Verify(Join(head), Anchor(5));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error,
            "the log ends at seq 3 but seq 5 was expected (lines removed from the end)");
  EXPECT_TRUE(Verify(Join(lines_), Anchor(5)).ok);
  EXPECT_TRUE(Verify(Join(lines_), Anchor(4)).ok);  // the log grew since
}

TEST_F(AuditVerifyTest, RewrittenChainNeedsTheAnchorHash) {
  // Whoever can write the file can edit line 2 and recompute every hash.
  std::vector<std::string> forged;
  std::string prev(kAuditGenesisHash);
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    AuditEvent event{
        "user" + std::to_string(seq), "127.0.0.1", "model.unload", "m", "denied", "r", ""};
    if (seq == 2) event.outcome = "allowed";
    forged.push_back(FormatAuditLine(event, seq, prev, std::chrono::system_clock::now()));
    prev = AuditLineHash(forged.back());
  }
  EXPECT_TRUE(Verify(Join(forged)).ok);
  const std::string anchor = AuditLineHash(lines_[4]);
  EXPECT_TRUE(Verify(Join(lines_), Anchor(5, anchor)).ok);
  const AuditVerifyResult result = Verify(Join(forged), Anchor(5, anchor));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error.rfind("line 5: hash ", 0), 0u) << result.first_error;
}

TEST_F(AuditVerifyTest, UnreadableFileIsReported) {
  const AuditVerifyResult result = VerifyAuditFile((dir_ / "missing.jsonl").string());
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.first_error.find("cannot open"), std::string::npos);
}

TEST_F(AuditVerifyTest, OverlongLineIsReported) {
  const std::string bytes = Join(lines_) + std::string(kMaxAuditLineBytes + 10, 'x') + "\n";
  const AuditVerifyResult result = Verify(bytes);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_error, "line 6: longer than 1 MiB");
  EXPECT_EQ(result.lines, 5u);
}

}  // namespace
}  // namespace inferd
