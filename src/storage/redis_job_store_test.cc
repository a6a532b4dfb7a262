// What the Redis job store does beyond the contract (job_store_test.cc):
// replicas sharing chunks, leases renewed and taken over, a Redis restart,
// and its addresses.
#include "storage/redis_job_store.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "storage/redis_test_util.h"

namespace inferd {
namespace {

using std::chrono::milliseconds;

TEST(RedisUrlTest, ParsesHostsSocketsCredentialsAndDatabases) {
  auto plain = ParseRedisUrl("redis://cache.local");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "cache.local");
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0);
  EXPECT_TRUE(plain->password.empty());

  auto full = ParseRedisUrl("redis://jobs:p%40ss@10.0.0.5:7000/3");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->user, "jobs");
  EXPECT_EQ(full->password, "p@ss");
  EXPECT_EQ(full->host, "10.0.0.5");
  EXPECT_EQ(full->port, 7000);
  EXPECT_EQ(full->db, 3);
  EXPECT_EQ(RedisEndpointName(*full), "redis://10.0.0.5:7000/3");  // no password

  auto password_only = ParseRedisUrl("redis://secret@[::1]:6380");
  ASSERT_TRUE(password_only.ok());
  EXPECT_TRUE(password_only->user.empty());
  EXPECT_EQ(password_only->password, "secret");
  EXPECT_EQ(password_only->host, "::1");
  EXPECT_EQ(password_only->port, 6380);

  auto socket = ParseRedisUrl("unix:///run/redis/redis.sock?db=2");
  ASSERT_TRUE(socket.ok());
  EXPECT_EQ(socket->socket_path, "/run/redis/redis.sock");
  EXPECT_EQ(socket->db, 2);

  for (const char* bad :
       {"http://x", "redis://", "redis://h:0", "redis://h:99999", "redis://h:12x", "redis://h/db",
        "redis://%zz@h", "redis://[::1", "unix://relative.sock", "unix:///s?x=1", "redis://h:1%"}) {
    EXPECT_EQ(ParseRedisUrl(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  // The password never reaches the error (which is logged).
  auto leaky = ParseRedisUrl("redis://app:s3cret@h:0");
  EXPECT_EQ(leaky.status().message().find("s3cret"), std::string::npos) << leaky.status().message();
  EXPECT_NE(leaky.status().message().find("redis://****@h:0"), std::string::npos);
  auto tls = ParseRedisUrl("rediss://h:6380");
  EXPECT_EQ(tls.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(tls.status().message().find("TLS"), std::string::npos);
}

// Whether nobody holds the job's reader lease; a Redis error fails the test.
bool ReaderGone(JobStore& store, std::string_view id) {
  auto gone = store.ReaderGone(id);
  EXPECT_TRUE(gone.ok()) << gone.status().message();
  return gone.ok() && *gone;
}

class RedisJobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<test_util::RedisTestServer>(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  std::unique_ptr<RedisJobStore> Replica(milliseconds lease) {
    RedisJobStoreOptions options;
    options.endpoint = server_->endpoint();
    options.lease = lease;
    options.timeout = milliseconds(1000);
    auto store = RedisJobStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  static void AddJob(JobStore& store, int64_t chunks) {
    JobRecord job;
    job.id = "j";
    job.spec.model = "logreg";
    ASSERT_TRUE(store.CreateJob(job).ok());
    std::vector<JobChunk> batch;
    for (int64_t i = 0; i < chunks; ++i) {
      JobChunk chunk;
      chunk.job_id = "j";
      chunk.index = i;
      chunk.first_row = i;
      chunk.rows = 1;
      chunk.text = "{\"x\":" + std::to_string(i) + "}\n";
      batch.push_back(chunk);
    }
    ASSERT_TRUE(store.AddChunks(batch).ok());
    ASSERT_TRUE(store.MarkValidated("j", chunks, chunks, 1).ok());
  }
  static std::vector<int64_t> Claim(JobStore& store, size_t max, milliseconds lease) {
    auto chunks = store.ClaimChunks("j", max, lease);
    EXPECT_TRUE(chunks.ok()) << chunks.status().message();
    std::vector<int64_t> indexes;
    if (chunks.ok()) {
      for (const JobChunk& c : *chunks) indexes.push_back(c.index);
    }
    return indexes;
  }
  static JobChunkResult Result(int64_t index, std::string line) {
    JobChunkResult r;
    r.job_id = "j";
    r.index = index;
    r.lines = std::move(line);
    r.completed = 1;
    return r;
  }
  std::unique_ptr<test_util::RedisTestServer> server_;
};

TEST_F(RedisJobStoreTest, ReplicasShareAJobsChunksWithoutOverlap) {
  auto a = Replica(milliseconds(30000));
  auto b = Replica(milliseconds(30000));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->consumer(), b->consumer());
  AddJob(*a, 6);
  const auto lease = milliseconds(30000);
  std::vector<int64_t> got_a = Claim(*a, 2, lease);
  std::vector<int64_t> got_b = Claim(*b, 10, lease);
  EXPECT_EQ(got_a, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(got_b, (std::vector<int64_t>{2, 3, 4, 5}));
  EXPECT_TRUE(Claim(*a, 10, lease).empty());
  // Either replica sees the job, and records what it ran.
  ASSERT_TRUE(b->CompleteChunks({Result(2, "b2\n")}).ok());
  ASSERT_TRUE(a->CompleteChunks({Result(0, "a0\n")}).ok());
  auto job = a->GetJob("j");
  ASSERT_TRUE(job.ok() && job->has_value());
  EXPECT_EQ((*job)->completed, 2);
  EXPECT_EQ(*b->PendingChunks("j"), 4);
  // A replica that stops gives its claims back at once.
  a->ReleaseClaims("j");
  EXPECT_EQ(Claim(*b, 10, lease), std::vector<int64_t>{1});
}

TEST_F(RedisJobStoreTest, AReplicaThatGoesSilentLosesItsChunksAfterTheLease) {
  const auto lease = milliseconds(300);
  auto a = Replica(lease);
  auto b = Replica(lease);
  ASSERT_TRUE(a && b);
  AddJob(*a, 3);
  EXPECT_EQ(Claim(*a, 2, lease), (std::vector<int64_t>{0, 1}));
  // A keeps renewing: past several leases, B still cannot take them.
  std::this_thread::sleep_for(lease * 3);
  EXPECT_EQ(Claim(*b, 10, lease), std::vector<int64_t>{2});
  // A dies (no release, no renewal): B takes its chunks once the lease runs out.
  a.reset();
  std::this_thread::sleep_for(lease + milliseconds(100));
  EXPECT_EQ(Claim(*b, 10, lease), (std::vector<int64_t>{0, 1}));
  ASSERT_TRUE(b->CompleteChunks({Result(0, "b0\n"), Result(1, "b1\n")}).ok());
  // A was only slow, and reports the same chunk late: it is recorded once.
  auto late = Replica(lease);
  ASSERT_TRUE(late->CompleteChunks({Result(0, "late0\n"), Result(2, "late2\n")}).ok());
  std::vector<std::string> lines;
  ASSERT_TRUE(b->ReadResults("j", [&](std::string_view l) {
                 lines.emplace_back(l);
                 return Status::Ok();
               }).ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"b0\n", "b1\n", "late2\n"}));
  auto job = b->GetJob("j");
  ASSERT_TRUE(job.ok() && job->has_value());
  EXPECT_EQ((*job)->completed, 3);
  EXPECT_EQ(*b->PendingChunks("j"), 0);
  EXPECT_TRUE(Claim(*b, 10, lease).empty());
}

TEST_F(RedisJobStoreTest, TheReplicaReadingAnInputHoldsALeaseThatRunsOutWhenItDies) {
  const auto lease = milliseconds(300);
  auto a = Replica(lease);
  auto b = Replica(lease);
  ASSERT_TRUE(a && b);
  JobRecord job;
  job.id = "j";
  job.spec.model = "logreg";
  job.state = JobState::kValidating;
  ASSERT_TRUE(a->CreateJob(job).ok());
  // A renews while it reads: past several leases B still sees a reader.
  std::this_thread::sleep_for(lease * 3);
  EXPECT_FALSE(ReaderGone(*b, "j"));
  // Done reading: the lease goes at once.
  a->ReleaseReading("j");
  EXPECT_TRUE(ReaderGone(*b, "j"));
  // A restarted replica takes it again while the job validates...
  ASSERT_TRUE(a->HoldReading("j").ok());
  EXPECT_FALSE(ReaderGone(*b, "j"));
  // ...and a replica that dies holding it loses it after the lease.
  a.reset();
  EXPECT_FALSE(ReaderGone(*b, "j"));
  std::this_thread::sleep_for(lease + milliseconds(100));
  EXPECT_TRUE(ReaderGone(*b, "j"));
  // Once the job is no longer validating, nobody takes it again.
  job.state = JobState::kFailed;
  ASSERT_TRUE(b->UpdateJob(job, JobState::kValidating).ok());
  EXPECT_EQ(b->HoldReading("j").code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(ReaderGone(*b, "j"));
  EXPECT_EQ(b->HoldReading("nope").code(), StatusCode::kNotFound);
  // A reader still renewing a job another replica failed does not take the
  // lease back; and deleting the job removes the lease with the rest.
  JobRecord other;
  other.id = "k";
  other.spec.model = "logreg";
  ASSERT_TRUE(b->CreateJob(other).ok());
  EXPECT_FALSE(ReaderGone(*b, "k"));
  auto c = Replica(lease);
  other.state = JobState::kFailed;
  ASSERT_TRUE(c->UpdateJob(other, JobState::kValidating).ok());
  std::this_thread::sleep_for(lease * 2);
  EXPECT_TRUE(ReaderGone(*c, "k"));
  ASSERT_TRUE(c->CreateJob([] {
                 JobRecord third;
                 third.id = "m";
                 third.spec.model = "logreg";
                 return third;
               }())
                  .ok());
  ASSERT_TRUE(c->DeleteJob("m").ok());
  RedisClient raw(server_->endpoint(), milliseconds(1000));
  auto left = raw.Command({"EXISTS", "inferd:job:m:reader"});
  ASSERT_TRUE(left.ok()) << left.status().message();
  EXPECT_EQ(left->integer, 0);
  EXPECT_FALSE(ReaderGone(*c, "m"));  // no job: nothing to fail
}

TEST_F(RedisJobStoreTest, ARedisRestartLosesNothingAndTheStoreReconnects) {
  auto store = Replica(milliseconds(30000));
  ASSERT_TRUE(store);
  AddJob(*store, 4);
  EXPECT_EQ(Claim(*store, 2, milliseconds(30000)), (std::vector<int64_t>{0, 1}));
  ASSERT_TRUE(store->CompleteChunks({Result(0, "r0\n")}).ok());

  server_->Stop();  // SIGKILL; the append-only file is fsynced on every write
  EXPECT_EQ(store->PendingChunks("j").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->CompleteChunks({Result(1, "r1\n")}).code(), StatusCode::kUnavailable);
  server_->Start();

  ASSERT_TRUE(store->CompleteChunks({Result(1, "r1\n")}).ok());
  EXPECT_EQ(*store->PendingChunks("j"), 2);
  EXPECT_EQ(Claim(*store, 10, milliseconds(30000)), (std::vector<int64_t>{2, 3}));
  auto job = store->GetJob("j");
  ASSERT_TRUE(job.ok() && job->has_value());
  EXPECT_EQ((*job)->completed, 2);
  EXPECT_EQ((*job)->state, JobState::kQueued);
}

TEST(RedisClientTest, ARedisThatDoesNotAnswerTimesOutWithTheReasonAndIsReachedAgainAfter) {
  test_util::RedisTestServer server("client_timeout");
  RedisClient client(server.endpoint(), milliseconds(300));
  ASSERT_TRUE(client.Command({"SET", "k", "v"}).ok());
  server.Pause();
  auto stalled = client.Command({"GET", "k"});
  server.Resume();
  ASSERT_EQ(stalled.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(stalled.status().message().find("did not answer within 300 ms"), std::string::npos)
      << stalled.status().message();
  // The stalled connection is dropped; the next call reconnects and is not
  // handed the stale reply.
  auto again = client.Command({"GET", "k"});
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->text, "v");
  auto fresh = client.Command({"ECHO", "fresh"});
  ASSERT_TRUE(fresh.ok()) << fresh.status().message();
  EXPECT_EQ(fresh->text, "fresh");
}

}  // namespace
}  // namespace inferd
