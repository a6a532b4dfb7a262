#include "jobs/job_rows.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace inferd::jobs {
namespace {

std::vector<std::string> Split(JobFormat format, std::string_view text, bool at_end,
                               size_t* used = nullptr) {
  std::vector<std::string_view> rows;
  const size_t n = SplitRows(format, text, at_end, rows);
  if (used) *used = n;
  return {rows.begin(), rows.end()};
}

TEST(JobRowsTest, JsonlLinesWithoutTheirEndsAndBlankLinesSkipped) {
  EXPECT_EQ(Split(JobFormat::kJsonl, "[1]\r\n\n  \n{\"a\": 2}\n[3]", true),
            (std::vector<std::string>{"[1]", "{\"a\": 2}", "[3]"}));
}

TEST(JobRowsTest, AnUnfinishedLastRowWaitsForMoreUnlessAtTheEnd) {
  size_t used = 0;
  EXPECT_EQ(Split(JobFormat::kJsonl, "[1]\n[2", false, &used), (std::vector<std::string>{"[1]"}));
  EXPECT_EQ(used, 4u);
  EXPECT_EQ(Split(JobFormat::kJsonl, "[1]\n[2", true, &used),
            (std::vector<std::string>{"[1]", "[2"}));
  EXPECT_EQ(used, 6u);
}

TEST(JobRowsTest, CsvRecordsKeepQuotedLineBreaks) {
  const std::string text = "a,\"line\nbreak\",\"say \"\"hi\"\"\"\r\nb,c,d\n";
  EXPECT_EQ(Split(JobFormat::kCsv, text, true),
            (std::vector<std::string>{"a,\"line\nbreak\",\"say \"\"hi\"\"\"", "b,c,d"}));
  // A JSONL line is cut at every line end, quotes or not.
  EXPECT_EQ(Split(JobFormat::kJsonl, "\"a\nb\"\n", true).size(), 2u);
}

TEST(JobRowsTest, AnUnterminatedQuoteTakesTheRestOnlyAtTheEnd) {
  size_t used = 0;
  EXPECT_TRUE(Split(JobFormat::kCsv, "a,\"open\nmore\n", false, &used).empty());
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(Split(JobFormat::kCsv, "a,\"open\nmore\n", true),
            (std::vector<std::string>{"a,\"open\nmore\n"}));
}

TEST(JobRowsTest, AStrayQuoteInsideAFieldDoesNotSwallowTheRowsAfterIt) {
  // Only a quote at a field's start opens a quoted field: `5"` is the CSV
  // reader's to refuse, in its own row.
  EXPECT_EQ(Split(JobFormat::kCsv, "a,5\"\nb,6\nc,7\n", true),
            (std::vector<std::string>{"a,5\"", "b,6", "c,7"}));
  // A quote that is escaped inside a quoted field does not close it.
  EXPECT_EQ(Split(JobFormat::kCsv, "\"x\"\"\ny\",1\nz,2\n", true),
            (std::vector<std::string>{"\"x\"\"\ny\",1", "z,2"}));
}

}  // namespace
}  // namespace inferd::jobs
