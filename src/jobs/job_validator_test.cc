// Validation's chunks against the file they came from: each chunk's place in
// the input, read back (LoadChunkText), gives exactly the text validation cut,
// across a byte order mark, CRLF line ends, blank lines, a CSV field with a
// line break, and rows that straddle the 1 MiB read blocks.
#include "jobs/job_validator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "jobs/job_rows.h"

namespace inferd::jobs {
namespace {

// Keeps the chunks validation adds; validation calls nothing else.
class ChunkList final : public JobStore {
 public:
  std::vector<JobChunk> chunks;

  Status AddChunks(const std::vector<JobChunk>& added) override {
    chunks.insert(chunks.end(), added.begin(), added.end());
    return Status::Ok();
  }
  Status CreateJob(const JobRecord&) override { return Unused(); }
  Status MarkValidated(std::string_view, int64_t, int64_t, int64_t) override { return Unused(); }
  StatusOr<std::optional<JobRecord>> GetJob(std::string_view) override { return Unused(); }
  StatusOr<std::vector<JobRecord>> ListJobs() override { return Unused(); }
  StatusOr<std::vector<JobRecord>> ListUnfinishedJobs() override { return Unused(); }
  Status UpdateJob(const JobRecord&, JobState) override { return Unused(); }
  StatusOr<std::vector<JobChunk>> ClaimChunks(std::string_view, size_t,
                                              std::chrono::milliseconds) override {
    return Unused();
  }
  void ReleaseClaims(std::string_view) override {}
  Status CompleteChunks(const std::vector<JobChunkResult>&) override { return Unused(); }
  StatusOr<int64_t> PendingChunks(std::string_view) override { return Unused(); }
  StatusOr<int64_t> RequeueFailedRows(std::string_view) override { return Unused(); }
  Status ReadResults(std::string_view, const std::function<Status(std::string_view)>&) override {
    return Unused();
  }
  Status DeleteJob(std::string_view) override { return Unused(); }

 private:
  static Status Unused() { return Internal("validation does not call this"); }
};

class ValidatorRangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("inferd_validator_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // Validates `bytes` as `format` in chunks of `chunk_rows`, then reads every
  // chunk back from its place in the file.
  void RoundTrip(JobFormat format, const std::string& bytes, int64_t chunk_rows,
                 int64_t expected_rows) {
    std::ofstream(path_, std::ios::binary) << bytes;
    JobRecord job;
    job.id = "j";
    job.spec.input_format = format;
    job.chunk_rows = chunk_rows;
    ModelSignature signature;
    TensorSpec x;
    x.name = "x";
    x.dtype = DataType::kFp32;
    x.shape = {-1, 2};
    signature.inputs.push_back(x);
    ChunkList store;
    std::atomic<bool> stop{false};
    auto validated = ValidateInput(job, signature, path_, store, stop);
    ASSERT_TRUE(validated.ok()) << validated.status().message();
    EXPECT_EQ(validated->rows, expected_rows);
    EXPECT_EQ(validated->file_digest, *InputFileDigest(path_));
    ASSERT_EQ(static_cast<int64_t>(store.chunks.size()), validated->chunks);
    int64_t rows = 0;
    for (JobChunk chunk : store.chunks) {
      const std::string cut = chunk.text;
      EXPECT_EQ(chunk.first_row, rows);
      rows += chunk.rows;
      chunk.text.clear();
      const Status read = LoadChunkText(format, path_, chunk);
      ASSERT_TRUE(read.ok()) << "chunk " << chunk.index << ": " << read.message();
      EXPECT_EQ(chunk.text, cut) << "chunk " << chunk.index;
    }
    EXPECT_EQ(rows, expected_rows);
  }

  std::filesystem::path path_;
};

TEST_F(ValidatorRangesTest, JsonlWithAByteOrderMarkCrlfAndBlankLines) {
  RoundTrip(JobFormat::kJsonl, "\xEF\xBB\xBF[1, 2]\r\n\r\n[3, 4]\n  \n[5, 6]\r\n[7, 8]", 2, 4);
}

TEST_F(ValidatorRangesTest, CsvWithALineBreakInAFieldAcrossTheReadBlocks) {
  // Rows of about 100 bytes, so that 1 MiB blocks end inside rows, and a
  // quoted field with a line break in every 97th.
  std::string bytes = "\xEF\xBB\xBFx,note\r\n";
  int64_t rows = 0;
  while (bytes.size() < 3 * kInputBlock) {
    const std::string note =
        rows % 97 == 0 ? "\"two\r\nlines, " + std::string(80, 'q') + "\"" : std::string(90, 'n');
    bytes += std::to_string(rows) + "," + note + "\r\n";
    if (rows % 31 == 0) bytes += "\r\n";  // a blank record
    ++rows;
  }
  RoundTrip(JobFormat::kCsv, bytes, 1000, rows);
}

TEST_F(ValidatorRangesTest, TheFileDigestFollowsEveryByte) {
  std::ofstream(path_, std::ios::binary) << std::string(kInputBlock + 5, 'a');
  const uint64_t before = *InputFileDigest(path_);
  std::ofstream(path_, std::ios::binary) << std::string(kInputBlock + 4, 'a') + "b";
  EXPECT_NE(*InputFileDigest(path_), before);
  std::filesystem::remove(path_);
  EXPECT_FALSE(InputFileDigest(path_).ok());
}

}  // namespace
}  // namespace inferd::jobs
