#include "storage/sqlite_api_key_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

namespace inferd {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT0 = 1'700'000'000;

class SqliteApiKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("inferd_api_key_store_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = dir_ / "inferd.db";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<SqliteApiKeyStore> OpenStore(
      std::chrono::milliseconds busy = std::chrono::milliseconds(100)) {
    SqliteApiKeyStore::Options options;
    options.busy_timeout = busy;
    options.clock = [this] { return now_.load(); };
    auto store = SqliteApiKeyStore::Open(path_, options);
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  static NewApiKey Spec(std::string name = "ci", RoleSet roles = {Role::kInfer}) {
    NewApiKey spec;
    spec.name = std::move(name);
    spec.roles = roles;
    return spec;
  }

  // Creates a key and returns its text.
  static std::string CreateKey(ApiKeyStore& store, const NewApiKey& spec) {
    std::string text;
    auto record = store.Create(spec, &text);
    EXPECT_TRUE(record.ok()) << record.status().message();
    return text;
  }

  static void ExpectRefused(ApiKeyStore& store, std::string_view text, std::string_view reason,
                            int64_t now = kT0) {
    auto auth = store.Authenticate(text, now);
    ASSERT_FALSE(auth.ok());
    EXPECT_EQ(auth.status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(auth.status().message(), reason);
  }

  // Runs `sql` through a connection of its own, as another process would.
  void ExecElsewhere(const char* sql) {
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(other, sql, nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(other);
    sqlite3_close(other);
  }

  fs::path dir_;
  fs::path path_;
  std::atomic<int64_t> now_{kT0};
};

TEST_F(SqliteApiKeyStoreTest, CreatedKeyAuthenticatesWithItsRecord) {
  auto store = OpenStore();
  NewApiKey spec = Spec("pipeline", {Role::kRead, Role::kInfer});
  spec.models = {"resnet*", "bert"};
  std::string text;
  auto created = store->Create(spec, &text);
  ASSERT_TRUE(created.ok()) << created.status().message();
  EXPECT_TRUE(IsApiKeyId(created->id));
  auto parts = ParseApiKey(text);
  ASSERT_TRUE(parts.has_value()) << text;
  EXPECT_EQ(parts->id, created->id);
  EXPECT_EQ(created->created_at_unix, kT0);
  EXPECT_FALSE(created->revoked);

  auto auth = store->Authenticate(text, kT0 + 5);
  ASSERT_TRUE(auth.ok()) << auth.status().message();
  EXPECT_EQ(auth->id, created->id);
  EXPECT_EQ(auth->name, "pipeline");
  EXPECT_EQ(auth->roles, RoleSet({Role::kRead, Role::kInfer}));
  EXPECT_EQ(auth->models, spec.models);
  EXPECT_EQ(auth->created_at_unix, kT0);
  EXPECT_EQ(auth->last_used_unix, kT0 + 5);
  EXPECT_FALSE(auth->expires_at_unix.has_value());
}

TEST_F(SqliteApiKeyStoreTest, InvalidSpecsAreRefused) {
  auto store = OpenStore();
  std::string text = "unchanged";
  EXPECT_EQ(store->Create(Spec("ci", {}), &text).status().code(), StatusCode::kInvalidArgument);
  NewApiKey past = Spec();
  past.expires_at_unix = kT0;
  EXPECT_EQ(store->Create(past, &text).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(text, "unchanged");
  EXPECT_TRUE(store->List()->empty());
}

TEST_F(SqliteApiKeyStoreTest, StoredDataNeverHoldsTheKeyText) {
  auto store = OpenStore();
  const std::string text = CreateKey(*store, Spec());
  const std::string secret(ParseApiKey(text)->secret);
  auto listed = store->List();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  const ApiKeyRecord& r = listed->front();
  for (const std::string& field : {r.id, r.name, r.roles.ToString()}) {
    EXPECT_EQ(field.find(secret), std::string::npos);
  }
  store.reset();
  // Nor does the file: only the digest is written.
  std::ifstream in(path_, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(secret), std::string::npos);
  EXPECT_NE(bytes.find(r.id), std::string::npos);
}

TEST_F(SqliteApiKeyStoreTest, ListAndGet) {
  auto store = OpenStore();
  CreateKey(*store, Spec("first"));
  now_ = kT0 + 1;
  NewApiKey second = Spec("second", {Role::kAdmin});
  second.expires_at_unix = kT0 + 100;
  CreateKey(*store, second);
  auto listed = store->List();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "first");
  EXPECT_EQ((*listed)[1].name, "second");
  EXPECT_EQ((*listed)[1].expires_at_unix, kT0 + 100);
  EXPECT_TRUE((*listed)[0].models.empty());
  auto got = store->Get((*listed)[1].id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->roles, RoleSet({Role::kAdmin}));
  EXPECT_EQ(store->Get("k_aaaaaaaaaaaa").status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteApiKeyStoreTest, WrongSecretForAKnownIdIsRefused) {
  auto store = OpenStore();
  const std::string text = CreateKey(*store, Spec());
  std::string wrong = text;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  ExpectRefused(*store, wrong, kUnknownKey);
  ExpectRefused(*store, FormatApiKey("k_aaaaaaaaaaaa", ParseApiKey(text)->secret), kUnknownKey);
  ExpectRefused(*store, "Bearer " + text, kMalformedKey);
  ExpectRefused(*store, "", kMalformedKey);
  EXPECT_TRUE(store->Authenticate(text, kT0).ok());
}

TEST_F(SqliteApiKeyStoreTest, RotateReplacesTheSecret) {
  auto store = OpenStore();
  const std::string old_text = CreateKey(*store, Spec());
  const std::string id(ParseApiKey(old_text)->id);
  auto new_text = store->Rotate(id);
  ASSERT_TRUE(new_text.ok()) << new_text.status().message();
  EXPECT_NE(*new_text, old_text);
  EXPECT_EQ(ParseApiKey(*new_text)->id, id);
  ExpectRefused(*store, old_text, kUnknownKey);
  EXPECT_TRUE(store->Authenticate(*new_text, kT0).ok());
  EXPECT_EQ(store->Rotate("k_aaaaaaaaaaaa").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Rotate("nonsense").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->Revoke(id).ok());
  EXPECT_EQ(store->Rotate(id).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(SqliteApiKeyStoreTest, RevocationReachesEveryReplicaOnTheNextRequest) {
  auto admin = OpenStore();
  auto replica = OpenStore();
  const std::string text = CreateKey(*admin, Spec());
  const std::string other = CreateKey(*admin, Spec("other"));
  const std::string id(ParseApiKey(text)->id);
  ASSERT_TRUE(replica->Authenticate(text, kT0).ok());
  now_ = kT0 + 7;
  ASSERT_TRUE(admin->Revoke(id).ok());
  ExpectRefused(*replica, text, kRevokedKey);
  ExpectRefused(*admin, text, kRevokedKey);
  EXPECT_TRUE(replica->Authenticate(other, kT0).ok());
  auto record = replica->Get(id);
  ASSERT_TRUE(record.ok());
  EXPECT_TRUE(record->revoked);
  EXPECT_EQ(record->revoked_at_unix, kT0 + 7);
  // Revoking again keeps the first time.
  now_ = kT0 + 9;
  EXPECT_TRUE(replica->Revoke(id).ok());
  EXPECT_EQ(admin->Get(id)->revoked_at_unix, kT0 + 7);
  EXPECT_EQ(admin->Revoke("k_aaaaaaaaaaaa").code(), StatusCode::kNotFound);
}

TEST_F(SqliteApiKeyStoreTest, RotationReachesEveryReplica) {
  auto admin = OpenStore();
  auto replica = OpenStore();
  const std::string old_text = CreateKey(*admin, Spec());
  ASSERT_TRUE(replica->Authenticate(old_text, kT0).ok());
  auto new_text = admin->Rotate(ParseApiKey(old_text)->id);
  ASSERT_TRUE(new_text.ok());
  ExpectRefused(*replica, old_text, kUnknownKey);
  EXPECT_TRUE(replica->Authenticate(*new_text, kT0).ok());
}

TEST_F(SqliteApiKeyStoreTest, ExpiredKeysAreRefusedFromTheExpirySecond) {
  auto store = OpenStore();
  NewApiKey spec = Spec();
  spec.expires_at_unix = kT0 + 100;
  const std::string text = CreateKey(*store, spec);
  EXPECT_TRUE(store->Authenticate(text, kT0 + 99).ok());
  ExpectRefused(*store, text, kExpiredKey, kT0 + 100);
  ExpectRefused(*store, text, kExpiredKey, kT0 + 5000);
  // An expired key with a wrong secret reads as unknown, not expired.
  std::string wrong = text;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  ExpectRefused(*store, wrong, kUnknownKey, kT0 + 5000);
}

TEST_F(SqliteApiKeyStoreTest, LastUsedIsWrittenAtMostOncePerMinute) {
  auto store = OpenStore();
  auto replica = OpenStore();
  const std::string text = CreateKey(*store, Spec());
  const std::string id(ParseApiKey(text)->id);
  EXPECT_FALSE(store->Get(id)->last_used_unix.has_value());
  ASSERT_TRUE(store->Authenticate(text, kT0 + 10).ok());
  EXPECT_EQ(replica->Get(id)->last_used_unix, kT0 + 10);
  auto soon = replica->Authenticate(text, kT0 + 69);
  ASSERT_TRUE(soon.ok());
  EXPECT_EQ(soon->last_used_unix, kT0 + 10);
  EXPECT_EQ(store->Get(id)->last_used_unix, kT0 + 10);
  ASSERT_TRUE(replica->Authenticate(text, kT0 + 70).ok());
  EXPECT_EQ(store->Get(id)->last_used_unix, kT0 + 70);
}

TEST_F(SqliteApiKeyStoreTest, AuthenticationDoesNotWaitForAnotherWriter) {
  auto store = OpenStore();
  const std::string text = CreateKey(*store, Spec());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto auth = store->Authenticate(text, kT0 + 10);
  ASSERT_TRUE(auth.ok()) << auth.status().message();
  EXPECT_FALSE(auth->last_used_unix.has_value());  // the note was skipped
  EXPECT_EQ(store->Create(Spec(), nullptr).status().code(), StatusCode::kUnavailable);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_EQ(store->Authenticate(text, kT0 + 11)->last_used_unix, kT0 + 11);
}

TEST_F(SqliteApiKeyStoreTest, MissingDatabaseIsNotFoundUnlessCreated) {
  SqliteApiKeyStore::Options options;
  options.create = false;
  EXPECT_EQ(SqliteApiKeyStore::Open(path_, options).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(path_));
  EXPECT_NE(OpenStore(), nullptr);
  EXPECT_TRUE(SqliteApiKeyStore::Open(path_, options).ok());
}

TEST_F(SqliteApiKeyStoreTest, SharesTheFileWithOtherTables) {
  ExecElsewhere("CREATE TABLE registered_models (name TEXT PRIMARY KEY)");
  auto store = OpenStore();
  const std::string text = CreateKey(*store, Spec());
  EXPECT_TRUE(store->Authenticate(text, kT0).ok());
  ExecElsewhere("INSERT INTO registered_models VALUES ('m')");
}

TEST_F(SqliteApiKeyStoreTest, AFileThatIsNotADatabaseIsRefused) {
  std::ofstream(path_) << std::string(8192, 'x');
  auto store = SqliteApiKeyStore::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("inferd.db"), std::string::npos);
}

TEST_F(SqliteApiKeyStoreTest, AnUnopenablePathIsRefused) {
  fs::create_directories(path_);  // a directory where the file should be
  EXPECT_FALSE(SqliteApiKeyStore::Open(path_).ok());
  EXPECT_FALSE(SqliteApiKeyStore::Open(dir_ / "no" / "such" / "dir.db").ok());
}

TEST_F(SqliteApiKeyStoreTest, AnUnreadableTableFailsClosed) {
  auto store = OpenStore();
  const std::string text = CreateKey(*store, Spec());
  ASSERT_TRUE(store->Authenticate(text, kT0).ok());
  ExecElsewhere("DROP TABLE api_keys");
  auto auth = store->Authenticate(text, kT0);
  ASSERT_FALSE(auth.ok());
  EXPECT_EQ(auth.status().code(), StatusCode::kUnavailable) << auth.status().message();
  EXPECT_FALSE(store->List().ok());
}

TEST_F(SqliteApiKeyStoreTest, ACorruptedFileFailsClosed) {
  auto store = OpenStore();
  for (int i = 0; i < 50; ++i) CreateKey(*store, Spec("k" + std::to_string(i)));
  const std::string text = CreateKey(*store, Spec());
  ASSERT_TRUE(store->Authenticate(text, kT0).ok());
  store.reset();  // checkpoints the WAL into the file
  {
    // Scribble over every page but the first (the header and schema).
    std::fstream file(path_, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4096);
    const std::string junk(fs::file_size(path_) - 4096, '\x5a');
    file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  SqliteApiKeyStore::Options options;
  auto reopened = SqliteApiKeyStore::Open(path_, options);
  if (reopened.ok()) {
    auto auth = (*reopened)->Authenticate(text, kT0);
    EXPECT_FALSE(auth.ok());
    EXPECT_NE(auth.status().code(), StatusCode::kUnauthenticated);
  } else {
    EXPECT_EQ(reopened.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(reopened.status().message().find("corrupt"), std::string::npos)
        << reopened.status().message();
  }
}

TEST_F(SqliteApiKeyStoreTest, ConcurrentAuthenticationFromManyThreads) {
  // Generous: the two connections' writes queue for each other here.
  auto store = OpenStore(std::chrono::milliseconds(20000));
  auto replica = OpenStore(std::chrono::milliseconds(20000));
  const std::string good = CreateKey(*store, Spec());
  std::string bad = good;
  bad.back() = bad.back() == 'a' ? 'b' : 'a';
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      ApiKeyStore& s = t % 2 == 0 ? static_cast<ApiKeyStore&>(*store) : *replica;
      for (int i = 0; i < 200; ++i) {
        const int64_t now = kT0 + i;  // crosses the last_used granularity
        if (!s.Authenticate(good, now).ok()) ++failures;
        if (s.Authenticate(bad, now).status().code() != StatusCode::kUnauthenticated) ++failures;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 20; ++i) {
      if (!store->Create(Spec("more"), nullptr).ok()) ++failures;
      if (!replica->List().ok()) ++failures;
    }
  });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store->List()->size(), 21u);
  const auto last_used = store->Get(ParseApiKey(good)->id)->last_used_unix;
  ASSERT_TRUE(last_used.has_value());
  EXPECT_GE(*last_used, kT0);
  EXPECT_LE(*last_used, kT0 + 199);
}

}  // namespace
}  // namespace inferd
