#include "signet/store/sql_store_internal.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

namespace signet::store::sql::detail {

void back_off(int attempt) {
  thread_local std::minstd_rand random{std::random_device{}()};
  const auto ceiling = std::min<std::chrono::microseconds>(
      std::chrono::milliseconds{std::int64_t{1} << std::min(attempt, 16)}, kMaxBackOff);
  std::uniform_int_distribution<std::int64_t> microseconds{0, ceiling.count()};
  std::this_thread::sleep_for(std::chrono::microseconds{microseconds(random)});
}

std::int64_t unix_seconds(Timestamp t) {
  return t.time_since_epoch().count();
}
Timestamp timestamp(std::int64_t s) {
  return Timestamp{std::chrono::seconds{s}};
}
std::optional<std::int64_t> unix_seconds(const std::optional<Timestamp>& t) {
  return t ? std::optional<std::int64_t>{unix_seconds(*t)} : std::nullopt;
}
std::optional<Timestamp> timestamp(std::optional<std::int64_t> s) {
  return s ? std::optional<Timestamp>{timestamp(*s)} : std::nullopt;
}

Unexpected<StoreError> not_found(std::string message) {
  return fail(StoreError{StoreErrorCode::kNotFound, std::move(message)});
}
Unexpected<StoreError> invalid(std::string message) {
  return fail(StoreError{StoreErrorCode::kInvalid, std::move(message)});
}
Unexpected<StoreError> conflict(std::string message) {
  return fail(StoreError{StoreErrorCode::kConflict, std::move(message)});
}
Unexpected<StoreError> corrupt(std::string message) {
  return fail(StoreError{StoreErrorCode::kCorrupt, std::move(message)});
}

StoreResult<std::int64_t> read_count(Statement& stmt) {
  SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
  if (!row) {
    return fail(StoreError{StoreErrorCode::kInternal, "a count returned no row"});
  }
  return stmt.column_integer(0);
}

StoreResult<bool> exists(Connection& db, std::string_view sql, std::string_view key) {
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare(sql));
  stmt.text(1, key);
  return stmt.step();
}

StoreResult<Ok> run_unique(Statement& stmt, std::string message) {
  auto r = stmt.run();
  if (!r && r.error().code == StoreErrorCode::kConflict) {
    return conflict(std::move(message));
  }
  return r;
}

StoreResult<std::int64_t> rows_changed(Connection& db, std::string_view sql,
                                       const std::function<void(Statement&)>& bind) {
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare(sql));
  bind(stmt);
  SIGNET_STORE_TRY(stmt.run());
  return db.changes();
}

StoreResult<Ok> delete_one(Connection& db, std::string_view sql,
                           const std::function<void(Statement&)>& bind, std::string missing) {
  SIGNET_STORE_TRY_ASSIGN(changed, rows_changed(db, sql, bind));
  if (changed == 0) {
    return not_found(std::move(missing));
  }
  return Ok{};
}

StoreResult<Revision> next_revision(Connection& db) {
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'revision' RETURNING value"));
  SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
  if (!row) {
    return corrupt("the meta table has no revision counter");
  }
  const auto revision = static_cast<Revision>(stmt.column_integer(0));
  SIGNET_STORE_TRY(stmt.run());
  return revision;
}

StoreResult<Ok> check_revision(std::string_view what, Revision stored,
                               std::optional<Revision> if_revision) {
  if (if_revision && *if_revision != stored) {
    return fail(StoreError{StoreErrorCode::kStale,
                           std::string{what} + " is at revision " + std::to_string(stored) +
                               ", not " + std::to_string(*if_revision) +
                               " as read: it changed since; read it again and redo the change"});
  }
  return Ok{};
}

StoreResult<Revision> claim_revision(Connection& db, std::string_view sql, std::string_view key,
                                     std::string_view what, std::string missing,
                                     std::optional<Revision> if_revision) {
  Revision stored = 0;
  {
    SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare(sql));
    stmt.text(1, key);
    SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
    if (!row) {
      return not_found(std::move(missing));
    }
    stored = static_cast<Revision>(stmt.column_integer(0));
  }
  SIGNET_STORE_TRY(check_revision(what, stored, if_revision));
  return next_revision(db);
}

StoreResult<Ok> bump_grant_revision(Connection& db, std::int64_t id) {
  SIGNET_STORE_TRY_ASSIGN(revision, next_revision(db));
  SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("UPDATE client_grants SET revision = ?2 WHERE id = ?1"));
  stmt.integer(1, id).integer(2, static_cast<std::int64_t>(revision));
  return stmt.run();
}

std::string join(const std::vector<std::string>& words, char separator) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    out += words[i];
  }
  return out;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto at = text.find(separator);
    out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) {
      break;
    }
    text.remove_prefix(at + 1);
  }
  return out;
}

}  // namespace signet::store::sql::detail
