// The job store's contract, checked on both stores: SQLite (one process)
// and Redis (replicas sharing it; a real redis-server per test). What only
// one of them does is tested after, and in redis_job_store_test.cc.
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "storage/redis_job_store.h"
#include "storage/redis_test_util.h"
#include "storage/sqlite_db.h"
#include "storage/sqlite_job_store.h"

namespace inferd {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

class JobStoreFixture : public ::testing::Test {
 protected:
  explicit JobStoreFixture(std::string kind) : kind_(std::move(kind)) {}
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("inferd_job_store_" + std::to_string(::getpid()) + "_" + TestName());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    if (kind_ == "redis") {
      redis_ = std::make_unique<test_util::RedisTestServer>(TestName());
    }
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    redis_.reset();
    fs::remove_all(dir_);
  }
  fs::path path() const { return dir_ / "jobs.db"; }
  static std::string TestName() {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    return name;
  }
  // A new connection to the same store (for Redis, as another replica would).
  void Reopen() {
    store_.reset();
    if (kind_ == "redis") {
      RedisJobStoreOptions options;
      options.endpoint = redis_->endpoint();
      auto store = RedisJobStore::Open(options);
      ASSERT_TRUE(store.ok()) << store.status().message();
      store_ = std::move(store).value();
      return;
    }
    auto store = SqliteJobStore::Open(path(), true);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store).value();
  }

  static JobRecord Job(std::string id, int64_t created_ms = 1000) {
    JobRecord job;
    job.id = std::move(id);
    job.spec.model = "logreg";
    job.created_ms = created_ms;
    return job;
  }
  static JobChunk Chunk(const std::string& job, int64_t index, int64_t rows = 2) {
    JobChunk chunk;
    chunk.job_id = job;
    chunk.index = index;
    chunk.first_row = index * rows;
    chunk.rows = rows;
    for (int64_t r = 0; r < rows; ++r) {
      chunk.text += "{\"x\":" + std::to_string(chunk.first_row + r) + "}\n";
    }
    return chunk;
  }
  static JobChunkResult Result(const std::string& job, int64_t index, std::string lines,
                               int64_t completed, std::vector<int64_t> failed_rows = {},
                               std::vector<RowError> errors = {}) {
    JobChunkResult result;
    result.job_id = job;
    result.index = index;
    result.lines = std::move(lines);
    result.completed = completed;
    result.failed = static_cast<int64_t>(failed_rows.size());
    result.failed_rows = std::move(failed_rows);
    result.errors = std::move(errors);
    return result;
  }
  // A job "j" of `chunks` chunks of 2 rows, validated.
  void AddJob(int64_t chunks, const std::string& id = "j") {
    ASSERT_TRUE(store_->CreateJob(Job(id)).ok());
    std::vector<JobChunk> batch;
    for (int64_t i = 0; i < chunks; ++i) batch.push_back(Chunk(id, i));
    ASSERT_TRUE(store_->AddChunks(batch).ok());
    ASSERT_TRUE(store_->MarkValidated(id, chunks * 2, chunks, 2).ok());
  }
  std::vector<int64_t> Claim(size_t max, milliseconds lease = milliseconds(60000),
                             const std::string& id = "j") {
    auto chunks = store_->ClaimChunks(id, max, lease);
    EXPECT_TRUE(chunks.ok()) << chunks.status().message();
    std::vector<int64_t> indexes;
    if (chunks.ok()) {
      for (const JobChunk& chunk : *chunks) indexes.push_back(chunk.index);
    }
    return indexes;
  }
  JobRecord Get(const std::string& id = "j") {
    auto job = store_->GetJob(id);
    EXPECT_TRUE(job.ok() && job->has_value());
    return job.ok() && job->has_value() ? **job : JobRecord();
  }
  std::vector<std::string> Results(const std::string& id = "j") {
    std::vector<std::string> out;
    EXPECT_TRUE(store_
                    ->ReadResults(id,
                                  [&](std::string_view lines) {
                                    out.emplace_back(lines);
                                    return Status::Ok();
                                  })
                    .ok());
    return out;
  }

  const std::string kind_;
  fs::path dir_;
  std::unique_ptr<test_util::RedisTestServer> redis_;
  std::unique_ptr<JobStore> store_;
};

class JobStoreTest : public JobStoreFixture, public ::testing::WithParamInterface<std::string> {
 protected:
  JobStoreTest() : JobStoreFixture(GetParam()) {}
};

class SqliteJobStoreTest : public JobStoreFixture {
 protected:
  SqliteJobStoreTest() : JobStoreFixture("sqlite") {}
};

TEST_P(JobStoreTest, JobsRoundTripWithEveryField) {
  JobRecord job = Job("job-1", 2000);
  job.spec.version = "3";
  job.spec.input_format = JobFormat::kCsv;
  job.spec.output_format = JobFormat::kJsonl;
  job.spec.key_field = "user_id";
  job.spec.join_input = true;
  job.spec.owner = "team-a";
  job.spec.origin = "predict_batch";
  job.first_errors = {{4, 400, "bad\trow\nwith \\ escapes\r"}, {9, 500, ""}};
  ASSERT_TRUE(store_->CreateJob(job).ok());
  EXPECT_EQ(Get("job-1"), job);
  auto missing = store_->GetJob("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  JobRecord csv_out = Job("job-0", 1000);
  csv_out.spec.output_format = JobFormat::kCsv;
  ASSERT_TRUE(store_->CreateJob(csv_out).ok());
  ASSERT_TRUE(store_->CreateJob(Job("job-2", 2000)).ok());
  auto jobs = store_->ListJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 3u);
  EXPECT_EQ((*jobs)[0], csv_out);  // oldest first, then by id
  EXPECT_EQ((*jobs)[1], job);
  EXPECT_EQ((*jobs)[2].id, "job-2");

  JobRecord update = job;
  update.state = JobState::kFailed;
  update.error = "model gone";
  update.started_ms = 2500;
  update.finished_ms = 3000;
  update.completed = 77;  // counts and first errors are not the caller's to write
  update.failed = 5;
  update.total = 99;
  update.first_errors.clear();
  auto updated = store_->UpdateJob(update, JobState::kValidating);
  ASSERT_TRUE(updated.ok()) << updated.message();
  JobRecord want = job;
  want.state = JobState::kFailed;
  want.error = "model gone";
  want.started_ms = 2500;
  want.finished_ms = 3000;
  EXPECT_EQ(Get("job-1"), want);
  JobRecord nope = Job("nope");
  nope.state = JobState::kFailed;
  EXPECT_EQ(store_->UpdateJob(nope, JobState::kValidating).code(), StatusCode::kNotFound);
}

TEST_P(JobStoreTest, ADuplicateIdIsAlreadyExists) {
  ASSERT_TRUE(store_->CreateJob(Job("j", 1)).ok());
  EXPECT_EQ(store_->CreateJob(Job("j", 2)).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Get().created_ms, 1);
}

TEST_P(JobStoreTest, ChunksAreAddedAndTheJobValidated) {
  ASSERT_TRUE(store_->CreateJob(Job("j")).ok());
  ASSERT_TRUE(store_->AddChunks({Chunk("j", 0), Chunk("j", 1)}).ok());
  JobChunk last = Chunk("j", 2, 1);
  last.first_row = 4;
  last.text = "{\"x\":4}\n";
  ASSERT_TRUE(store_->AddChunks({last}).ok());
  EXPECT_EQ(Get().state, JobState::kValidating);
  ASSERT_TRUE(store_->MarkValidated("j", 5, 3, 2).ok());
  JobRecord job = Get();
  EXPECT_EQ(job.state, JobState::kQueued);
  EXPECT_EQ(job.total, 5);
  EXPECT_EQ(job.chunks, 3);
  EXPECT_EQ(job.chunk_rows, 2);
  EXPECT_EQ(*store_->PendingChunks("j"), 3);
  auto chunks = store_->ClaimChunks("j", 10, milliseconds(60000));
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 3u);
  EXPECT_EQ((*chunks)[2].first_row, 4);
  EXPECT_EQ((*chunks)[2].rows, 1);
  EXPECT_EQ((*chunks)[2].text, "{\"x\":4}\n");
  EXPECT_TRUE((*chunks)[2].only_rows.empty());
  EXPECT_TRUE((*chunks)[2].previous_results.empty());

  // A batch is one transaction; a chunk added again (a validation cut
  // short by a crash runs again) replaces the first.
  ASSERT_TRUE(store_->AddChunks({Chunk("j", 3), Chunk("j", 0)}).ok());
  EXPECT_EQ(*store_->PendingChunks("j"), 4);
  EXPECT_EQ(store_->AddChunks({Chunk("nope", 0)}).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->MarkValidated("nope", 1, 1, 1).code(), StatusCode::kNotFound);
}

TEST_P(JobStoreTest, ACsvChunkKeepsItsHeader) {
  JobRecord job = Job("j");
  job.spec.input_format = JobFormat::kCsv;
  ASSERT_TRUE(store_->CreateJob(job).ok());
  JobChunk chunk;
  chunk.job_id = "j";
  chunk.index = 0;
  chunk.rows = 2;
  chunk.header = "id,\"text, quoted\"";
  chunk.text = "1,\"a\nb\"\r\n2,c\r\n";
  ASSERT_TRUE(store_->AddChunks({chunk}).ok());
  Reopen();
  auto chunks = store_->ClaimChunks("j", 1, milliseconds(60000));
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 1u);
  EXPECT_EQ((*chunks)[0].header, chunk.header);
  EXPECT_EQ((*chunks)[0].text, chunk.text);
  EXPECT_EQ((*chunks)[0].rows, 2);
}

TEST_P(JobStoreTest, ClaimsAreDisjointAndComeBackWhenReleasedOrExpired) {
  AddJob(5);
  AddJob(2, "other");
  EXPECT_EQ(Claim(2), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(Claim(2), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(Claim(0), std::vector<int64_t>{});
  EXPECT_EQ(Claim(2), std::vector<int64_t>{4});
  EXPECT_EQ(Claim(2), std::vector<int64_t>{});

  // A claim runs out after its lease (a store's callers all pass one lease).
  AddJob(1, "short");
  EXPECT_EQ(Claim(2, milliseconds(1), "short"), std::vector<int64_t>{0});
  std::this_thread::sleep_for(milliseconds(5));
  EXPECT_EQ(Claim(2, milliseconds(1), "short"), std::vector<int64_t>{0});

  EXPECT_EQ(Claim(5, milliseconds(60000), "other"), (std::vector<int64_t>{0, 1}));
  store_->ReleaseClaims("j");
  EXPECT_EQ(Claim(10), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(Claim(5, milliseconds(60000), "other"), std::vector<int64_t>{});  // not released
  EXPECT_EQ(*store_->PendingChunks("j"), 5);  // claimed chunks are pending
  auto none = store_->ClaimChunks("nope", 5, milliseconds(100));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(JobStoreTest, ClaimsStepPastManyClaimedChunks) {
  AddJob(300);
  std::set<int64_t> seen;
  for (int round = 0; round < 3; ++round) {
    std::vector<int64_t> got = Claim(100);
    ASSERT_EQ(got.size(), 100u);
    EXPECT_EQ(got.front(), round * 100);
    seen.insert(got.begin(), got.end());
  }
  EXPECT_EQ(seen.size(), 300u);
  EXPECT_TRUE(Claim(100).empty());
}

TEST_P(JobStoreTest, DoneChunksAreNeverClaimed) {
  AddJob(3);
  EXPECT_EQ(Claim(2), (std::vector<int64_t>{0, 1}));
  ASSERT_TRUE(store_->CompleteChunks({Result("j", 1, "b\n", 2)}).ok());
  store_->ReleaseClaims("j");
  EXPECT_EQ(Claim(5), (std::vector<int64_t>{0, 2}));
  ASSERT_TRUE(store_->CompleteChunks({Result("j", 0, "a\n", 2), Result("j", 2, "c\n", 2)}).ok());
  store_->ReleaseClaims("j");
  EXPECT_TRUE(Claim(5).empty());
  EXPECT_EQ(*store_->PendingChunks("j"), 0);
}

TEST_P(JobStoreTest, CompletedChunksCountRowsAndKeepTheFirstErrors) {
  AddJob(3);
  ASSERT_EQ(Claim(3).size(), 3u);
  std::vector<RowError> later;
  for (int64_t row : {5, 4}) later.push_back({row, 400, "bad row " + std::to_string(row)});
  ASSERT_TRUE(store_->CompleteChunks({Result("j", 2, "x\nx\n", 0, {0, 1}, later)}).ok());
  JobRecord job = Get();
  EXPECT_EQ(job.completed, 0);
  EXPECT_EQ(job.failed, 2);
  ASSERT_EQ(job.first_errors.size(), 2u);
  EXPECT_EQ(job.first_errors[0].row, 4);  // sorted by row
  EXPECT_EQ(job.first_errors[1].row, 5);

  // Twelve more errors (made up beyond the chunk's rows, to fill the list),
  // one a row already listed: the first ten by row are kept, once each.
  std::vector<RowError> many;
  for (int64_t row : {30, 1, 12, 20, 5, 11, 15, 14, 13, 16, 17, 40}) {
    many.push_back({row, 500, "failed " + std::to_string(row)});
  }
  ASSERT_TRUE(
      store_->CompleteChunks({Result("j", 0, "a\na\n", 1, {1}, many), Result("j", 1, "b\nb\n", 2)})
          .ok());
  job = Get();
  EXPECT_EQ(job.completed, 3);
  EXPECT_EQ(job.failed, 3);
  std::vector<int64_t> rows;
  for (const RowError& e : job.first_errors) rows.push_back(e.row);
  EXPECT_EQ(rows, (std::vector<int64_t>{1, 4, 5, 11, 12, 13, 14, 15, 16, 17}));
  EXPECT_EQ(job.first_errors[2].message, "bad row 5");  // the one recorded first
  EXPECT_EQ(job.first_errors[2].status, 400);
}

TEST_P(JobStoreTest, CompletingAChunkTwiceKeepsTheFirstResults) {
  AddJob(2);
  ASSERT_TRUE(store_->CompleteChunks({Result("j", 0, "first\n", 1, {1}, {{1, 400, "x"}})}).ok());
  ASSERT_TRUE(store_
                  ->CompleteChunks({Result("j", 0, "second\n", 2, {}, {{0, 500, "y"}}),
                                    Result("j", 1, "other\n", 2)})
                  .ok());
  JobRecord job = Get();
  EXPECT_EQ(job.completed, 3);
  EXPECT_EQ(job.failed, 1);
  ASSERT_EQ(job.first_errors.size(), 1u);
  EXPECT_EQ(job.first_errors[0].row, 1);
  EXPECT_EQ(Results(), (std::vector<std::string>{"first\n", "other\n"}));
  // Results for an unknown chunk or job are dropped.
  EXPECT_TRUE(store_->CompleteChunks({Result("j", 7, "z\n", 2), Result("nope", 0, "z\n", 2)}).ok());
  EXPECT_EQ(Get().completed, 3);
}

TEST_P(JobStoreTest, RequeuedFailedRowsRunAgainAlone) {
  AddJob(3);
  ASSERT_TRUE(store_
                  ->CompleteChunks(
                      {Result("j", 0, "ok0\nbad1\n", 1, {1}, {{1, 500, "x"}}),
                       Result("j", 1, "ok2\nok3\n", 2),
                       Result("j", 2, "bad4\nbad5\n", 0, {0, 1}, {{4, 500, "y"}, {5, 500, "z"}})})
                  .ok());
  JobRecord job = Get();
  EXPECT_EQ(job.completed, 3);
  EXPECT_EQ(job.failed, 3);

  auto requeued = store_->RequeueFailedRows("j");
  ASSERT_TRUE(requeued.ok());
  EXPECT_EQ(*requeued, 3);
  job = Get();
  EXPECT_EQ(job.completed, 3);  // the requeued chunks' good rows still count
  EXPECT_EQ(job.failed, 0);
  EXPECT_TRUE(job.first_errors.empty());
  EXPECT_EQ(*store_->PendingChunks("j"), 2);
  // Requeued chunks keep their lines in the results until they are done
  // again (a retry cancelled midway loses no row).
  EXPECT_EQ(Results(), (std::vector<std::string>{"ok0\nbad1\n", "ok2\nok3\n", "bad4\nbad5\n"}));

  auto chunks = store_->ClaimChunks("j", 5, milliseconds(60000));
  ASSERT_TRUE(chunks.ok());
  ASSERT_EQ(chunks->size(), 2u);
  EXPECT_EQ((*chunks)[0].index, 0);
  EXPECT_EQ((*chunks)[0].only_rows, std::vector<int64_t>{1});
  EXPECT_EQ((*chunks)[0].previous_results, "ok0\nbad1\n");
  EXPECT_EQ((*chunks)[0].text, "{\"x\":0}\n{\"x\":1}\n");
  EXPECT_EQ((*chunks)[1].index, 2);
  EXPECT_EQ((*chunks)[1].only_rows, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ((*chunks)[1].previous_results, "bad4\nbad5\n");

  // The retry fixes row 1 and row 4; row 5 fails again.
  ASSERT_TRUE(store_
                  ->CompleteChunks({Result("j", 0, "ok0\nok1\n", 2),
                                    Result("j", 2, "ok4\nbad5\n", 1, {1}, {{5, 500, "z2"}})})
                  .ok());
  job = Get();
  EXPECT_EQ(job.completed, 5);
  EXPECT_EQ(job.failed, 1);
  ASSERT_EQ(job.first_errors.size(), 1u);
  EXPECT_EQ(job.first_errors[0].message, "z2");
  EXPECT_EQ(Results(), (std::vector<std::string>{"ok0\nok1\n", "ok2\nok3\n", "ok4\nbad5\n"}));

  EXPECT_EQ(*store_->RequeueFailedRows("j"), 1);
  auto again = store_->ClaimChunks("j", 5, milliseconds(60000));
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].only_rows, std::vector<int64_t>{1});
  EXPECT_EQ(store_->RequeueFailedRows("nope").status().code(), StatusCode::kNotFound);
}

TEST_P(JobStoreTest, ResultsComeInChunkOrderWithoutTheUndoneChunks) {
  AddJob(4);
  ASSERT_TRUE(store_
                  ->CompleteChunks({Result("j", 3, "d\n", 2), Result("j", 0, "a\n", 2),
                                    Result("j", 2, "c\n", 2)})
                  .ok());
  EXPECT_EQ(Results(), (std::vector<std::string>{"a\n", "c\n", "d\n"}));
  int calls = 0;
  Status stopped = store_->ReadResults("j", [&](std::string_view) {
    ++calls;
    return Unavailable("disk gone");
  });
  EXPECT_EQ(stopped.code(), StatusCode::kUnavailable);
  EXPECT_EQ(stopped.message(), "disk gone");
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(Results("nope").empty());
}

TEST_P(JobStoreTest, DeletingAJobRemovesItsChunksAndClaims) {
  AddJob(3);
  AddJob(1, "other");
  ASSERT_EQ(Claim(2).size(), 2u);
  ASSERT_TRUE(store_->CompleteChunks({Result("j", 0, "a\n", 2)}).ok());
  ASSERT_TRUE(store_->DeleteJob("j").ok());
  auto gone = store_->GetJob("j");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(*store_->PendingChunks("j"), 0);
  EXPECT_TRUE(Results().empty());
  EXPECT_TRUE(store_->DeleteJob("j").ok());  // absent: OK

  // A new job under the id starts with no chunks and no claims.
  ASSERT_TRUE(store_->CreateJob(Job("j")).ok());
  EXPECT_EQ(*store_->PendingChunks("j"), 0);
  ASSERT_TRUE(store_->AddChunks({Chunk("j", 0), Chunk("j", 1)}).ok());
  EXPECT_EQ(Claim(5), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(*store_->PendingChunks("other"), 1);
  EXPECT_EQ(store_->ListJobs()->size(), 2u);
}

TEST_P(JobStoreTest, AStateMovesOnlyFromTheStateItWasReadIn) {
  ASSERT_TRUE(store_->CreateJob(Job("j")).ok());
  JobRecord job = Get();
  // Moves `from` -> `to`; the state stored afterwards.
  const auto move = [&](JobState from, JobState to, StatusCode want = StatusCode::kOk) {
    job.state = to;
    EXPECT_EQ(store_->UpdateJob(job, from).code(), want)
        << JobStateName(from) << " -> " << JobStateName(to);
    return Get().state;
  };
  const auto kRefused = StatusCode::kFailedPrecondition;
  EXPECT_EQ(move(JobState::kValidating, JobState::kCancelling), JobState::kCancelling);
  // A replica that read the job before the cancel does not undo it.
  EXPECT_EQ(move(JobState::kQueued, JobState::kInProgress, kRefused), JobState::kCancelling);
  EXPECT_EQ(move(JobState::kInProgress, JobState::kFinalizing, kRefused), JobState::kCancelling);
  EXPECT_EQ(move(JobState::kFinalizing, JobState::kCompleted, kRefused), JobState::kCancelling);
  // Moves the state machine does not have are refused whatever is stored.
  EXPECT_EQ(move(JobState::kCancelling, JobState::kInProgress, kRefused), JobState::kCancelling);
  EXPECT_EQ(move(JobState::kCancelling, JobState::kCancelled), JobState::kCancelled);
  EXPECT_EQ(move(JobState::kCancelled, JobState::kCompleted, kRefused), JobState::kCancelled);
  // A retry queues a final job again; a replica still finishing the run
  // before it (it read finalizing) does not mark the retried job completed.
  EXPECT_EQ(move(JobState::kCancelled, JobState::kQueued), JobState::kQueued);
  EXPECT_EQ(move(JobState::kFinalizing, JobState::kCompleted, kRefused), JobState::kQueued);
  EXPECT_EQ(move(JobState::kFinalizing, JobState::kFailed, kRefused), JobState::kQueued);
  EXPECT_EQ(move(JobState::kQueued, JobState::kInProgress), JobState::kInProgress);
  EXPECT_EQ(move(JobState::kInProgress, JobState::kFinalizing), JobState::kFinalizing);
  job.finished_ms = 50;
  EXPECT_EQ(move(JobState::kFinalizing, JobState::kCompleted), JobState::kCompleted);
  job.finished_ms = 99;  // finished again (two replicas finalizing): the first stands
  EXPECT_EQ(move(JobState::kFinalizing, JobState::kCompleted, kRefused), JobState::kCompleted);
  EXPECT_EQ(Get().finished_ms, 50);
}

TEST_P(JobStoreTest, UnfinishedJobsAreListedWithoutTheFinishedOnes) {
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(store_->CreateJob(Job(id)).ok());
  const auto unfinished = [&] {
    auto jobs = store_->ListUnfinishedJobs();
    EXPECT_TRUE(jobs.ok()) << jobs.status().message();
    std::vector<std::string> ids;
    for (const JobRecord& job : *jobs) ids.push_back(job.id);
    return ids;
  };
  EXPECT_EQ(unfinished(), (std::vector<std::string>{"a", "b", "c"}));
  JobRecord b = Get("b");
  b.state = JobState::kCancelling;
  ASSERT_TRUE(store_->UpdateJob(b, JobState::kValidating).ok());
  b.state = JobState::kCancelled;
  ASSERT_TRUE(store_->UpdateJob(b, JobState::kCancelling).ok());
  EXPECT_EQ(unfinished(), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(store_->ListJobs()->size(), 3u);
  b.state = JobState::kQueued;  // a retry
  ASSERT_TRUE(store_->UpdateJob(b, JobState::kCancelled).ok());
  EXPECT_EQ(unfinished(), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_TRUE(store_->DeleteJob("a").ok());
  EXPECT_EQ(unfinished(), (std::vector<std::string>{"b", "c"}));
}

TEST_P(JobStoreTest, AJobCancelledWhileValidatingIsNotQueuedByItsValidation) {
  ASSERT_TRUE(store_->CreateJob(Job("j")).ok());
  ASSERT_TRUE(store_->AddChunks({Chunk("j", 0)}).ok());
  JobRecord job = Get();
  job.state = JobState::kCancelling;
  ASSERT_TRUE(store_->UpdateJob(job, JobState::kValidating).ok());
  EXPECT_EQ(store_->MarkValidated("j", 2, 1, 2).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Get().state, JobState::kCancelling);
}

TEST_P(JobStoreTest, AChunkOfAStoppingJobIsNotRecorded) {
  AddJob(3);
  ASSERT_TRUE(store_->CompleteChunks({Result("j", 0, "a\n", 2)}).ok());
  JobRecord job = Get();
  job.state = JobState::kCancelling;
  ASSERT_TRUE(store_->UpdateJob(job, JobState::kQueued).ok());
  ASSERT_TRUE(store_->CompleteChunks({Result("j", 1, "b\n", 2)}).ok());
  EXPECT_EQ(Get().completed, 2);
  EXPECT_EQ(*store_->PendingChunks("j"), 2);
  EXPECT_EQ(Results(), std::vector<std::string>{"a\n"});
}

INSTANTIATE_TEST_SUITE_P(Stores, JobStoreTest, ::testing::Values("sqlite", "redis"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST_F(SqliteJobStoreTest, OpeningWithoutCreateFindsNothing) {
  auto store = SqliteJobStore::Open(dir_ / "none.db", false);
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_ / "none.db"));
}

TEST_F(SqliteJobStoreTest, ReopeningKeepsEverythingAndNoClaims) {
  AddJob(3);
  ASSERT_EQ(Claim(3).size(), 3u);
  ASSERT_TRUE(store_->CompleteChunks({Result("j", 1, "b\n", 1, {0}, {{2, 400, "no"}})}).ok());
  JobRecord job = Get();
  job.state = JobState::kInProgress;
  job.started_ms = 1234;
  ASSERT_TRUE(store_->UpdateJob(job, JobState::kQueued).ok());
  job = Get();
  Reopen();
  EXPECT_EQ(Get(), job);
  EXPECT_EQ(*store_->PendingChunks("j"), 2);
  EXPECT_EQ(Claim(5), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(Results(), std::vector<std::string>{"b\n"});
}

TEST_P(JobStoreTest, AChunkInTheInputFileComesBackWithItsPlaceOrItsText) {
  ASSERT_TRUE(store_->CreateJob(Job("j")).ok());
  JobChunk chunk = Chunk("j", 0);
  chunk.input_offset = 17;
  chunk.input_bytes = 40;
  chunk.input_digest = 0xF00DFACECAFEBEEFull;  // above INT64_MAX: stored bit for bit
  const Status added = store_->AddChunks({chunk});
  ASSERT_TRUE(added.ok()) << added.message();
  ASSERT_TRUE(store_->MarkValidated("j", 2, 1, 2).ok());
  auto claimed = store_->ClaimChunks("j", 1, milliseconds(60000));
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
  const JobChunk& back = claimed->front();
  if (kind_ == "sqlite") {
    // The store on this machine keeps where the rows are, not the rows.
    EXPECT_EQ(back.text, "");
    EXPECT_EQ(back.input_offset, 17);
    EXPECT_EQ(back.input_bytes, 40);
    EXPECT_EQ(back.input_digest, 0xF00DFACECAFEBEEFull);
  } else {
    // A shared store's replicas may not have the file: the rows travel.
    EXPECT_EQ(back.text, chunk.text);
    EXPECT_EQ(back.input_offset, -1);
  }
}

TEST_F(SqliteJobStoreTest, ADatabaseFromBeforeInputRangesGetsThemAndKeepsItsChunks) {
  store_.reset();
  fs::remove(path());
  {
    // job_chunks as it was made before chunks kept their place in the input.
    auto old = SqliteDb::Open(path(), "job database", true, R"sql(
CREATE TABLE jobs (id TEXT PRIMARY KEY NOT NULL, model TEXT NOT NULL, version TEXT NOT NULL,
  input_format TEXT NOT NULL, output_format TEXT NOT NULL, key_field TEXT NOT NULL,
  join_input INTEGER NOT NULL, owner TEXT NOT NULL, origin TEXT NOT NULL, state TEXT NOT NULL,
  total INTEGER NOT NULL DEFAULT 0, completed INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0, chunk_rows INTEGER NOT NULL DEFAULT 0,
  chunks INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL DEFAULT 0,
  started_ms INTEGER NOT NULL DEFAULT 0, finished_ms INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '', first_errors TEXT NOT NULL DEFAULT '') WITHOUT ROWID;
CREATE TABLE job_chunks (job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL, first_row INTEGER NOT NULL, rows INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0, retry INTEGER NOT NULL DEFAULT 0,
  completed INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
  failed_rows TEXT NOT NULL DEFAULT '', header TEXT NOT NULL DEFAULT '', input TEXT NOT NULL,
  results TEXT NOT NULL DEFAULT '', PRIMARY KEY (job_id, idx));
INSERT INTO jobs (id, model, version, input_format, output_format, key_field, join_input,
  owner, origin, state, total, chunk_rows, chunks)
  VALUES ('j', 'logreg', '', 'jsonl', 'jsonl', '', 0, '', 'api', 'queued', 1, 1, 1);
INSERT INTO job_chunks (job_id, idx, first_row, rows, input) VALUES ('j', 0, 0, 1, '[1]
');
)sql",
                              "job_chunks");
    ASSERT_TRUE(old.ok()) << old.status().message();
  }
  Reopen();
  auto claimed = store_->ClaimChunks("j", 1, milliseconds(60000));
  ASSERT_TRUE(claimed.ok()) << claimed.status().message();
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().text, "[1]\n");
  EXPECT_EQ(claimed->front().input_offset, -1);
  JobChunk next = Chunk("j", 1, 1);
  next.input_offset = 4;
  next.input_bytes = 3;
  EXPECT_TRUE(store_->AddChunks({next}).ok());
  Reopen();  // the columns are added once
  EXPECT_EQ(Get().state, JobState::kQueued);
}

}  // namespace
}  // namespace inferd
