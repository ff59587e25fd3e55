#include "signet/store/copy.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "signet/jose/crypto.h"
#include "signet/store/schema.h"
#include "signet/store/sql_store_internal.h"

namespace signet::store::copy {
namespace {

using K = ColumnKind;

// Every column of every tenant table at schema version 9 (schema.cc), parents before children.
// A migration that adds a column adds it here too: copy_test.cc compares this list with the
// columns both databases have.
const std::vector<Table>& table_list() {
  static const std::vector<Table> list = {
      {"apis",
       {{"rowid", K::kInteger},
        {"identifier", K::kText},
        {"name", K::kText},
        {"signing_algorithm", K::kText},
        {"token_lifetime", K::kInteger},
        {"allow_offline_access", K::kInteger},
        {"token_profile", K::kText},
        {"created_at", K::kInteger},
        {"permissions_claim", K::kInteger},
        {"revision", K::kInteger},
        {"require_dpop", K::kInteger}},
       {"rowid"},
       "rowid"},
      {"api_permissions",
       {{"api", K::kText},
        {"value", K::kText},
        {"description", K::kText},
        {"position", K::kInteger}},
       {"api", "value"},
       {}},
      {"applications",
       {{"rowid", K::kInteger},
        {"client_id", K::kText},
        {"name", K::kText},
        {"app_type", K::kText},
        {"grant_types", K::kText},
        {"token_endpoint_auth_method", K::kText},
        {"client_secret_hash", K::kBlob},
        {"created_at", K::kInteger},
        {"revision", K::kInteger},
        {"auth_method", K::kText},
        {"callbacks", K::kText},
        {"allowed_logout_urls", K::kText},
        {"web_origins", K::kText},
        {"jwks", K::kText},
        {"jwks_uri", K::kText},
        {"dpop_bound_access_tokens", K::kInteger}},
       {"rowid"},
       "rowid"},
      {"client_grants",
       {{"id", K::kInteger},
        {"client_id", K::kText},
        {"audience", K::kText},
        {"created_at", K::kInteger},
        {"revision", K::kInteger}},
       {"id"},
       "id"},
      {"client_grant_scopes",
       {{"grant_id", K::kInteger},
        {"api", K::kText},
        {"scope", K::kText},
        {"position", K::kInteger}},
       {"grant_id", "scope"},
       {}},
      {"users",
       {{"rowid", K::kInteger},
        {"id", K::kText},
        {"email", K::kText},
        {"password_hash", K::kText},
        {"blocked", K::kInteger},
        {"created_at", K::kInteger},
        {"revision", K::kInteger}},
       {"rowid"},
       "rowid"},
      {"user_permissions",
       {{"user_id", K::kText}, {"api", K::kText}, {"permission", K::kText}},
       {"user_id", "api", "permission"},
       {}},
      {"signing_keys",
       {{"rowid", K::kInteger},
        {"kid", K::kText},
        {"algorithm", K::kText},
        {"state", K::kText},
        {"encrypted_private_key", K::kBlob},
        {"public_jwk", K::kText},
        {"created_at", K::kInteger},
        {"rotated_at", K::kOptionalInteger}},
       {"rowid"},
       "rowid"},
      {"refresh_tokens",
       {{"id", K::kText},
        {"token_hash", K::kBlob},
        {"family_id", K::kText},
        {"client_id", K::kText},
        {"user_id", K::kText},
        {"audience", K::kText},
        {"scopes", K::kText},
        {"created_at", K::kInteger},
        {"expires_at", K::kInteger},
        {"rotated_at", K::kOptionalInteger},
        {"revoked", K::kInteger},
        {"successor_sealed", K::kOptionalBlob},
        {"jkt", K::kText}},
       {"id"},
       {}},
      {"failed_logins",
       {{"kind", K::kText},
        {"subject", K::kText},
        {"address", K::kText},
        {"count", K::kInteger},
        {"first_failure_at", K::kInteger},
        {"blocked_until", K::kOptionalInteger}},
       {"kind", "subject", "address"},
       {}},
      {"sign_in_addresses",
       {{"user_id", K::kText}, {"address", K::kText}, {"last_sign_in_at", K::kInteger}},
       {"user_id", "address"},
       {}},
      {"authorization_codes",
       {{"code_hash", K::kBlob},
        {"client_id", K::kText},
        {"user_id", K::kText},
        {"redirect_uri", K::kText},
        {"code_challenge", K::kText},
        {"audience", K::kText},
        {"scopes", K::kText},
        {"nonce", K::kText},
        {"refresh_family_id", K::kText},
        {"auth_time", K::kInteger},
        {"created_at", K::kInteger},
        {"expires_at", K::kInteger},
        {"used_at", K::kOptionalInteger},
        {"dpop_jkt", K::kText}},
       {"code_hash"},
       {}},
      {"browser_sessions",
       {{"rowid", K::kInteger},
        {"id_hash", K::kBlob},
        {"user_id", K::kText},
        {"auth_time", K::kInteger},
        {"last_seen_at", K::kInteger},
        {"expires_at", K::kInteger}},
       {"rowid"},
       "rowid"},
      {"client_assertions",
       {{"client_id", K::kText}, {"jti", K::kText}, {"expires_at", K::kInteger}},
       {"client_id", "jti"},
       {}},
      {"dpop_proofs", {{"id_hash", K::kText}, {"expires_at", K::kInteger}}, {"id_hash"}, {}},
      {"events",
       {{"id", K::kInteger},
        {"date", K::kInteger},
        {"type", K::kText},
        {"description", K::kText},
        {"client_id", K::kText},
        {"user_id", K::kText},
        {"audience", K::kText},
        {"scope", K::kText},
        {"error", K::kText},
        {"ip", K::kText},
        {"user_agent", K::kText},
        {"details", K::kText}},
       {"id"},
       "id"},
  };
  return list;
}

// The statements of one table, written from its description.
struct TableStatements {
  std::string select_sqlite;
  std::string select_postgres;
  std::string insert;
  // The identity's high-water mark in the source; empty without an identity.
  std::string high_water_sqlite;
  std::string high_water_postgres;
};

std::string select_statement(const Table& table, sql::Dialect dialect) {
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    sql += (i == 0 ? "" : ", ") + std::string{table.columns[i].name};
  }
  sql += " FROM " + std::string{table.name} + " ORDER BY ";
  for (std::size_t i = 0; i < table.order_by.size(); ++i) {
    sql += (i == 0 ? "" : ", ") + std::string{table.order_by[i]};
    const bool text = std::any_of(table.columns.begin(), table.columns.end(), [&](const Column& c) {
      return c.name == table.order_by[i] && c.kind == K::kText;
    });
    if (text && dialect == sql::Dialect::kPostgres) {
      // Byte order, as SQLite's BINARY collation sorts, whatever the database's locale: both
      // ends must read the rows in the same order for their digests to agree.
      sql += " COLLATE \"C\"";
    }
  }
  return sql;
}

std::string insert_statement(const Table& table) {
  std::string columns;
  std::string values;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    columns += (i == 0 ? "" : ", ") + std::string{table.columns[i].name};
    values += (i == 0 ? "?" : ", ?") + std::to_string(i + 1);
  }
  return "INSERT INTO " + std::string{table.name} + " (" + columns + ") VALUES (" + values + ")";
}

// Written once and kept for the process: Connection::prepare() keys its statement cache by the
// text and keeps the view for the connection's life, as it would a literal.
const std::vector<TableStatements>& statements() {
  static const std::vector<TableStatements> list = [] {
    std::vector<TableStatements> out;
    for (const Table& table : table_list()) {
      out.push_back({select_statement(table, sql::Dialect::kSqlite),
                     select_statement(table, sql::Dialect::kPostgres),
                     insert_statement(table),
                     {},
                     {}});
      if (!table.identity.empty()) {
        const std::string name{table.name};
        const std::string column{table.identity};
        out.back().high_water_sqlite =
            "SELECT max(coalesce(max(" + column + "), 0), coalesce((SELECT seq FROM " +
            "sqlite_sequence WHERE name = '" + name + "'), 0)) FROM " + name;
        out.back().high_water_postgres = "SELECT greatest(max(" + column +
                                         "), pg_sequence_last_value(pg_get_serial_sequence('" +
                                         name + "', '" + column + "')::regclass), 0) FROM " + name;
      }
    }
    return out;
  }();
  return list;
}

// SHA-256 over a table's rows in order, each value length-prefixed (and NULL told apart from an
// empty value), so that no two different sequences of rows have the same input.
class RowDigest {
 public:
  RowDigest() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_.get(), jose::sha256_md(), nullptr) == 1;
  }

  void add_null() { add_bytes("n", {}); }
  void add_value(std::string_view value) { add_bytes("v", value); }

  // The digest, or nullopt when OpenSSL failed at any step.
  std::optional<jose::Sha256Digest> finish() {
    jose::Sha256Digest out{};
    unsigned int length = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), out.data(), &length) != 1 || length != out.size()) {
      jose::clear_openssl_errors();
      return std::nullopt;
    }
    return out;
  }

 private:
  void add_bytes(std::string_view tag, std::string_view value) {
    std::array<unsigned char, 8> length{};
    std::uint64_t n = value.size();
    for (std::size_t i = length.size(); i-- > 0; n >>= 8) {
      length[i] = static_cast<unsigned char>(n & 0xff);
    }
    ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), tag.data(), tag.size()) == 1 &&
          EVP_DigestUpdate(ctx_.get(), length.data(), length.size()) == 1 &&
          EVP_DigestUpdate(ctx_.get(), value.data(), value.size()) == 1;
  }

  jose::EvpMdCtxPtr ctx_;
  bool ok_ = false;
};

struct TableDigest {
  std::int64_t rows = 0;
  jose::Sha256Digest digest{};
};

// Reads every row of `table` from `db` in its canonical order into a digest, and inserts each
// into `target` (when given): a copy reads the source so, a verification the target.
StoreResult<TableDigest> read_table(sql::Connection& db, std::size_t index,
                                    sql::Connection* target) {
  const Table& table = table_list()[index];
  const TableStatements& text = statements()[index];
  SIGNET_STORE_TRY_ASSIGN(select, db.prepare(db.pick(text.select_sqlite, text.select_postgres)));
  RowDigest digest;
  TableDigest out;
  for (;;) {
    SIGNET_STORE_TRY_ASSIGN(row, select.step());
    if (!row) {
      break;
    }
    ++out.rows;
    // A statement runs once per use: each row gets the cached one afresh.
    std::optional<sql::Statement> statement;
    if (target != nullptr) {
      SIGNET_STORE_TRY_ASSIGN(prepared, target->prepare(text.insert));
      statement.emplace(std::move(prepared));
    }
    sql::Statement* insert = statement ? &*statement : nullptr;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      const int column = static_cast<int>(i);
      const int parameter = column + 1;
      const ColumnKind kind = table.columns[i].kind;
      const bool optional = kind == K::kOptionalInteger || kind == K::kOptionalBlob;
      if (optional && select.column_is_null(column)) {
        digest.add_null();
        if (insert != nullptr) {
          if (kind == K::kOptionalInteger) {
            insert->optional_integer(parameter, std::nullopt);
          } else {
            insert->optional_blob(parameter, std::nullopt);
          }
        }
        continue;
      }
      switch (kind) {
        case K::kText: {
          const std::string value = select.column_text(column);
          digest.add_value(value);
          if (insert != nullptr) {
            insert->text(parameter, value);
          }
          break;
        }
        case K::kInteger:
        case K::kOptionalInteger: {
          const std::int64_t value = select.column_integer(column);
          digest.add_value(std::to_string(value));
          if (insert != nullptr) {
            insert->integer(parameter, value);
          }
          break;
        }
        case K::kBlob:
        case K::kOptionalBlob: {
          const std::string value = select.column_blob(column);
          digest.add_value(value);
          if (insert != nullptr) {
            insert->blob(parameter, value);
          }
          break;
        }
      }
    }
    if (insert != nullptr) {
      SIGNET_STORE_TRY(insert->run());
    }
  }
  auto finished = digest.finish();
  if (!finished) {
    return fail(StoreError{StoreErrorCode::kInternal, "OpenSSL could not compute SHA-256"});
  }
  out.digest = *finished;
  return out;
}

// Rows in the tables whose presence means the target already serves a tenant.
struct TenantCounts {
  std::int64_t apis = 0;
  std::int64_t applications = 0;
  std::int64_t users = 0;
  std::int64_t signing_keys = 0;

  bool empty() const { return apis == 0 && applications == 0 && users == 0 && signing_keys == 0; }
};

StoreResult<TenantCounts> count_tenant(sql::Connection& db) {
  SIGNET_STORE_TRY_ASSIGN(
      stmt, db.prepare("SELECT (SELECT count(*) FROM apis), (SELECT count(*) FROM applications), "
                       "(SELECT count(*) FROM users), (SELECT count(*) FROM signing_keys)"));
  SIGNET_STORE_TRY_ASSIGN(row, stmt.step());
  if (!row) {
    return fail(StoreError{StoreErrorCode::kCorrupt, "counting the tenant's rows returned no row"});
  }
  return TenantCounts{stmt.column_integer(0), stmt.column_integer(1), stmt.column_integer(2),
                      stmt.column_integer(3)};
}

std::string count_of(std::int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string{n == 1 ? one : many};
}

// Every tenant table, children first. Rows deleted from a table without a foreign key
// (failed_logins) would otherwise survive beside a tenant they do not belong to.
StoreResult<Ok> empty_tenant(sql::Connection& db) {
  const auto& list = table_list();
  for (auto table = list.rbegin(); table != list.rend(); ++table) {
    SIGNET_STORE_TRY(db.exec("DELETE FROM " + std::string{table->name}));
  }
  return Ok{};
}

// The largest identity the source ever gave in `table`: its largest value, or more when the
// largest rows were deleted (SQLite's AUTOINCREMENT and PostgreSQL's sequences remember).
StoreResult<std::int64_t> identity_high_water(sql::Connection& db, std::size_t index) {
  const TableStatements& text = statements()[index];
  return db.query_integer(db.pick(text.high_water_sqlite, text.high_water_postgres),
                          "reading an identity's high-water mark returned no row");
}

// Identities are handed out past the source's high-water mark (and never below what the target
// gave before), so that new rows sort after the copied ones and a new grant id is never one
// already given: a script holding an old id cannot change someone else's grant. PostgreSQL's
// sequences do not move with explicit values; SQLite's rowid follows them, and its AUTOINCREMENT
// counter (client_grants) is carried over.
StoreResult<Ok> advance_identity(sql::Connection& db, std::size_t index, std::int64_t high) {
  const Table& table = table_list()[index];
  const std::string name{table.name};
  const std::string column{table.identity};
  const std::string mark = std::to_string(high);
  if (db.dialect() == sql::Dialect::kPostgres) {
    const std::string sequence = "pg_get_serial_sequence('" + name + "', '" + column + "')";
    // greatest() skips NULLs: an empty table, a sequence never used.
    return db.exec("SELECT setval(" + sequence + ", m) FROM (SELECT greatest(" + mark + ", max(" +
                   column + "), pg_sequence_last_value(" + sequence + "::regclass)) AS m FROM " +
                   name + ") AS s WHERE m > 0");
  }
  if (table.identity == "rowid" || high == 0) {
    return Ok{};  // not AUTOINCREMENT: the next rowid is the largest one plus one
  }
  return db.exec("UPDATE sqlite_sequence SET seq = max(seq, " + mark + ") WHERE name = '" + name +
                 "'; INSERT INTO sqlite_sequence (name, seq) SELECT '" + name + "', " + mark +
                 " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '" + name + "')");
}

StoreResult<std::int64_t> read_revision(sql::Connection& db) {
  return db.query_integer("SELECT value FROM meta WHERE key = 'revision'",
                          "meta has no revision counter");
}

// The target's counter is never lowered: revisions it gave before stay below the next one.
StoreResult<std::int64_t> carry_revision(sql::Connection& db, std::int64_t source) {
  SIGNET_STORE_TRY_ASSIGN(
      stmt,
      db.prepare(db.pick("UPDATE meta SET value = max(value, ?1) WHERE key = 'revision'",
                         "UPDATE meta SET value = greatest(value, ?1) WHERE key = 'revision'")));
  SIGNET_STORE_TRY(stmt.integer(1, source).run());
  return read_revision(db);
}

CopyError source_error(const StoreError& e, std::string_view what) {
  return CopyError{CopyErrorCode::kSource, e.code,
                   "reading the source (" + std::string{what} + "): " + describe(e)};
}

CopyError target_error(const StoreError& e, std::string_view what) {
  return CopyError{CopyErrorCode::kTarget, e.code,
                   "writing the target (" + std::string{what} + "): " + describe(e)};
}

}  // namespace

std::span<const Table> tables() {
  return table_list();
}

Result<CopyReport, CopyError> copy_tenant(sql::Connection& from, sql::Connection& to,
                                          const CopyOptions& options) {
  if (auto r = schema::require_latest(from); !r) {
    return fail(source_error(r.error(), "its schema version"));
  }
  if (auto r = schema::migrate(to, schema::migrations()); !r) {
    return fail(target_error(r.error(), "migrating it"));
  }
  auto read_tx = sql::Transaction::begin(from, sql::TransactionMode::kRead);
  if (!read_tx) {
    return fail(source_error(read_tx.error(), "beginning a read transaction"));
  }
  auto write_tx = sql::Transaction::begin(to, sql::TransactionMode::kWrite);
  if (!write_tx) {
    return fail(target_error(write_tx.error(), "beginning a write transaction"));
  }

  auto counts = count_tenant(to);
  if (!counts) {
    return fail(target_error(counts.error(), "counting what it holds"));
  }
  if (!counts->empty() && !options.replace) {
    return fail(
        CopyError{CopyErrorCode::kTargetNotEmpty, StoreErrorCode::kInternal,
                  "the target already holds a tenant: " + count_of(counts->apis, "API", "APIs") +
                      ", " + count_of(counts->applications, "application", "applications") + ", " +
                      count_of(counts->users, "user", "users") + ", " +
                      count_of(counts->signing_keys, "signing key", "signing keys")});
  }
  if (auto r = empty_tenant(to); !r) {
    return fail(target_error(r.error(), "emptying its tenant tables"));
  }

  std::vector<TableDigest> copied;
  for (std::size_t i = 0; i < table_list().size(); ++i) {
    const std::string_view name = table_list()[i].name;
    auto table = read_table(from, i, &to);
    if (!table) {
      // Either end may have failed; the message names which (a driver's text says the statement).
      return fail(CopyError{CopyErrorCode::kTarget, table.error().code,
                            "copying table " + std::string{name} + ": " + describe(table.error())});
    }
    copied.push_back(*table);
    if (!table_list()[i].identity.empty()) {
      auto high = identity_high_water(from, i);
      if (!high) {
        return fail(source_error(high.error(), name));
      }
      if (auto r = advance_identity(to, i, *high); !r) {
        return fail(target_error(r.error(), "moving the identity of " + std::string{name}));
      }
    }
  }
  auto source_revision = read_revision(from);
  if (!source_revision) {
    return fail(source_error(source_revision.error(), "meta"));
  }
  auto revision = carry_revision(to, *source_revision);
  if (!revision) {
    return fail(target_error(revision.error(), "meta"));
  }

  CopyReport report;
  report.revision = *revision;
  for (std::size_t i = 0; i < table_list().size(); ++i) {
    const std::string_view name = table_list()[i].name;
    auto written = read_table(to, i, nullptr);
    if (!written) {
      return fail(target_error(written.error(), "reading back table " + std::string{name}));
    }
    if (written->rows != copied[i].rows) {
      return fail(CopyError{CopyErrorCode::kMismatch, StoreErrorCode::kInternal,
                            "table " + std::string{name} + " has " + std::to_string(written->rows) +
                                " rows in the target after " + std::to_string(copied[i].rows) +
                                " were copied; nothing was written"});
    }
    if (written->digest != copied[i].digest) {
      return fail(CopyError{CopyErrorCode::kMismatch, StoreErrorCode::kInternal,
                            "table " + std::string{name} +
                                " reads back from the target different from the source (its "
                                "SHA-256 digests differ); nothing was written"});
    }
    report.tables.push_back({name, written->rows});
  }
  if (auto r = write_tx->commit(); !r) {
    return fail(target_error(r.error(), "committing"));
  }
  return report;
}

}  // namespace signet::store::copy
