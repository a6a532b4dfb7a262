#include "storage/sqlite_registry_store.h"

#include <sqlite3.h>

#include <utility>

namespace inferd {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS registered_models (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  last_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS model_versions (
  model TEXT NOT NULL REFERENCES registered_models(name) ON DELETE CASCADE,
  version INTEGER NOT NULL CHECK (version > 0),
  source TEXT NOT NULL,
  checksum TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  stage TEXT NOT NULL DEFAULT 'None'
    CHECK (stage IN ('None', 'Staging', 'Production', 'Archived')),
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (model, version)
);
CREATE TABLE IF NOT EXISTS model_tags (
  model TEXT NOT NULL REFERENCES registered_models(name) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model, key)
);
CREATE TABLE IF NOT EXISTS version_tags (
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model, version, key),
  FOREIGN KEY (model, version) REFERENCES model_versions(model, version) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS version_metrics (
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  key TEXT NOT NULL,
  value REAL NOT NULL,
  PRIMARY KEY (model, version, key),
  FOREIGN KEY (model, version) REFERENCES model_versions(model, version) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS aliases (
  model TEXT NOT NULL,
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (model, alias),
  FOREIGN KEY (model, version) REFERENCES model_versions(model, version) ON DELETE CASCADE
);
)sql";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// A prepared statement; bind with Bind(...) in parameter order, then Step.
class SqliteRegistryStore::Statement {
 public:
  Statement(SqliteRegistryStore& store, const char* sql) : store_(store) {
    rc_ = sqlite3_prepare_v2(store.db_, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(const std::string& text) {
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
  Statement& Bind(double number) {
    if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_double(stmt_, ++index_, number);
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
  double Real(int column) const { return sqlite3_column_double(stmt_, column); }

 private:
  SqliteRegistryStore& store_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
  int index_ = 0;
};

// BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails
// half-way for a lock another writer took after it began.
class SqliteRegistryStore::Transaction {
 public:
  explicit Transaction(SqliteRegistryStore& store) : store_(store) {
    begun_ = store.Check(sqlite3_exec(store.db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr),
                         "begin a change");
  }
  ~Transaction() {
    if (begun_.ok() && !committed_) sqlite3_exec(store_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  const Status& begun() const { return begun_; }
  Status Commit() {
    committed_ = true;
    const int rc = sqlite3_exec(store_.db_, "COMMIT", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
      Status failed = store_.Check(rc, "commit a change");  // before ROLLBACK resets the message
      sqlite3_exec(store_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return failed;
    }
    return Status::Ok();
  }

 private:
  SqliteRegistryStore& store_;
  Status begun_;
  bool committed_ = false;
};

// A read transaction: the statements inside see one snapshot, even while
// another process commits between them.
class SqliteRegistryStore::ReadTransaction {
 public:
  explicit ReadTransaction(SqliteRegistryStore& store) : db_(store.db_) {
    begun_ = store.Check(sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr), "read");
  }
  ~ReadTransaction() {
    if (begun_.ok()) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  }
  const Status& begun() const { return begun_; }

 private:
  sqlite3* db_;
  Status begun_;
};

#define INFERD_BEGIN(tx) \
  Transaction tx(*this); \
  if (!tx.begun().ok()) return tx.begun()

StatusOr<std::unique_ptr<SqliteRegistryStore>> SqliteRegistryStore::Open(
    const std::filesystem::path& path, bool create, std::chrono::milliseconds busy) {
  std::error_code ec;
  if (!create && !std::filesystem::exists(path, ec)) {
    return NotFound("no registry database at " + path.string());
  }
  sqlite3* db = nullptr;
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  std::unique_ptr<SqliteRegistryStore> store(new SqliteRegistryStore(db, path));
  if (rc != SQLITE_OK) return store->Check(rc, "open it");
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(busy.count()));
  auto exec = [&](const char* sql, std::string_view what) {
    return store->Check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), what);
  };
  INFERD_RETURN_IF_ERROR(exec("PRAGMA foreign_keys = ON", "enable foreign keys"));
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
      return Unavailable("registry database " + path.string() + " is corrupt: " + verdict);
    }
  }
  bool has_schema = false;
  {
    Statement tables(*store, "SELECT 1 FROM sqlite_master WHERE name = 'aliases'");
    has_schema = tables.Row();
    INFERD_RETURN_IF_ERROR(tables.status("read its tables"));
  }
  // Only a new database needs the write lock here: opening one another
  // writer holds must still work (for reads, and to apply it at start).
  if (!has_schema) {
    Transaction tx(*store);
    INFERD_RETURN_IF_ERROR(tx.begun());
    INFERD_RETURN_IF_ERROR(exec(kSchema, "create its tables"));
    INFERD_RETURN_IF_ERROR(tx.Commit());
  }
  return store;
}

SqliteRegistryStore::~SqliteRegistryStore() {
  sqlite3_close_v2(db_);
}

Status SqliteRegistryStore::Check(int rc, std::string_view what) const {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  const std::string where = "registry database " + path_.string();
  const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(where + " is locked by another writer; try again (" + detail + ")");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      broken_ = true;
      return Unavailable(where + " is corrupt (" + detail + "); restore it from a backup");
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      broken_ = true;
      return Unavailable("cannot " + std::string(what) + " in " + where + ": " + detail);
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

Status SqliteRegistryStore::RequireModel(const std::string& name) {
  Statement find(*this, "SELECT 1 FROM registered_models WHERE name = ?");
  find.Bind(name);
  const bool found = find.Row();
  INFERD_RETURN_IF_ERROR(find.status("find a model"));
  return found ? Status::Ok() : NotFound("Registered Model with name=" + name + " not found");
}

Status SqliteRegistryStore::RequireVersion(const std::string& model, int64_t version) {
  INFERD_RETURN_IF_ERROR(RequireModel(model));
  Statement find(*this, "SELECT 1 FROM model_versions WHERE model = ? AND version = ?");
  find.Bind(model).Bind(version);
  const bool found = find.Row();
  INFERD_RETURN_IF_ERROR(find.status("find a version"));
  return found ? Status::Ok()
               : NotFound("Model Version (name=" + model + ", version=" + std::to_string(version) +
                          ") not found");
}

Status SqliteRegistryStore::Touch(const std::string& model, std::optional<int64_t> version) {
  const int64_t now = NowMs();
  Statement m(*this, "UPDATE registered_models SET updated_ms = ? WHERE name = ?");
  INFERD_RETURN_IF_ERROR(m.Bind(now).Bind(model).Run("update a model"));
  if (!version) return Status::Ok();
  Statement v(*this, "UPDATE model_versions SET updated_ms = ? WHERE model = ? AND version = ?");
  return v.Bind(now).Bind(model).Bind(*version).Run("update a version");
}

Status SqliteRegistryStore::CreateModel(const std::string& name, const std::string& description,
                                        const RegistryTags& tags) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  const int64_t now = NowMs();
  Statement insert(*this,
                   "INSERT INTO registered_models (name, description, created_ms, updated_ms) "
                   "VALUES (?, ?, ?, ?)");
  Status inserted = insert.Bind(name).Bind(description).Bind(now).Bind(now).Run("add a model");
  if (inserted.code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("Registered Model (name=" + name + ") already exists.");
  }
  INFERD_RETURN_IF_ERROR(inserted);
  for (const auto& [key, value] : tags) {
    Statement tag(*this, "INSERT INTO model_tags (model, key, value) VALUES (?, ?, ?)");
    INFERD_RETURN_IF_ERROR(tag.Bind(name).Bind(key).Bind(value).Run("tag a model"));
  }
  return tx.Commit();
}

StatusOr<std::vector<ModelVersionRecord>> SqliteRegistryStore::ReadVersions(
    const std::string& model, std::optional<int64_t> version) {
  std::vector<ModelVersionRecord> out;
  Statement rows(*this,
                 "SELECT version, source, checksum, description, stage, created_ms, updated_ms "
                 "FROM model_versions WHERE model = ? AND (? = 0 OR version = ?) "
                 "ORDER BY version");
  rows.Bind(model).Bind(version.value_or(0)).Bind(version.value_or(0));
  while (rows.Row()) {
    ModelVersionRecord r;
    r.model = model;
    r.version = rows.Int(0);
    r.source = rows.Text(1);
    r.checksum = rows.Text(2);
    r.description = rows.Text(3);
    r.stage = rows.Text(4);
    r.created_ms = rows.Int(5);
    r.updated_ms = rows.Int(6);
    out.push_back(std::move(r));
  }
  INFERD_RETURN_IF_ERROR(rows.status("read versions"));
  auto find = [&out](int64_t v) -> ModelVersionRecord* {
    for (auto& r : out) {
      if (r.version == v) return &r;
    }
    return nullptr;
  };
  Statement tags(*this, "SELECT version, key, value FROM version_tags WHERE model = ?");
  tags.Bind(model);
  while (tags.Row()) {
    if (auto* r = find(tags.Int(0))) r->tags[tags.Text(1)] = tags.Text(2);
  }
  INFERD_RETURN_IF_ERROR(tags.status("read version tags"));
  Statement metrics(*this, "SELECT version, key, value FROM version_metrics WHERE model = ?");
  metrics.Bind(model);
  while (metrics.Row()) {
    if (auto* r = find(metrics.Int(0))) r->metrics[metrics.Text(1)] = metrics.Real(2);
  }
  INFERD_RETURN_IF_ERROR(metrics.status("read version metrics"));
  Statement aliases(*this, "SELECT version, alias FROM aliases WHERE model = ? ORDER BY alias");
  aliases.Bind(model);
  while (aliases.Row()) {
    if (auto* r = find(aliases.Int(0))) r->aliases.push_back(aliases.Text(1));
  }
  INFERD_RETURN_IF_ERROR(aliases.status("read aliases"));
  return out;
}

StatusOr<RegisteredModelRecord> SqliteRegistryStore::GetModel(const std::string& name) {
  std::lock_guard lock(mu_);
  ReadTransaction read(*this);  // so the model, its versions and aliases agree
  INFERD_RETURN_IF_ERROR(read.begun());
  RegisteredModelRecord record;
  {
    Statement row(*this,
                  "SELECT description, created_ms, updated_ms, last_version "
                  "FROM registered_models WHERE name = ?");
    row.Bind(name);
    if (!row.Row()) {
      INFERD_RETURN_IF_ERROR(row.status("read a model"));
      return NotFound("Registered Model with name=" + name + " not found");
    }
    record.name = name;
    record.description = row.Text(0);
    record.created_ms = row.Int(1);
    record.updated_ms = row.Int(2);
    record.last_version = row.Int(3);
  }
  Statement tags(*this, "SELECT key, value FROM model_tags WHERE model = ?");
  tags.Bind(name);
  while (tags.Row()) record.tags[tags.Text(0)] = tags.Text(1);
  INFERD_RETURN_IF_ERROR(tags.status("read model tags"));
  INFERD_ASSIGN_OR_RETURN(record.versions, ReadVersions(name, std::nullopt));
  for (const auto& v : record.versions) {
    for (const auto& alias : v.aliases) record.aliases[alias] = v.version;
  }
  return record;
}

StatusOr<std::vector<RegisteredModelRecord>> SqliteRegistryStore::ListModels() {
  std::vector<std::string> names;
  {
    std::lock_guard lock(mu_);
    Statement rows(*this, "SELECT name FROM registered_models ORDER BY name");
    while (rows.Row()) names.push_back(rows.Text(0));
    INFERD_RETURN_IF_ERROR(rows.status("list models"));
  }
  std::vector<RegisteredModelRecord> out;
  for (const auto& name : names) {
    auto record = GetModel(name);
    if (record.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
    INFERD_RETURN_IF_ERROR(record.status());
    out.push_back(std::move(record).value());
  }
  return out;
}

Status SqliteRegistryStore::UpdateModelDescription(const std::string& name,
                                                   const std::string& description) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  INFERD_RETURN_IF_ERROR(RequireModel(name));
  Statement update(*this, "UPDATE registered_models SET description = ? WHERE name = ?");
  INFERD_RETURN_IF_ERROR(update.Bind(description).Bind(name).Run("describe a model"));
  INFERD_RETURN_IF_ERROR(Touch(name, std::nullopt));
  return tx.Commit();
}

Status SqliteRegistryStore::DeleteModel(const std::string& name) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  INFERD_RETURN_IF_ERROR(RequireModel(name));
  Statement del(*this, "DELETE FROM registered_models WHERE name = ?");
  INFERD_RETURN_IF_ERROR(del.Bind(name).Run("delete a model"));
  return tx.Commit();
}

Status SqliteRegistryStore::SetModelTag(const std::string& name, const std::string& key,
                                        const std::string& value) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  INFERD_RETURN_IF_ERROR(RequireModel(name));
  Statement tag(*this, "INSERT OR REPLACE INTO model_tags (model, key, value) VALUES (?, ?, ?)");
  INFERD_RETURN_IF_ERROR(tag.Bind(name).Bind(key).Bind(value).Run("tag a model"));
  INFERD_RETURN_IF_ERROR(Touch(name, std::nullopt));
  return tx.Commit();
}

Status SqliteRegistryStore::DeleteModelTag(const std::string& name, const std::string& key) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  INFERD_RETURN_IF_ERROR(RequireModel(name));
  Statement del(*this, "DELETE FROM model_tags WHERE model = ? AND key = ?");
  INFERD_RETURN_IF_ERROR(del.Bind(name).Bind(key).Run("untag a model"));
  if (sqlite3_changes(db_) == 0) {
    return NotFound("Registered Model (name=" + name + ") has no tag '" + key + "'");
  }
  INFERD_RETURN_IF_ERROR(Touch(name, std::nullopt));
  return tx.Commit();
}

StatusOr<ModelVersionRecord> SqliteRegistryStore::CreateVersion(const NewModelVersion& v) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  int64_t last = 0;
  {
    Statement row(*this, "SELECT last_version FROM registered_models WHERE name = ?");
    row.Bind(v.model);
    if (!row.Row()) {
      INFERD_RETURN_IF_ERROR(row.status("find a model"));
      return NotFound("Registered Model with name=" + v.model + " not found");
    }
    last = row.Int(0);
  }
  const int64_t version = v.version != 0 ? v.version : last + 1;
  const int64_t now = NowMs();
  Statement insert(*this,
                   "INSERT INTO model_versions (model, version, source, checksum, description, "
                   "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
  Status inserted = insert.Bind(v.model)
                        .Bind(version)
                        .Bind(v.source)
                        .Bind(v.checksum)
                        .Bind(v.description)
                        .Bind(now)
                        .Bind(now)
                        .Run("add a version");
  if (inserted.code() == StatusCode::kAlreadyExists) {
    return AlreadyExists("Model Version (name=" + v.model + ", version=" + std::to_string(version) +
                         ") already exists.");
  }
  INFERD_RETURN_IF_ERROR(inserted);
  for (const auto& [key, value] : v.tags) {
    Statement tag(*this,
                  "INSERT INTO version_tags (model, version, key, value) VALUES (?, ?, ?, ?)");
    INFERD_RETURN_IF_ERROR(tag.Bind(v.model).Bind(version).Bind(key).Bind(value).Run("tag"));
  }
  for (const auto& [key, value] : v.metrics) {
    Statement metric(
        *this, "INSERT INTO version_metrics (model, version, key, value) VALUES (?, ?, ?, ?)");
    INFERD_RETURN_IF_ERROR(
        metric.Bind(v.model).Bind(version).Bind(key).Bind(value).Run("add a metric"));
  }
  Statement bump(*this,
                 "UPDATE registered_models SET last_version = max(last_version, ?), "
                 "updated_ms = ? WHERE name = ?");
  INFERD_RETURN_IF_ERROR(bump.Bind(version).Bind(now).Bind(v.model).Run("update a model"));
  INFERD_ASSIGN_OR_RETURN(auto records, ReadVersions(v.model, version));
  INFERD_RETURN_IF_ERROR(tx.Commit());
  return records.at(0);
}

StatusOr<ModelVersionRecord> SqliteRegistryStore::GetVersion(const std::string& model,
                                                             int64_t version) {
  std::lock_guard lock(mu_);
  ReadTransaction read(*this);
  INFERD_RETURN_IF_ERROR(read.begun());
  INFERD_ASSIGN_OR_RETURN(auto records, ReadVersions(model, version));
  if (records.empty()) {
    return NotFound("Model Version (name=" + model + ", version=" + std::to_string(version) +
                    ") not found");
  }
  return records.front();
}

Status SqliteRegistryStore::UpdateVersionDescription(const std::string& model, int64_t version,
                                                     const std::string& description) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  INFERD_RETURN_IF_ERROR(RequireVersion(model, version));
  Statement update(*this,
                   "UPDATE model_versions SET description = ? WHERE model = ? AND version = ?");
  INFERD_RETURN_IF_ERROR(
      update.Bind(description).Bind(model).Bind(version).Run("describe a version"));
  INFERD_RETURN_IF_ERROR(Touch(model, version));
  return tx.Commit();
}

Status SqliteRegistryStore::DeleteVersion(const std::string& model, int64_t version) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  INFERD_RETURN_IF_ERROR(RequireVersion(model, version));
  Statement del(*this, "DELETE FROM model_versions WHERE model = ? AND version = ?");
  INFERD_RETURN_IF_ERROR(del.Bind(model).Bind(version).Run("delete a version"));
  INFERD_RETURN_IF_ERROR(Touch(model, std::nullopt));
  return tx.Commit();
}

Status SqliteRegistryStore::SetVersionTag(const std::string& model, int64_t version,
                                          const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  INFERD_RETURN_IF_ERROR(RequireVersion(model, version));
  Statement tag(*this,
                "INSERT OR REPLACE INTO version_tags (model, version, key, value) "
                "VALUES (?, ?, ?, ?)");
  INFERD_RETURN_IF_ERROR(tag.Bind(model).Bind(version).Bind(key).Bind(value).Run("tag"));
  INFERD_RETURN_IF_ERROR(Touch(model, version));
  return tx.Commit();
}

Status SqliteRegistryStore::DeleteVersionTag(const std::string& model, int64_t version,
                                             const std::string& key) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  INFERD_RETURN_IF_ERROR(RequireVersion(model, version));
  Statement del(*this, "DELETE FROM version_tags WHERE model = ? AND version = ? AND key = ?");
  INFERD_RETURN_IF_ERROR(del.Bind(model).Bind(version).Bind(key).Run("untag"));
  if (sqlite3_changes(db_) == 0) {
    return NotFound("Model Version (name=" + model + ", version=" + std::to_string(version) +
                    ") has no tag '" + key + "'");
  }
  INFERD_RETURN_IF_ERROR(Touch(model, version));
  return tx.Commit();
}

Status SqliteRegistryStore::SetVersionMetric(const std::string& model, int64_t version,
                                             const std::string& key, double value) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  INFERD_RETURN_IF_ERROR(RequireVersion(model, version));
  Statement metric(*this,
                   "INSERT OR REPLACE INTO version_metrics (model, version, key, value) "
                   "VALUES (?, ?, ?, ?)");
  INFERD_RETURN_IF_ERROR(
      metric.Bind(model).Bind(version).Bind(key).Bind(value).Run("record a metric"));
  INFERD_RETURN_IF_ERROR(Touch(model, version));
  return tx.Commit();
}

StatusOr<std::vector<int64_t>> SqliteRegistryStore::TransitionStage(const std::string& model,
                                                                    int64_t version,
                                                                    const std::string& stage,
                                                                    bool archive_others) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  INFERD_RETURN_IF_ERROR(RequireVersion(model, version));
  std::vector<int64_t> changed;
  if (archive_others) {
    Statement others(*this,
                     "SELECT version FROM model_versions WHERE model = ? AND stage = ? "
                     "AND version != ? ORDER BY version");
    others.Bind(model).Bind(stage).Bind(version);
    while (others.Row()) changed.push_back(others.Int(0));
    INFERD_RETURN_IF_ERROR(others.status("find versions to archive"));
    Statement archive(*this,
                      "UPDATE model_versions SET stage = 'Archived', updated_ms = ? "
                      "WHERE model = ? AND stage = ? AND version != ?");
    INFERD_RETURN_IF_ERROR(
        archive.Bind(NowMs()).Bind(model).Bind(stage).Bind(version).Run("archive versions"));
  }
  Statement move(*this,
                 "UPDATE model_versions SET stage = ? WHERE model = ? AND version = ? "
                 "AND stage != ?");
  INFERD_RETURN_IF_ERROR(move.Bind(stage).Bind(model).Bind(version).Bind(stage).Run("move"));
  if (sqlite3_changes(db_) > 0) changed.push_back(version);
  INFERD_RETURN_IF_ERROR(Touch(model, version));
  INFERD_RETURN_IF_ERROR(tx.Commit());
  return changed;
}

Status SqliteRegistryStore::SetAlias(const std::string& model, const std::string& alias,
                                     int64_t version) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  INFERD_RETURN_IF_ERROR(RequireVersion(model, version));
  Statement set(*this, "INSERT OR REPLACE INTO aliases (model, alias, version) VALUES (?, ?, ?)");
  INFERD_RETURN_IF_ERROR(set.Bind(model).Bind(alias).Bind(version).Run("set an alias"));
  INFERD_RETURN_IF_ERROR(Touch(model, std::nullopt));
  return tx.Commit();
}

Status SqliteRegistryStore::DeleteAlias(const std::string& model, const std::string& alias) {
  std::lock_guard lock(mu_);
  INFERD_BEGIN(tx);
  INFERD_RETURN_IF_ERROR(RequireModel(model));
  Statement del(*this, "DELETE FROM aliases WHERE model = ? AND alias = ?");
  INFERD_RETURN_IF_ERROR(del.Bind(model).Bind(alias).Run("delete an alias"));
  if (sqlite3_changes(db_) == 0) {
    return NotFound("Registered model alias " + alias + " not found.");
  }
  INFERD_RETURN_IF_ERROR(Touch(model, std::nullopt));
  return tx.Commit();
}

StatusOr<int64_t> SqliteRegistryStore::DataVersion() {
  std::lock_guard lock(mu_);
  Statement row(*this, "PRAGMA data_version");
  const bool found = row.Row();
  INFERD_RETURN_IF_ERROR(row.status("read its data version"));
  return found ? row.Int(0) : 0;
}

}  // namespace inferd
