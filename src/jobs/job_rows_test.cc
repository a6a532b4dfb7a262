#include "jobs/job_rows.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
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

TEST(JobRowsTest, DigestsTellTextsApart) {
  EXPECT_EQ(ChunkTextDigest("{\"x\":1}\n"), ChunkTextDigest("{\"x\":1}\n"));
  EXPECT_NE(ChunkTextDigest("{\"x\":1}\n"), ChunkTextDigest("{\"x\":2}\n"));
  EXPECT_NE(ChunkTextDigest("a"), ChunkTextDigest(std::string("a\0", 2)));
  EXPECT_NE(ChunkTextDigest(""), ChunkTextDigest("\n"));
  // Every byte of a long text counts, in its place.
  std::string text(1000, 'a');
  const uint64_t base = ChunkTextDigest(text);
  for (size_t i = 0; i < text.size(); i += 37) {
    std::string changed = text;
    changed[i] = 'b';
    EXPECT_NE(ChunkTextDigest(changed), base) << i;
  }
}

class LoadChunkTextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("inferd_chunk_text_" + std::to_string(::getpid()) + ".csv");
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void Write(const std::string& bytes) { std::ofstream(path_, std::ios::binary) << bytes; }
  // The chunk of rows 1-2 of kFile as validation cuts it: from its first
  // row to the end of its last, the text its rows each ended by '\n'.
  JobChunk Chunk() const {
    JobChunk chunk;
    chunk.index = 1;
    chunk.first_row = 1;
    chunk.rows = 2;
    chunk.input_offset = static_cast<int64_t>(std::string_view(kFile).find("2,\"b"));
    chunk.input_bytes =
        static_cast<int64_t>(std::string_view(kFile).find("\r\n4")) - chunk.input_offset;
    chunk.input_digest = ChunkTextDigest(kText);
    return chunk;
  }
  static constexpr char kFile[] = "a,b\r\n1,x\r\n2,\"b\r\nc\"\r\n\r\n3,y\r\n4,z\r\n";
  static constexpr char kText[] = "2,\"b\r\nc\"\n3,y\n";
  std::filesystem::path path_;
};

TEST_F(LoadChunkTextTest, TheRowsComeBackAsValidationJoinedThem) {
  Write(kFile);
  JobChunk chunk = Chunk();
  ASSERT_TRUE(LoadChunkText(JobFormat::kCsv, path_, chunk).ok());
  EXPECT_EQ(chunk.text, kText);
}

TEST_F(LoadChunkTextTest, AChunkWithItsTextIsLeftAsItIs) {
  JobChunk chunk = Chunk();
  chunk.text = "kept\n";
  ASSERT_TRUE(LoadChunkText(JobFormat::kCsv, path_ / "none", chunk).ok());
  EXPECT_EQ(chunk.text, "kept\n");
}

TEST_F(LoadChunkTextTest, AFileChangedOrCutOrGoneFailsThePrecondition) {
  for (const std::string& changed :
       {std::string("a,b\r\n1,x\r\n2,\"B\r\nc\"\r\n\r\n3,y\r\n4,z\r\n"), std::string("a,b\r\n1,x"),
        std::string("a,b\r\n1,x\r\n2,\"b\r\nc\"\r\n\r\n3\r\ny\r\n4,z\r\n")}) {
    Write(changed);
    JobChunk chunk = Chunk();
    const Status s = LoadChunkText(JobFormat::kCsv, path_, chunk);
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << changed;
    EXPECT_NE(s.message().find("rows 1 to 2"), std::string::npos) << s.message();
    EXPECT_EQ(chunk.text, "");
  }
  std::filesystem::remove(path_);
  JobChunk chunk = Chunk();
  EXPECT_EQ(LoadChunkText(JobFormat::kCsv, path_, chunk).code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace inferd::jobs
