#include "storage/sqlite_api_key_store.h"

#include <sqlite3.h>

#include <cstring>
#include <optional>
#include <utility>

namespace inferd {
namespace {

// One row per key. The key text itself is never stored: key_sha256 is
// SHA-256 of it. Revoked exactly when revoked_at_unix is set. roles are
// comma-separated names ("read,infer"); models newline-separated patterns
// ('' = all models). Times are Unix seconds.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  key_sha256 BLOB NOT NULL CHECK (length(key_sha256) = 32),
  roles TEXT NOT NULL,
  models TEXT NOT NULL DEFAULT '',
  expires_at_unix INTEGER,
  created_at_unix INTEGER NOT NULL,
  last_used_unix INTEGER,
  revoked_at_unix INTEGER
);
)sql";

constexpr char kColumns[] =
    "SELECT id, name, key_sha256, roles, models, expires_at_unix, created_at_unix, "
    "last_used_unix, revoked_at_unix FROM api_keys ";

// Written only when the last note is at least the granularity old; the
// condition lives in SQL so replicas racing on one key write it once.
constexpr char kNoteUse[] =
    "UPDATE api_keys SET last_used_unix = ?1 WHERE id = ?2 AND "
    "(last_used_unix IS NULL OR last_used_unix <= ?1 - ?3)";

// Key ids have 60 random bits; a clash is all but impossible, but costs
// only a retry.
constexpr int kCreateAttempts = 3;

std::string JoinModels(const std::vector<std::string>& models) {
  std::string out;
  for (const auto& m : models) {
    if (!out.empty()) out += '\n';
    out += m;
  }
  return out;
}

std::vector<std::string> SplitModels(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    out.emplace_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

// Unknown names (a newer server's roles) grant nothing here.
RoleSet RolesFromColumn(std::string_view text) {
  RoleSet set;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    if (auto role = ParseRole(text.substr(0, comma))) set.Add(*role);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return set;
}

}  // namespace

// A statement: its own (finalized at the end) or one of the store's
// prepared ones (reset at the end, ending its read snapshot). Bind in
// parameter order, then Row or Run.
class SqliteApiKeyStore::Statement {
 public:
  Statement(const SqliteApiKeyStore& store, const char* sql) : store_(store), owned_(true) {
    rc_ = sqlite3_prepare_v2(store.db_, sql, -1, &stmt_, nullptr);
  }
  Statement(const SqliteApiKeyStore& store, sqlite3_stmt* prepared)
      : store_(store), stmt_(prepared), owned_(false) {}
  ~Statement() {
    if (owned_) {
      sqlite3_finalize(stmt_);
    } else {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(std::string_view text) {
    if (rc_ == SQLITE_OK) {
      rc_ = sqlite3_bind_text(stmt_, ++index_, text.data(), static_cast<int>(text.size()),
                              SQLITE_TRANSIENT);
    }
    return *this;
  }
  Statement& Bind(int64_t number) {
    if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, ++index_, number);
    return *this;
  }
  Statement& Bind(std::optional<int64_t> number) {
    if (number) return Bind(*number);
    if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_null(stmt_, ++index_);
    return *this;
  }
  Statement& Bind(const ApiKeyDigest& digest) {
    if (rc_ == SQLITE_OK) {
      rc_ = sqlite3_bind_blob(stmt_, ++index_, digest.data(), static_cast<int>(digest.size()),
                              SQLITE_TRANSIENT);
    }
    return *this;
  }
  // True while there is a row; check status() after the last.
  bool Row() {
    if (rc_ != SQLITE_OK && rc_ != SQLITE_ROW) return false;
    rc_ = sqlite3_step(stmt_);
    if (rc_ == SQLITE_ROW) return true;
    if (rc_ == SQLITE_DONE) rc_ = SQLITE_OK;
    return false;
  }
  Status Run(std::string_view what) {
    while (Row()) {
    }
    return store_.Check(rc_, what);
  }
  Status status(std::string_view what) const { return store_.Check(rc_, what); }

  std::string Text(int column) const {
    const auto* text = sqlite3_column_text(stmt_, column);
    return text == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(text),
                                         static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::optional<int64_t> OptionalInt(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return Int(column);
  }
  // False when the column is not a 32-byte blob.
  bool Digest(int column, ApiKeyDigest* out) const {
    const void* blob = sqlite3_column_blob(stmt_, column);
    if (blob == nullptr || sqlite3_column_bytes(stmt_, column) != static_cast<int>(out->size())) {
      return false;
    }
    std::memcpy(out->data(), blob, out->size());
    return true;
  }

  // One api_keys row selected with kColumns.
  ApiKeyRecord Record() const {
    ApiKeyRecord r;
    r.id = Text(0);
    r.name = Text(1);
    r.roles = RolesFromColumn(Text(3));
    r.models = SplitModels(Text(4));
    r.expires_at_unix = OptionalInt(5);
    r.created_at_unix = Int(6);
    r.last_used_unix = OptionalInt(7);
    r.revoked_at_unix = OptionalInt(8);
    r.revoked = r.revoked_at_unix.has_value();
    return r;
  }

 private:
  const SqliteApiKeyStore& store_;
  sqlite3_stmt* stmt_ = nullptr;
  bool owned_;
  int rc_ = SQLITE_OK;
  int index_ = 0;
};

SqliteApiKeyStore::SqliteApiKeyStore(sqlite3* db, std::filesystem::path path, Options options)
    : db_(db), path_(std::move(path)), options_(std::move(options)) {}

SqliteApiKeyStore::~SqliteApiKeyStore() {
  sqlite3_finalize(select_by_id_);
  sqlite3_finalize(note_use_);
  sqlite3_finalize(data_version_);
  sqlite3_close_v2(db_);
}

StatusOr<std::unique_ptr<SqliteApiKeyStore>> SqliteApiKeyStore::Open(
    const std::filesystem::path& path, Options options) {
  std::error_code ec;
  if (!options.create && !std::filesystem::exists(path, ec)) {
    return NotFound("no database at " + path.string());
  }
  sqlite3* db = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (options.create ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  const auto busy = static_cast<int>(options.busy_timeout.count());
  std::unique_ptr<SqliteApiKeyStore> store(new SqliteApiKeyStore(db, path, std::move(options)));
  if (rc != SQLITE_OK) return store->Check(rc, "open it");
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy);
  auto exec = [&](const char* sql, std::string_view what) {
    return store->Check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), what);
  };
  // journal_mode=WAL needs the write lock the first time; busy_timeout covers it.
  INFERD_RETURN_IF_ERROR(exec("PRAGMA journal_mode = WAL", "switch to WAL"));
  INFERD_RETURN_IF_ERROR(exec("PRAGMA synchronous = FULL", "set synchronous"));
  {
    Statement check(*store, "PRAGMA quick_check");
    std::string verdict;
    while (check.Row()) {
      if (verdict.empty()) verdict = check.Text(0);
    }
    INFERD_RETURN_IF_ERROR(check.status("check it"));
    if (verdict != "ok") {
      return Unavailable("api key database " + path.string() + " is corrupt: " + verdict);
    }
  }
  bool has_table = false;
  {
    Statement tables(*store,
                     "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'api_keys'");
    has_table = tables.Row();
    INFERD_RETURN_IF_ERROR(tables.status("read its tables"));
  }
  // Only a database without the table needs the write lock here.
  if (!has_table) INFERD_RETURN_IF_ERROR(exec(kSchema, "create the api_keys table"));
  INFERD_RETURN_IF_ERROR(store->Prepare());
  store->wal_watch_ = WalIndexWatch::Open(path);
  return store;
}

Status SqliteApiKeyStore::Prepare() {
  const std::string select = std::string(kColumns) + "WHERE id = ?";
  INFERD_RETURN_IF_ERROR(
      Check(sqlite3_prepare_v3(db_, select.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &select_by_id_,
                               nullptr),
            "prepare the key lookup"));
  INFERD_RETURN_IF_ERROR(
      Check(sqlite3_prepare_v3(db_, kNoteUse, -1, SQLITE_PREPARE_PERSISTENT, &note_use_, nullptr),
            "prepare the use note"));
  return Check(sqlite3_prepare_v3(db_, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT,
                                  &data_version_, nullptr),
               "prepare the change check");
}

Status SqliteApiKeyStore::Check(int rc, std::string_view what) const {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  const std::string where = "api key database " + path_.string();
  const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(where + " is locked by another writer; try again (" + detail + ")");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Unavailable(where + " is corrupt (" + detail + "); restore it from a backup");
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        return AlreadyExists(detail);
      }
      return InvalidArgument(detail);
    case SQLITE_FULL:
      return Status(StatusCode::kResourceExhausted, where + ": disk full (" + detail + ")");
    default:
      return Unavailable("cannot " + std::string(what) + " in " + where + ": " + detail);
  }
}

int64_t SqliteApiKeyStore::Now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StatusOr<ApiKeyRecord> SqliteApiKeyStore::ReadLocked(std::string_view id, ApiKeyDigest* digest) {
  Statement row(*this, select_by_id_);
  row.Bind(id);
  if (!row.Row()) {
    INFERD_RETURN_IF_ERROR(row.status("look up a key"));
    return NotFound("API key " + std::string(id) + " not found");
  }
  if (digest != nullptr && !row.Digest(2, digest)) {
    return Unavailable("api key database " + path_.string() + " has a malformed row");
  }
  return row.Record();
}

StatusOr<ApiKeyRecord> SqliteApiKeyStore::Create(const NewApiKey& spec, std::string* secret_out) {
  const int64_t now = Now();
  INFERD_RETURN_IF_ERROR(ValidateNewApiKey(spec, now));
  std::lock_guard lock(mu_);
  cache_.clear();  // this connection's own writes do not move data_version
  cache_header_valid_ = false;
  for (int attempt = 1;; ++attempt) {
    INFERD_ASSIGN_OR_RETURN(std::string id, GenerateApiKeyId());
    INFERD_ASSIGN_OR_RETURN(std::string text, GenerateApiKeyText(id));
    INFERD_ASSIGN_OR_RETURN(ApiKeyDigest digest, DigestApiKey(text));
    Statement insert(*this,
                     "INSERT INTO api_keys (id, name, key_sha256, roles, models, expires_at_unix, "
                     "created_at_unix) VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert.Bind(id)
        .Bind(spec.name)
        .Bind(digest)
        .Bind(spec.roles.ToString())
        .Bind(JoinModels(spec.models))
        .Bind(spec.expires_at_unix)
        .Bind(now);
    Status inserted = insert.Run("add a key");
    if (inserted.code() == StatusCode::kAlreadyExists && attempt < kCreateAttempts) continue;
    INFERD_RETURN_IF_ERROR(inserted);
    ApiKeyRecord record;
    record.id = std::move(id);
    record.name = spec.name;
    record.roles = spec.roles;
    record.models = spec.models;
    record.expires_at_unix = spec.expires_at_unix;
    record.created_at_unix = now;
    if (secret_out != nullptr) *secret_out = std::move(text);
    return record;
  }
}

StatusOr<std::vector<ApiKeyRecord>> SqliteApiKeyStore::List() {
  std::lock_guard lock(mu_);
  std::vector<ApiKeyRecord> out;
  Statement rows(*this, (std::string(kColumns) + "ORDER BY created_at_unix, id").c_str());
  while (rows.Row()) out.push_back(rows.Record());
  INFERD_RETURN_IF_ERROR(rows.status("list keys"));
  return out;
}

StatusOr<ApiKeyRecord> SqliteApiKeyStore::Get(std::string_view id) {
  std::lock_guard lock(mu_);
  return ReadLocked(id, nullptr);
}

StatusOr<std::string> SqliteApiKeyStore::Rotate(std::string_view id) {
  if (!IsApiKeyId(id)) return NotFound("API key " + std::string(id) + " not found");
  INFERD_ASSIGN_OR_RETURN(std::string text, GenerateApiKeyText(id));
  INFERD_ASSIGN_OR_RETURN(ApiKeyDigest digest, DigestApiKey(text));
  std::lock_guard lock(mu_);
  cache_.clear();  // this connection's own writes do not move data_version
  cache_header_valid_ = false;
  Statement update(*this,
                   "UPDATE api_keys SET key_sha256 = ? WHERE id = ? AND revoked_at_unix IS NULL");
  INFERD_RETURN_IF_ERROR(update.Bind(digest).Bind(id).Run("rotate a key"));
  if (sqlite3_changes(db_) == 1) return text;
  INFERD_RETURN_IF_ERROR(ReadLocked(id, nullptr).status());  // NOT_FOUND
  return FailedPrecondition("API key " + std::string(id) + " is revoked");
}

Status SqliteApiKeyStore::Revoke(std::string_view id) {
  const int64_t now = Now();
  std::lock_guard lock(mu_);
  cache_.clear();  // this connection's own writes do not move data_version
  cache_header_valid_ = false;
  Statement update(*this,
                   "UPDATE api_keys SET revoked_at_unix = ? WHERE id = ? AND "
                   "revoked_at_unix IS NULL");
  INFERD_RETURN_IF_ERROR(update.Bind(now).Bind(id).Run("revoke a key"));
  if (sqlite3_changes(db_) == 1) return Status::Ok();
  return ReadLocked(id, nullptr).status();  // already revoked, or NOT_FOUND
}

StatusOr<ApiKeyRecord> SqliteApiKeyStore::Authenticate(std::string_view presented,
                                                       int64_t now_unix) {
  const std::optional<ApiKeyParts> parts = ParseApiKey(presented);
  if (!parts) return Unauthenticated(std::string(kMalformedKey));
  StatusOr<ApiKeyDigest> presented_digest = DigestApiKey(presented);
  if (!presented_digest.ok()) return Unavailable(presented_digest.status().message());
  // Read before anything else: a commit after this moment changes the header,
  // so the next request looks again.
  WalIndexWatch::Header header{};
  const bool watched = wal_watch_ != nullptr && wal_watch_->Read(header);
  std::lock_guard lock(mu_);
  int64_t version = cache_version_;
  if (!watched || !cache_header_valid_ || header != cache_header_) {
    // Another connection's commit (a revocation on another replica included)
    // empties the cache before this lookup, so it always sees the latest.
    version = -1;
    if (sqlite3_step(data_version_) == SQLITE_ROW) {
      version = sqlite3_column_int64(data_version_, 0);
    }
    sqlite3_reset(data_version_);
    if (version < 0 || version != cache_version_) {
      cache_.clear();
      cache_version_ = version;
    }
    cache_header_ = header;
    cache_header_valid_ = watched && version >= 0;
  }
  ApiKeyDigest stored{};
  StatusOr<ApiKeyRecord> found = Unavailable("not read");
  if (auto hit = cache_.find(std::string(parts->id)); hit != cache_.end() && version >= 0) {
    stored = hit->second.digest;
    found = hit->second.record;
  } else {
    found = ReadLocked(parts->id, &stored);
    if (found.ok() && version >= 0) cache_[found->id] = CachedKey{stored, *found};
  }
  if (!found.ok()) {
    if (found.status().code() == StatusCode::kNotFound) {
      return Unauthenticated(std::string(kUnknownKey));
    }
    // Whatever went wrong reading, the answer is "cannot tell": never OK.
    return Unavailable(found.status().message());
  }
  ApiKeyRecord& record = found.value();
  // The secret first, so only its holder learns the key is revoked or expired.
  if (!ApiKeyDigestsEqual(stored, *presented_digest)) {
    return Unauthenticated(std::string(kUnknownKey));
  }
  if (record.revoked) return Unauthenticated(std::string(kRevokedKey));
  if (record.expires_at_unix && now_unix >= *record.expires_at_unix) {
    return Unauthenticated(std::string(kExpiredKey));
  }
  if (!record.last_used_unix || now_unix - *record.last_used_unix >= kLastUsedGranularitySeconds) {
    if (NoteUseLocked(record.id, now_unix)) {
      record.last_used_unix = now_unix;
      if (auto hit = cache_.find(record.id); hit != cache_.end()) {
        hit->second.record.last_used_unix = now_unix;
      }
    }
  }
  return found;
}

bool SqliteApiKeyStore::NoteUseLocked(const std::string& id, int64_t now) {
  // Never wait for another writer's lock: skip the note instead.
  sqlite3_busy_timeout(db_, 0);
  bool written = false;
  {
    Statement update(*this, note_use_);
    written =
        update.Bind(now).Bind(id).Bind(kLastUsedGranularitySeconds).Run("note a key's use").ok() &&
        sqlite3_changes(db_) == 1;
  }
  sqlite3_busy_timeout(db_, static_cast<int>(options_.busy_timeout.count()));
  return written;
}

}  // namespace inferd
