#include "observability/audit_log.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "observability/audit_verify.h"

namespace inferd {
namespace {

namespace fs = std::filesystem;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "inferd_audit_log_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "audit.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<AuditLog> OpenOrDie(AuditLogOptions options = {}) {
    auto log = AuditLog::Open(path_, options);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(log).value() : nullptr;
  }

  std::string ReadAll() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void WriteAll(const std::string& bytes) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  std::vector<std::string> Lines() const {
    std::vector<std::string> lines;
    std::istringstream in(ReadAll());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  fs::path dir_;
  std::string path_;
};

AuditEvent Event(int i) {
  return AuditEvent{"user" + std::to_string(i),
                    "10.0.0.1:5000",
                    "model.load",
                    "resnet",
                    "allowed",
                    "req-" + std::to_string(i),
                    ""};
}

TEST_F(AuditLogTest, AppendsAChainThatVerifies) {
  auto log = OpenOrDie();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_seq(), 0u);
  EXPECT_EQ(log->last_hash(), kAuditGenesisHash);
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(log->Append(Event(i)).ok());
  EXPECT_EQ(log->last_seq(), 5u);

  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 5u);
  auto first = ParseAuditLine(lines[0]);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->seq, 1u);
  EXPECT_EQ(first->prev, kAuditGenesisHash);
  EXPECT_EQ(first->event.identity, "user1");
  EXPECT_EQ(first->event.request_id, "req-1");
  EXPECT_EQ(lines[0].find("\"detail\""), std::string::npos);
  EXPECT_EQ(lines[0].rfind("{\"time\":\"", 0), 0u);

  const AuditVerifyResult result = VerifyAuditFile(path_);
  EXPECT_TRUE(result.ok) << result.first_error;
  EXPECT_EQ(result.lines, 5u);
  EXPECT_EQ(result.last_seq, 5u);
  EXPECT_EQ(result.last_hash, log->last_hash());
  EXPECT_EQ(result.last_hash, AuditLineHash(lines[4]));
}

TEST_F(AuditLogTest, CreatesTheFileOwnerOnly) {
  auto log = OpenOrDie();
  ASSERT_NE(log, nullptr);
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u);
  EXPECT_EQ(st.st_mode & 0600, 0600u);
}

TEST_F(AuditLogTest, ReopenContinuesTheChain) {
  {
    auto log = OpenOrDie();
    ASSERT_NE(log, nullptr);
    for (int i = 1; i <= 5; ++i) ASSERT_TRUE(log->Append(Event(i)).ok());
  }
  const std::string line5 = Lines().at(4);
  auto log = OpenOrDie();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_seq(), 5u);
  EXPECT_EQ(log->last_hash(), AuditLineHash(line5));
  ASSERT_TRUE(log->Append(Event(6)).ok());
  ASSERT_TRUE(log->Append(Event(7)).ok());

  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 7u);
  auto sixth = ParseAuditLine(lines[5]);
  ASSERT_TRUE(sixth.ok());
  EXPECT_EQ(sixth->seq, 6u);
  EXPECT_EQ(sixth->prev, AuditLineHash(line5));
  const AuditVerifyResult result = VerifyAuditFile(path_);
  EXPECT_TRUE(result.ok) << result.first_error;
  EXPECT_EQ(result.lines, 7u);
}

TEST_F(AuditLogTest, HostileStringsStayOneValidJsonLine) {
  auto log = OpenOrDie();
  ASSERT_NE(log, nullptr);
  AuditEvent event = Event(1);
  event.identity = "a\"b\\c\nd\re\tf";
  event.target = std::string("nul\0ctl\x01\x1f\x7f", 10);
  event.detail =
      "bad\xff utf8 \xe2\x82 cut, \xc0\xaf overlong, \xed\xa0\x80 surrogate, ok: "
      "\xc3\xa9\xe2\x82\xac";
  ASSERT_TRUE(log->Append(event).ok());

  const std::string bytes = ReadAll();
  ASSERT_EQ(std::count(bytes.begin(), bytes.end(), '\n'), 1);
  const std::string line = bytes.substr(0, bytes.size() - 1);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(line.data(), line.size());
  ASSERT_FALSE(doc.HasParseError()) << line;

  auto parsed = ParseAuditLine(line);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->event.identity, event.identity);
  EXPECT_EQ(parsed->event.target, event.target);
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(parsed->event.detail, "bad" + fffd + " utf8 " + fffd + fffd + " cut, " + fffd + fffd +
                                      " overlong, " + fffd + fffd + fffd +
                                      " surrogate, ok: \xc3\xa9\xe2\x82\xac");
  EXPECT_TRUE(VerifyAuditFile(path_).ok);
}

TEST_F(AuditLogTest, CutsLongFields) {
  auto log = OpenOrDie();
  ASSERT_NE(log, nullptr);
  AuditEvent event = Event(1);
  event.target = std::string(kMaxAuditFieldBytes - 1, 'x') + "\xc3\xa9" + "tail";
  ASSERT_TRUE(log->Append(event).ok());
  auto parsed = ParseAuditLine(Lines().at(0));
  ASSERT_TRUE(parsed.ok());
  // The two-byte character would straddle the limit: cut before it.
  EXPECT_EQ(parsed->event.target, std::string(kMaxAuditFieldBytes - 1, 'x'));
}

TEST_F(AuditLogTest, ConcurrentAppendsKeepTheChain) {
  auto log = OpenOrDie();
  ASSERT_NE(log, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 200; ++i) {
        AuditEvent event = Event(i);
        event.client = "thread-" + std::to_string(t);
        EXPECT_TRUE(log->Append(event).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const AuditVerifyResult result = VerifyAuditFile(path_);
  EXPECT_TRUE(result.ok) << result.first_error;
  EXPECT_EQ(result.lines, 800u);
  EXPECT_EQ(result.last_seq, 800u);
  EXPECT_EQ(log->last_seq(), 800u);
}

TEST_F(AuditLogTest, SyncOptionWrites) {
  auto log = OpenOrDie(AuditLogOptions{.sync = true});
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(log->Append(Event(1)).ok());
  EXPECT_TRUE(VerifyAuditFile(path_).ok);
}

TEST_F(AuditLogTest, RefusesADamagedLastLine) {
  {
    auto log = OpenOrDie();
    ASSERT_NE(log, nullptr);
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(log->Append(Event(i)).ok());
  }
  const std::string good = ReadAll();
  for (const std::string& damaged : {good + "not json\n", good + "\n", good + "{\"seq\":4}\n",
                                     good.substr(0, good.size() - 1),                // newline lost
                                     good.substr(0, good.size() - 10),               // cut mid-line
                                     good.substr(0, good.size() - 3) + "X\"}\n"}) {  // prev edited
    WriteAll(damaged);
    auto log = AuditLog::Open(path_);
    ASSERT_FALSE(log.ok()) << damaged;
    EXPECT_EQ(log.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(log.status().message().find("audit verify"), std::string::npos);
    EXPECT_EQ(ReadAll(), damaged);  // left untouched
  }
}

TEST_F(AuditLogTest, RefusesAFileOfOnlyANewline) {
  WriteAll("\n");
  EXPECT_FALSE(AuditLog::Open(path_).ok());
}

TEST_F(AuditLogTest, OpensAnExistingEmptyFile) {
  WriteAll("");
  auto log = OpenOrDie();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_seq(), 0u);
}

TEST_F(AuditLogTest, OneWriterAtATime) {
  auto first = OpenOrDie();
  ASSERT_NE(first, nullptr);
  auto second = AuditLog::Open(path_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  first.reset();
  EXPECT_TRUE(AuditLog::Open(path_).ok());
}

TEST_F(AuditLogTest, RefusesWhatIsNotARegularFile) {
  auto dir = AuditLog::Open(dir_.string());
  EXPECT_FALSE(dir.ok());
  auto missing = AuditLog::Open((dir_ / "no" / "such" / "dir.jsonl").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace inferd
