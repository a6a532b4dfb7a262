#include "observability/audit_line.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace inferd {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

const system_clock::time_point kTime{milliseconds(1714566896789)};  // 2024-05-01T12:34:56.789Z

const std::string kGoodPrev(64, 'a');

TEST(AuditLineTest, FormatsFieldsInOrder) {
  const std::string line =
      FormatAuditLine({"alice", "10.0.0.1", "model.load", "resnet", "allowed", "req-1", "x"}, 7,
                      kAuditGenesisHash, kTime);
  EXPECT_EQ(line,
            "{\"time\":\"2024-05-01T12:34:56.789Z\",\"seq\":7,\"identity\":\"alice\","
            "\"client\":\"10.0.0.1\",\"action\":\"model.load\",\"target\":\"resnet\","
            "\"outcome\":\"allowed\",\"request_id\":\"req-1\",\"detail\":\"x\",\"prev\":\"" +
                std::string(kAuditGenesisHash) + "\"}");
}

TEST(AuditLineTest, FormatsTimeWithMilliseconds) {
  EXPECT_EQ(FormatAuditTime(system_clock::time_point{milliseconds(5)}), "1970-01-01T00:00:00.005Z");
  EXPECT_EQ(FormatAuditTime(kTime), "2024-05-01T12:34:56.789Z");
}

TEST(AuditLineTest, HashIsSha256Hex) {
  EXPECT_EQ(AuditLineHash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(AuditLineHash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(AuditLineTest, ParsesWhatItFormats) {
  const AuditEvent event{"a\"b", "c\n", "act", "t\\", "ok", "r", ""};
  auto parsed = ParseAuditLine(FormatAuditLine(event, 42, kGoodPrev, kTime));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->seq, 42u);
  EXPECT_EQ(parsed->time, "2024-05-01T12:34:56.789Z");
  EXPECT_EQ(parsed->prev, kGoodPrev);
  EXPECT_EQ(parsed->event.identity, "a\"b");
  EXPECT_EQ(parsed->event.client, "c\n");
  EXPECT_EQ(parsed->event.target, "t\\");
  EXPECT_EQ(parsed->event.detail, "");
}

// A line that passes, with `field` replaced by `replacement` (raw JSON).
std::string LineWith(const std::string& field, const std::string& replacement) {
  std::string line = FormatAuditLine({"u", "c", "a", "t", "o", "r", "d"}, 3, kGoodPrev, kTime);
  const std::string key = "\"" + field + "\":";
  const size_t start = line.find(key);
  const size_t value = start + key.size();
  size_t end = value;
  if (line[value] == '"') {
    end = line.find('"', value + 1) + 1;
  } else {
    while (line[end] != ',' && line[end] != '}') ++end;
  }
  return line.substr(0, value) + replacement + line.substr(end);
}

std::string ParseError(const std::string& line) {
  auto parsed = ParseAuditLine(line);
  return parsed.ok() ? "ok" : parsed.status().message();
}

TEST(AuditLineTest, RejectsMalformedLines) {
  EXPECT_EQ(ParseError(LineWith("seq", "3")), "ok");
  EXPECT_EQ(ParseError(LineWith("seq", "0")), "\"seq\" is not a positive integer");
  EXPECT_EQ(ParseError(LineWith("seq", "-1")), "\"seq\" is not a positive integer");
  EXPECT_EQ(ParseError(LineWith("seq", "3.0")), "\"seq\" is not a positive integer");
  EXPECT_EQ(ParseError(LineWith("seq", "\"3\"")), "\"seq\" is not a positive integer");
  EXPECT_EQ(ParseError(LineWith("identity", "1")), "\"identity\" is not a string");
  EXPECT_EQ(ParseError(LineWith("detail", "null")), "\"detail\" is not a string");
  EXPECT_EQ(ParseError(LineWith("time", "\"2024-05-01 12:34:56Z\"")),
            "\"time\" is not YYYY-MM-DDTHH:MM:SS.mmmZ");
  EXPECT_EQ(ParseError(LineWith("prev", "\"" + std::string(64, 'A') + "\"")),
            "\"prev\" is not 64 lowercase hex digits");
  EXPECT_EQ(ParseError(LineWith("prev", "\"abc\"")), "\"prev\" is not 64 lowercase hex digits");
  EXPECT_EQ(ParseError(LineWith("client", "\"x\",\"extra\":\"y\"")), "unknown field \"extra\"");
  EXPECT_EQ(ParseError(LineWith("client", "\"x\",\"identity\":\"y\"")),
            "duplicate field \"identity\"");
  EXPECT_EQ(ParseError("[1]"), "not a JSON object");
  EXPECT_EQ(ParseError("{\"seq\":1}"), "missing field \"time\"");
  EXPECT_EQ(ParseError(LineWith("client", "\"\xff\"")).rfind("not valid JSON", 0), 0u);
  EXPECT_EQ(ParseError(LineWith("seq", "3") + "{").rfind("not valid JSON", 0), 0u);
  EXPECT_EQ(ParseError(std::string(100000, '[')).rfind("not valid JSON", 0), 0u);
}

TEST(AuditLineTest, DetailIsOptional) {
  const std::string line = FormatAuditLine({"u", "c", "a", "t", "o", "r", ""}, 1, kGoodPrev, kTime);
  EXPECT_EQ(line.find("detail"), std::string::npos);
  EXPECT_EQ(ParseError(line), "ok");
}

}  // namespace
}  // namespace inferd
