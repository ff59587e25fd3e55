// The PostgreSQL driver against a real server (tests/test_common/postgres_test_server.h): each
// test gets a fresh database.

#include "signet/store/postgres_db.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "signet/store/postgres_db_internal.h"
#include "tests/store/store_test_support.h"
#include "tests/test_common/postgres_test_server.h"
#include "tests/test_common/temp_dir.h"

namespace signet::store::postgres {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Long enough that a loaded machine never hits it where a test expects success; the tests that
// expect a timeout set their own, short one.
constexpr milliseconds kPatient{10000};

// --- without a server

TEST(PostgresLibpq, DebiansLibpqLoadsAndAMissingOneSaysWhatToInstall) {
  EXPECT_EQ(internal::libpq_load_error("libpq.so.5"), "");
  std::string error = internal::libpq_load_error("libsignet-no-such-libpq.so.5");
  EXPECT_NE(error.find("PostgreSQL's client library cannot be loaded"), std::string::npos) << error;
  EXPECT_NE(error.find("libsignet-no-such-libpq.so.5"), std::string::npos) << error;
  EXPECT_NE(error.find("apt install libpq5"), std::string::npos) << error;
}

TEST(PostgresRewrite, TurnsNumberedParametersIntoDollarsOutsideQuotesAndComments) {
  struct Case {
    std::string_view sql;
    std::string_view text;
    int parameters;
  };
  const Case cases[] = {
      {"SELECT ?1, ?2", "SELECT $1, $2", 2},
      {"SELECT 1", "SELECT 1", 0},
      {"WHERE a = ?10 OR b = ?3", "WHERE a = $10 OR b = $3", 10},
      {"SELECT '?1', \"?2\", ?3", "SELECT '?1', \"?2\", $3", 3},
      {"SELECT 'it''s ?1', ?2", "SELECT 'it''s ?1', $2", 2},
      {"SELECT ?1 -- ?2\n, ?3", "SELECT $1 -- ?2\n, $3", 3},
      {"SELECT /* ?7 */ ?1", "SELECT /* ?7 */ $1", 1},
      {"SELECT doc ? 'key' FROM t WHERE id = ?1", "SELECT doc ? 'key' FROM t WHERE id = $1", 1},
      {"SELECT 'unterminated ?1", "SELECT 'unterminated ?1", 0},
      {"SELECT ?", "SELECT ?", 0},
  };
  for (const Case& c : cases) {
    internal::RewrittenSql out = internal::rewrite_placeholders(c.sql);
    EXPECT_EQ(out.text, c.text) << c.sql;
    EXPECT_EQ(out.parameters, c.parameters) << c.sql;
  }
}

TEST(PostgresErrors, SqlstatesMapToStoreErrorCodes) {
  struct Case {
    std::string_view sqlstate;
    StoreErrorCode code;
  };
  const Case cases[] = {
      {"23505", StoreErrorCode::kConflict},    {"23503", StoreErrorCode::kInvalid},
      {"23514", StoreErrorCode::kInvalid},     {"23502", StoreErrorCode::kInvalid},
      {"22021", StoreErrorCode::kInvalid},     {"22003", StoreErrorCode::kInvalid},
      {"40001", StoreErrorCode::kBusy},        {"40P01", StoreErrorCode::kBusy},
      {"55P03", StoreErrorCode::kBusy},        {"57014", StoreErrorCode::kBusy},
      {"08006", StoreErrorCode::kUnavailable}, {"08001", StoreErrorCode::kUnavailable},
      {"57P01", StoreErrorCode::kUnavailable}, {"57P02", StoreErrorCode::kUnavailable},
      {"57P03", StoreErrorCode::kUnavailable}, {"3D000", StoreErrorCode::kUnavailable},
      {"42601", StoreErrorCode::kInternal},    {"42P01", StoreErrorCode::kInternal},
      {"25006", StoreErrorCode::kInternal},    {"XX000", StoreErrorCode::kInternal},
      {"", StoreErrorCode::kInternal},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(internal::code_for_sqlstate(c.sqlstate), c.code) << c.sqlstate;
  }
  EXPECT_TRUE(internal::is_retryable_sqlstate("40001"));
  EXPECT_TRUE(internal::is_retryable_sqlstate("40P01"));
  EXPECT_FALSE(internal::is_retryable_sqlstate("55P03"));
  EXPECT_FALSE(internal::is_retryable_sqlstate("23505"));
}

TEST(PostgresErrors, MessagesAreOneLine) {
  EXPECT_EQ(internal::one_line("connection refused\n\tIs the server running?\n"),
            "connection refused Is the server running?");
  EXPECT_EQ(internal::one_line("  a \r\n b  "), "a b");
}

TEST(PostgresUrl, RecognisesBothSchemes) {
  EXPECT_TRUE(is_postgres_url("postgresql://h/db"));
  EXPECT_TRUE(is_postgres_url("postgres://h/db"));
  EXPECT_TRUE(is_postgres_url("PostgreSQL://h/db"));
  EXPECT_FALSE(is_postgres_url("host=h dbname=db"));
  EXPECT_FALSE(is_postgres_url("sqlite:///var/lib/signet"));
  EXPECT_FALSE(is_postgres_url("/var/lib/signet"));
  EXPECT_FALSE(is_postgres_url(""));
}

TEST(PostgresUrl, RedactionHidesEveryPassword) {
  struct Case {
    std::string_view url;
    std::string_view redacted;
  };
  const Case cases[] = {
      {"postgresql://signet:hunter2@db.example.com:5432/signet?sslmode=verify-full",
       "postgresql://signet:***@db.example.com:5432/signet?sslmode=verify-full"},
      {"postgresql://signet@db/signet", "postgresql://signet@db/signet"},
      {"postgresql://db/signet", "postgresql://db/signet"},
      {"postgresql://db/signet?user=me&password=hunter2&sslmode=require",
       "postgresql://db/signet?user=me&password=***&sslmode=require"},
      {"postgresql://db/signet?PASSWORD=hunter2", "postgresql://db/signet?PASSWORD=***"},
      {"postgresql://u:p%40ss/w@db/signet", "postgresql://u:***@db/signet"},
      {"postgresql://u:a@b@db/signet", "postgresql://u:***@db/signet"},
      {"postgres://u:hunter2@h1:5432,h2:5432/signet", "postgres://u:***@h1:5432,h2:5432/signet"},
      {"postgresql://u:hunter2@db/signet?password=hunter3",
       "postgresql://u:***@db/signet?password=***"},
      {"postgresql://db/signet?passwordless=1", "postgresql://db/signet?passwordless=1"},
      {"host=db password='hun ter2' dbname=signet", "host=db password=*** dbname=signet"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(redact_url(c.url), c.redacted) << c.url;
  }
}

TEST(PostgresUrl, ScrubbingRemovesThePasswordAsWrittenAndDecoded) {
  std::string url = "postgresql://u:hunter%32@db/signet";
  EXPECT_EQ(internal::scrub_password("token \"hunter%32\" and hunter2", url),
            "token \"***\" and ***");
}

// --- against a server

class PostgresDbTest : public ::testing::Test {
 protected:
  Options options(int pool_size = 2) const {
    Options o;
    o.url = database_.url();
    o.pool_size = pool_size;
    o.acquire_timeout = kPatient;
    o.statement_timeout = kPatient;
    return o;
  }

  std::unique_ptr<sql::Database> open_or_die(const Options& o) {
    auto db = open(o);
    EXPECT_TRUE(db.ok()) << db.error().message;
    return db.ok() ? std::move(db).value() : nullptr;
  }

  static sql::Lease lease(sql::Database& db) {
    auto lease = db.acquire();
    EXPECT_TRUE(lease.ok()) << lease.error().message;
    return lease.ok() ? std::move(lease).value() : sql::Lease(nullptr, sql::GiveBack{&db});
  }

  static void exec_or_die(sql::Connection& c, std::string_view sql) {
    auto r = c.exec(sql);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  static std::int64_t backend_pid(sql::Connection& c) {
    auto pid = c.query_integer("SELECT pg_backend_pid()", "no pid");
    EXPECT_TRUE(pid.ok()) << pid.error().message;
    return pid.ok() ? *pid : 0;
  }

  // Ends the server process behind `pid` and waits until it is gone, so that its connection's
  // socket is closed when this returns.
  static void terminate(sql::Connection& from, std::int64_t pid) {
    auto stmt = from.prepare("SELECT pg_terminate_backend(CAST(?1 AS integer), 10000)");
    ASSERT_TRUE(stmt.ok()) << stmt.error().message;
    stmt->integer(1, pid);
    auto row = stmt->step();
    ASSERT_TRUE(row.ok()) << row.error().message;
    ASSERT_TRUE(*row);
    ASSERT_EQ(stmt->column_integer(0), 1) << "pg_terminate_backend did not end " << pid;
  }

  signet::testing::TestDatabase database_;
};

TEST_F(PostgresDbTest, OpenChecksTheUrlAndReportsThePostgresDialect) {
  auto db = open_or_die(options());
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->dialect(), sql::Dialect::kPostgres);
  sql::Lease c = lease(*db);
  EXPECT_EQ(c->dialect(), sql::Dialect::kPostgres);
  EXPECT_EQ(c->pick("sqlite", "postgres"), "postgres");
}

TEST_F(PostgresDbTest, SessionRunsInUtcAndUtf8WithTheStatementTimeout) {
  Options o = options();
  o.statement_timeout = milliseconds{1234};
  auto db = open_or_die(o);
  sql::Lease c = lease(*db);
  auto stmt = c->prepare(
      "SELECT current_setting('TimeZone'), current_setting('client_encoding'), "
      "current_setting('statement_timeout'), current_setting('lock_timeout'), "
      "current_setting('application_name')");
  ASSERT_TRUE(stmt.ok());
  auto row = stmt->step();
  ASSERT_TRUE(row.ok()) << row.error().message;
  ASSERT_TRUE(*row);
  EXPECT_EQ(stmt->column_text(0), "UTC");
  EXPECT_EQ(stmt->column_text(1), "UTF8");
  EXPECT_EQ(stmt->column_text(2), "1234ms");
  EXPECT_EQ(stmt->column_text(3), "1234ms");
  EXPECT_EQ(stmt->column_text(4), "signet");
}

TEST_F(PostgresDbTest, ValuesRoundTripThroughEveryType) {
  auto db = open_or_die(options());
  sql::Lease c = lease(*db);
  exec_or_die(*c,
              "CREATE TABLE t (id bigint PRIMARY KEY, name text, n bigint, b bytea);"
              "INSERT INTO t (id) VALUES (100)");  // several statements in one exec
  const std::string blob("\x00\xff\x01x\x00", 5);
  const std::string text = "caf\xc3\xa9 \xe2\x9c\x93 'quoted' \"double\" \\x00";
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  {
    auto insert = c->prepare("INSERT INTO t (id, name, n, b) VALUES (?1, ?2, ?3, ?4)");
    ASSERT_TRUE(insert.ok());
    insert->integer(1, 1).text(2, text).integer(3, kMin).blob(4, blob);
    ASSERT_TRUE(insert->run().ok());
  }
  {
    // The same cached statement again, with an empty text, an empty blob and a NULL integer.
    auto insert = c->prepare("INSERT INTO t (id, name, n, b) VALUES (?1, ?2, ?3, ?4)");
    ASSERT_TRUE(insert.ok());
    insert->integer(1, 2).text(2, "").optional_integer(3, std::nullopt).blob(4, "");
    auto r = insert->run();
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  {
    auto insert = c->prepare("INSERT INTO t (id, n) VALUES (?1, ?2)");
    ASSERT_TRUE(insert.ok());
    insert->integer(1, 3).optional_integer(2, kMax);
    ASSERT_TRUE(insert->run().ok());
  }
  auto select = c->prepare("SELECT id, name, n, b FROM t WHERE id < ?1 ORDER BY id");
  ASSERT_TRUE(select.ok());
  select->integer(1, 100);

  auto row = select->step();
  ASSERT_TRUE(row.ok()) << row.error().message;
  ASSERT_TRUE(*row);
  EXPECT_EQ(select->column_integer(0), 1);
  EXPECT_EQ(select->column_text(1), text);
  EXPECT_EQ(select->column_integer(2), kMin);
  EXPECT_EQ(select->column_blob(3), blob);
  EXPECT_FALSE(select->column_is_null(3));

  row = select->step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->column_integer(0), 2);
  EXPECT_EQ(select->column_text(1), "");
  EXPECT_FALSE(select->column_is_null(1));
  EXPECT_TRUE(select->column_is_null(2));
  EXPECT_EQ(select->column_optional_integer(2), std::nullopt);
  EXPECT_EQ(select->column_blob(3), "");
  EXPECT_FALSE(select->column_is_null(3)) << "an empty blob is not NULL";

  row = select->step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->column_integer(0), 3);
  EXPECT_EQ(select->column_optional_integer(2), kMax);
  EXPECT_TRUE(select->column_is_null(1));
  EXPECT_TRUE(select->column_is_null(3)) << "a missing blob is NULL, not empty";

  row = select->step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
  row = select->step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row) << "stepping past the end stays at the end";
}

TEST_F(PostgresDbTest, ColumnsOutsideARowReadAsEmptyAndNull) {
  auto db = open_or_die(options());
  sql::Lease c = lease(*db);
  auto stmt = c->prepare("SELECT 'x', 7 WHERE ?1 = 1");
  ASSERT_TRUE(stmt.ok());
  EXPECT_EQ(stmt->column_text(0), "") << "before the first step";
  EXPECT_TRUE(stmt->column_is_null(0));
  stmt->integer(1, 2);
  auto row = stmt->step();
  ASSERT_TRUE(row.ok());
  ASSERT_FALSE(*row);
  EXPECT_EQ(stmt->column_text(0), "");
  EXPECT_EQ(stmt->column_integer(1), 0);
  EXPECT_EQ(stmt->column_blob(0), "");
  EXPECT_EQ(stmt->column_text(5), "") << "a column that is not there";
}

TEST_F(PostgresDbTest, BooleansReadAsIntegers) {
  auto db = open_or_die(options());
  sql::Lease c = lease(*db);
  auto yes = c->query_integer("SELECT EXISTS (SELECT 1)", "no row");
  ASSERT_TRUE(yes.ok()) << yes.error().message;
  EXPECT_EQ(*yes, 1);
  auto no = c->query_integer("SELECT 1 = 2", "no row");
  ASSERT_TRUE(no.ok());
  EXPECT_EQ(*no, 0);
  auto none = c->query_integer("SELECT 1 WHERE false", "nothing there");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, StoreErrorCode::kCorrupt);
  EXPECT_EQ(none.error().message, "nothing there");
}

TEST_F(PostgresDbTest, OptionalFiltersNeedNoCastsBecauseParametersAreTyped) {
  auto db = open_or_die(options());
  sql::Lease c = lease(*db);
  exec_or_die(*c,
              "CREATE TABLE t (name text, n bigint);"
              "INSERT INTO t VALUES ('alice', 1), ('bob', 2), ('alfred', 3)");
  // Without the types of the bindings PostgreSQL cannot tell what ?1 is in `?1 IS NULL`.
  auto count = [&](std::optional<std::int64_t> min, std::string_view pattern) -> std::int64_t {
    auto stmt = c->prepare(
        "SELECT count(*) FROM t WHERE (?1 IS NULL OR n >= ?1) AND (?2 IS NULL OR name LIKE ?2)");
    EXPECT_TRUE(stmt.ok());
    stmt->optional_integer(1, min).text(2, pattern);
    auto row = stmt->step();
    EXPECT_TRUE(row.ok()) << row.error().message;
    return row.ok() && *row ? stmt->column_integer(0) : -1;
  };
  EXPECT_EQ(count(std::nullopt, "%"), 3);
  EXPECT_EQ(count(std::nullopt, "al%"), 2);
  EXPECT_EQ(count(2, "al%"), 1);
  EXPECT_EQ(count(2, "%"), 2);
  EXPECT_EQ(count(std::nullopt, "b%"), 1);
}

TEST_F(PostgresDbTest, ChangesCountsRowsOfTheLastWrite) {
  auto db = open_or_die(options());
  sql::Lease c = lease(*db);
  exec_or_die(*c,
              "CREATE TABLE t (id bigint, n bigint); INSERT INTO t VALUES (1, 0), (2, 0), (3, 5)");
  EXPECT_EQ(c->changes(), 0) << "exec() is not a statement";
  auto update = [&](std::int64_t n) {
    auto stmt = c->prepare("UPDATE t SET n = n + 1 WHERE n = ?1");
    ASSERT_TRUE(stmt.ok());
    stmt->integer(1, n);
    ASSERT_TRUE(stmt->run().ok());
  };
  update(0);
  EXPECT_EQ(c->changes(), 2);
  ASSERT_TRUE(c->query_integer("SELECT count(*) FROM t", "no row").ok());
  EXPECT_EQ(c->changes(), 2) << "a SELECT leaves the last write's count";
  update(42);
  EXPECT_EQ(c->changes(), 0);
  {
    auto del = c->prepare("DELETE FROM t WHERE id = ?1 RETURNING n");
    ASSERT_TRUE(del.ok());
    del->integer(1, 3);
    auto row = del->step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_EQ(del->column_integer(0), 5);
  }
  EXPECT_EQ(c->changes(), 1);
  {
    auto insert = c->prepare("INSERT INTO t SELECT id + 10, n FROM t");
    ASSERT_TRUE(insert.ok());
    ASSERT_TRUE(insert->run().ok());
  }
  EXPECT_EQ(c->changes(), 2);
}

TEST_F(PostgresDbTest, ConstraintViolationsMapToConflictAndInvalidWithoutTheValues) {
  auto db = open_or_die(options());
  sql::Lease c = lease(*db);
  exec_or_die(*c,
              "CREATE TABLE parent (id text PRIMARY KEY);"
              "CREATE TABLE child (id bigint PRIMARY KEY, parent text NOT NULL REFERENCES parent,"
              "  n bigint CHECK (n >= 0));"
              "INSERT INTO parent VALUES ('secret-hash-value')");
  auto insert_parent = [&](std::string_view id) {
    auto stmt = c->prepare("INSERT INTO parent (id) VALUES (?1)");
    EXPECT_TRUE(stmt.ok());
    stmt->text(1, id);
    return stmt->run();
  };
  auto duplicate = insert_parent("secret-hash-value");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, StoreErrorCode::kConflict) << duplicate.error().message;
  EXPECT_EQ(duplicate.error().message.find("secret-hash-value"), std::string::npos)
      << "the DETAIL line quotes the key: " << duplicate.error().message;
  EXPECT_NE(duplicate.error().message.find("23505"), std::string::npos);
  EXPECT_EQ(duplicate.error().message.find('\n'), std::string::npos);
  EXPECT_FALSE(c->last_error_is_retryable());

  auto insert_child = [&](std::int64_t id, std::string_view parent, std::int64_t n) {
    auto stmt = c->prepare("INSERT INTO child (id, parent, n) VALUES (?1, ?2, ?3)");
    EXPECT_TRUE(stmt.ok());
    stmt->integer(1, id).text(2, parent).integer(3, n);
    return stmt->run();
  };
  auto orphan = insert_child(1, "missing", 0);
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().code, StoreErrorCode::kInvalid) << orphan.error().message;
  auto negative = insert_child(2, "secret-hash-value", -1);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, StoreErrorCode::kInvalid) << negative.error().message;

  auto no_parent = c->prepare("INSERT INTO child (id, parent) VALUES (?1, NULL)");
  ASSERT_TRUE(no_parent.ok());
  no_parent->integer(1, 3);
  auto null = no_parent->run();
  ASSERT_FALSE(null.ok());
  EXPECT_EQ(null.error().code, StoreErrorCode::kInvalid) << null.error().message;

  auto ok = insert_child(4, "secret-hash-value", 0);
  EXPECT_TRUE(ok.ok()) << "the connection works after errors: " << ok.error().message;
}

TEST_F(PostgresDbTest, TextThatPostgresCannotHoldIsInvalid) {
  auto db = open_or_die(options());
  sql::Lease c = lease(*db);
  auto echo = [&](std::string_view text) {
    auto stmt = c->prepare("SELECT length(?1)");
    EXPECT_TRUE(stmt.ok());
    stmt->text(1, text);
    return stmt->step();
  };
  auto nul = echo(std::string_view("admin\0x", 7));
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.error().code, StoreErrorCode::kInvalid) << nul.error().message;
  auto bad_utf8 = echo("\xff\xfe");
  ASSERT_FALSE(bad_utf8.ok());
  EXPECT_EQ(bad_utf8.error().code, StoreErrorCode::kInvalid) << bad_utf8.error().message;
  auto fine = echo("admin");
  ASSERT_TRUE(fine.ok()) << fine.error().message;
  EXPECT_TRUE(*fine);
}

TEST_F(PostgresDbTest, BadSqlAndBadParametersAreInternalErrors) {
  auto db = open_or_die(options());
  sql::Lease c = lease(*db);
  auto syntax = c->exec("SELEC 1");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().code, StoreErrorCode::kInternal);
  EXPECT_NE(syntax.error().message.find("SELEC 1"), std::string::npos) << "names the statement";

  auto missing = c->prepare("SELECT * FROM no_such_table WHERE id = ?1");
  ASSERT_TRUE(missing.ok()) << "prepared on the server at the first step";
  missing->integer(1, 1);
  auto r = missing->step();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrorCode::kInternal) << r.error().message;

  auto out_of_range = c->prepare("SELECT ?1");
  ASSERT_TRUE(out_of_range.ok());
  out_of_range->integer(2, 1);
  auto bound = out_of_range->step();
  ASSERT_FALSE(bound.ok());
  EXPECT_EQ(bound.error().code, StoreErrorCode::kInternal);
  EXPECT_NE(bound.error().message.find("?2"), std::string::npos) << bound.error().message;
}

TEST_F(PostgresDbTest, AnUnboundParameterIsNull) {
  auto db = open_or_die(options());
  sql::Lease c = lease(*db);
  auto stmt = c->prepare("SELECT CAST(?1 AS bigint) IS NULL, CAST(?2 AS bigint)");
  ASSERT_TRUE(stmt.ok());
  stmt->integer(2, 7);
  auto row = stmt->step();
  ASSERT_TRUE(row.ok()) << row.error().message;
  ASSERT_TRUE(*row);
  EXPECT_EQ(stmt->column_integer(0), 1);
  EXPECT_EQ(stmt->column_integer(1), 7);
}

TEST_F(PostgresDbTest, ConcurrentSerializableWritesFailOneAsRetryableBusy) {
  auto db = open_or_die(options());
  sql::Lease a = lease(*db);
  sql::Lease b = lease(*db);
  exec_or_die(*a,
              "CREATE TABLE counter (id bigint PRIMARY KEY, n bigint); "
              "INSERT INTO counter VALUES (1, 0)");
  auto read = [](sql::Connection& c) {
    return c.query_integer("SELECT n FROM counter WHERE id = 1", "no counter");
  };
  auto write = [](sql::Connection& c, std::int64_t n) {
    auto stmt = c.prepare("UPDATE counter SET n = ?1 WHERE id = 1");
    EXPECT_TRUE(stmt.ok());
    stmt->integer(1, n);
    return stmt->run();
  };
  // Both read 0, both write 1: one of the two increments must not be lost.
  ASSERT_TRUE(a->begin(sql::TransactionMode::kWrite).ok());
  ASSERT_TRUE(b->begin(sql::TransactionMode::kWrite).ok());
  auto seen_a = read(*a);
  auto seen_b = read(*b);
  ASSERT_TRUE(seen_a.ok() && seen_b.ok());
  ASSERT_TRUE(write(*a, *seen_a + 1).ok());
  ASSERT_TRUE(a->commit().ok());
  auto lost = write(*b, *seen_b + 1);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, StoreErrorCode::kBusy) << lost.error().message;
  EXPECT_TRUE(b->last_error_is_retryable());
  b->rollback();

  // The retry sees the first write.
  ASSERT_TRUE(b->begin(sql::TransactionMode::kWrite).ok());
  EXPECT_FALSE(b->last_error_is_retryable()) << "begin() forgets the last error";
  auto again = read(*b);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 1);
  ASSERT_TRUE(write(*b, *again + 1).ok());
  ASSERT_TRUE(b->commit().ok());
  auto final_value = read(*a);
  ASSERT_TRUE(final_value.ok());
  EXPECT_EQ(*final_value, 2);
}

TEST_F(PostgresDbTest, ThreadsSharingAPoolLoseNoIncrementWhenTheyRetry) {
  constexpr int kThreads = 4;
  constexpr int kIncrementsPerThread = 20;
  constexpr int kMaxAttempts = 1000;  // a retry loop that cannot spin forever
  auto db = open_or_die(options(/*pool_size=*/2));
  {
    sql::Lease c = lease(*db);
    exec_or_die(*c,
                "CREATE TABLE counter (id bigint PRIMARY KEY, n bigint); "
                "INSERT INTO counter VALUES (1, 0)");
  }
  // One read-modify-write, as the store runs its writes: kBusy with a retryable error means
  // "run the whole transaction again".
  auto increment = [&]() -> Result<Ok, StoreError> {
    auto c = db->acquire();
    if (!c) {
      return fail(c.error());
    }
    auto tx = sql::Transaction::begin(**c, sql::TransactionMode::kWrite);
    if (!tx) {
      return fail(tx.error());
    }
    auto n = (*c)->query_integer("SELECT n FROM counter WHERE id = 1", "no counter");
    if (!n) {
      return fail(n.error());
    }
    auto stmt = (*c)->prepare("UPDATE counter SET n = ?1 WHERE id = 1");
    if (!stmt) {
      return fail(stmt.error());
    }
    stmt->integer(1, *n + 1);
    if (auto r = stmt->run(); !r) {
      return r;
    }
    return tx->commit();
  };
  std::atomic<int> failures{0};
  std::atomic<int> retries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrementsPerThread; ++i) {
        for (int attempt = 0;; ++attempt) {
          auto r = increment();
          if (r.ok()) {
            break;
          }
          if (r.error().code != StoreErrorCode::kBusy || attempt == kMaxAttempts) {
            ++failures;
            ADD_FAILURE() << describe(r.error());
            break;
          }
          ++retries;
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  sql::Lease c = lease(*db);
  EXPECT_EQ(*c->query_integer("SELECT n FROM counter", "none"), kThreads * kIncrementsPerThread)
      << retries.load() << " retries";
}

TEST_F(PostgresDbTest, ReadTransactionsSeeOneSnapshotAndCannotWrite) {
  auto db = open_or_die(options());
  sql::Lease reader = lease(*db);
  sql::Lease writer = lease(*db);
  exec_or_die(*writer, "CREATE TABLE t (n bigint); INSERT INTO t VALUES (1)");
  auto count = [](sql::Connection& c) { return c.query_integer("SELECT count(*) FROM t", "none"); };
  ASSERT_TRUE(reader->begin(sql::TransactionMode::kRead).ok());
  ASSERT_EQ(*count(*reader), 1);
  exec_or_die(*writer, "INSERT INTO t VALUES (2)");
  EXPECT_EQ(*count(*reader), 1) << "the snapshot holds for the whole transaction";
  auto write = reader->exec("INSERT INTO t VALUES (3)");
  EXPECT_FALSE(write.ok());
  reader->rollback();
  EXPECT_EQ(*count(*reader), 2);
}

TEST_F(PostgresDbTest, CommittingAFailedTransactionIsAnError) {
  auto db = open_or_die(options());
  sql::Lease c = lease(*db);
  exec_or_die(*c, "CREATE TABLE t (id bigint PRIMARY KEY)");
  ASSERT_TRUE(c->begin(sql::TransactionMode::kWrite).ok());
  exec_or_die(*c, "INSERT INTO t VALUES (1)");
  ASSERT_FALSE(c->exec("INSERT INTO t VALUES (1)").ok());
  auto commit = c->commit();
  ASSERT_FALSE(commit.ok()) << "PostgreSQL answers ROLLBACK to this COMMIT";
  EXPECT_EQ(commit.error().code, StoreErrorCode::kInternal);
  EXPECT_EQ(*c->query_integer("SELECT count(*) FROM t", "none"), 0);
}

TEST_F(PostgresDbTest, ATransactionLeftOpenIsRolledBackWhenTheLeaseEnds) {
  auto db = open_or_die(options(/*pool_size=*/1));
  std::int64_t pid = 0;
  {
    sql::Lease c = lease(*db);
    exec_or_die(*c, "CREATE TABLE t (id bigint)");
    pid = backend_pid(*c);
    ASSERT_TRUE(c->begin(sql::TransactionMode::kWrite).ok());
    exec_or_die(*c, "INSERT INTO t VALUES (1)");
  }
  sql::Lease c = lease(*db);
  EXPECT_EQ(backend_pid(*c), pid) << "the same connection, reused";
  EXPECT_EQ(*c->query_integer("SELECT count(*) FROM t", "none"), 0);
  EXPECT_TRUE(c->begin(sql::TransactionMode::kWrite).ok());
  c->rollback();
}

TEST_F(PostgresDbTest, StatementAndLockTimeoutsAreBusy) {
  Options o = options();
  o.statement_timeout = milliseconds{100};
  auto db = open_or_die(o);
  sql::Lease a = lease(*db);
  auto slow = a->exec("SELECT pg_sleep(1)");
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, StoreErrorCode::kBusy) << slow.error().message;
  EXPECT_FALSE(a->last_error_is_retryable()) << "a timeout is not worth an immediate retry";

  exec_or_die(*a, "CREATE TABLE t (id bigint PRIMARY KEY, n bigint); INSERT INTO t VALUES (1, 0)");
  sql::Lease b = lease(*db);
  ASSERT_TRUE(a->begin(sql::TransactionMode::kWrite).ok());
  exec_or_die(*a, "UPDATE t SET n = 1 WHERE id = 1");
  auto blocked = b->exec("UPDATE t SET n = 2 WHERE id = 1");
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, StoreErrorCode::kBusy) << blocked.error().message;
  a->rollback();
  EXPECT_TRUE(b->exec("UPDATE t SET n = 2 WHERE id = 1").ok());
}

TEST_F(PostgresDbTest, UnreachableServerIsUnavailableWithoutThePassword) {
  Options o = options();
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  o.url = "postgresql://signet:hunter2@127.0.0.1:1/postgres";
  auto db = open(o);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, StoreErrorCode::kUnavailable);
  EXPECT_EQ(db.error().message.find("hunter2"), std::string::npos) << db.error().message;
  EXPECT_NE(db.error().message.find("127.0.0.1"), std::string::npos) << db.error().message;

  o.url = "postgresql://signet@127.0.0.1:1/postgres?password=hunter2";
  auto listener = Listener::open(o, "changes");
  ASSERT_FALSE(listener.ok());
  EXPECT_EQ(listener.error().code, StoreErrorCode::kUnavailable);
  EXPECT_EQ(listener.error().message.find("hunter2"), std::string::npos)
      << listener.error().message;
}

TEST_F(PostgresDbTest, AMissingDatabaseIsUnavailableAndSaysSo) {
  Options o = options();
  o.url = database_.url() + "_missing";
  auto db = open(o);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, StoreErrorCode::kUnavailable);
  EXPECT_NE(db.error().message.find("does not exist"), std::string::npos) << db.error().message;
}

TEST_F(PostgresDbTest, BadOptionsAreInvalidWithoutThePassword) {
  Options o = options();
  o.url = "postgresql://signet:hunter2%zz@127.0.0.1:1/postgres";
  auto bad_escape = open(o);
  ASSERT_FALSE(bad_escape.ok());
  EXPECT_EQ(bad_escape.error().code, StoreErrorCode::kInvalid);
  EXPECT_EQ(bad_escape.error().message.find("hunter2"), std::string::npos)
      << bad_escape.error().message;

  o.url = "host=127.0.0.1 password=hunter2";
  auto not_url = open(o);
  ASSERT_FALSE(not_url.ok());
  EXPECT_EQ(not_url.error().code, StoreErrorCode::kInvalid);
  EXPECT_EQ(not_url.error().message.find("hunter2"), std::string::npos);

  for (int size : {0, kMaxPoolSize + 1}) {
    Options pool = options(size);
    auto r = open(pool);
    ASSERT_FALSE(r.ok()) << size;
    EXPECT_EQ(r.error().code, StoreErrorCode::kInvalid);
  }
  Options no_timeout = options();
  no_timeout.statement_timeout = milliseconds{0};
  auto r = open(no_timeout);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrorCode::kInvalid);
}

TEST_F(PostgresDbTest, AFullPoolMakesAcquireWaitThenFailUnavailable) {
  Options o = options(/*pool_size=*/2);
  o.acquire_timeout = milliseconds{50};
  auto db = open_or_die(o);
  sql::Lease first = lease(*db);
  sql::Lease second = lease(*db);
  EXPECT_NE(backend_pid(*first), backend_pid(*second));
  auto third = db->acquire();
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, StoreErrorCode::kUnavailable);
  EXPECT_NE(third.error().message.find("every one of the 2 database connections"),
            std::string::npos)
      << third.error().message;
  second.reset();
  auto again = db->acquire();
  ASSERT_TRUE(again.ok()) << again.error().message;
}

TEST_F(PostgresDbTest, AWaiterGetsTheConnectionGivenBack) {
  auto db = open_or_die(options(/*pool_size=*/1));
  sql::Lease held = lease(*db);
  std::int64_t pid = backend_pid(*held);
  std::int64_t waiter_pid = 0;
  std::thread waiter([&] {
    sql::Lease c = lease(*db);  // waits up to kPatient
    if (c) {
      waiter_pid = backend_pid(*c);
    }
  });
  held.reset();
  waiter.join();
  EXPECT_EQ(waiter_pid, pid);
}

TEST_F(PostgresDbTest, ATerminatedConnectionFailsUnavailableAndIsReplaced) {
  auto db = open_or_die(options(/*pool_size=*/1));
  auto other = open_or_die(options(/*pool_size=*/1));
  std::int64_t old_pid = 0;
  {
    sql::Lease c = lease(*db);
    old_pid = backend_pid(*c);
    sql::Lease killer = lease(*other);
    terminate(*killer, old_pid);
    auto r = c->query_integer("SELECT 1", "no row");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, StoreErrorCode::kUnavailable) << r.error().message;
  }
  sql::Lease c = lease(*db);
  EXPECT_NE(backend_pid(*c), old_pid);
  auto r = c->query_integer("SELECT 1", "no row");
  ASSERT_TRUE(r.ok()) << r.error().message;
}

TEST_F(PostgresDbTest, AnIdleConnectionTerminatedByTheServerIsReplacedBeforeUse) {
  auto db = open_or_die(options(/*pool_size=*/1));
  auto other = open_or_die(options(/*pool_size=*/1));
  std::int64_t old_pid = 0;
  {
    sql::Lease c = lease(*db);
    old_pid = backend_pid(*c);
  }
  {
    sql::Lease killer = lease(*other);
    terminate(*killer, old_pid);
  }
  sql::Lease c = lease(*db);
  auto pid = c->query_integer("SELECT pg_backend_pid()", "no row");
  ASSERT_TRUE(pid.ok()) << "the dead connection was not handed out: " << pid.error().message;
  EXPECT_NE(*pid, old_pid);
}

TEST_F(PostgresDbTest, ListenerWakesOnNotifyAndTimesOutWithout) {
  auto db = open_or_die(options());
  // A channel name that needs quoting: the listener quotes it.
  const std::string channel = "Config \"changes\"";
  auto listener = Listener::open(options(), channel);
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  Listener& l = **listener;
  EXPECT_NE(l.backend_pid(), 0);

  auto quiet = l.wait(milliseconds{20});
  ASSERT_TRUE(quiet.ok()) << quiet.error().message;
  EXPECT_FALSE(*quiet);

  sql::Lease c = lease(*db);
  auto notify = [&](std::string_view on, std::string_view payload) {
    auto stmt = c->prepare("SELECT pg_notify(?1, ?2)");
    ASSERT_TRUE(stmt.ok());
    stmt->text(1, on).text(2, payload);
    auto r = stmt->run();
    ASSERT_TRUE(r.ok()) << r.error().message;
  };
  // Two notifications committed together reach the listener together (its server process sends
  // them in one write), so that the first wait finds both.
  ASSERT_TRUE(c->begin(sql::TransactionMode::kWrite).ok());
  notify(channel, "1");
  notify(channel, "2");
  ASSERT_TRUE(c->commit().ok());
  auto woke = l.wait(kPatient);
  ASSERT_TRUE(woke.ok()) << woke.error().message;
  EXPECT_TRUE(*woke);
  auto drained = l.wait(milliseconds{20});
  ASSERT_TRUE(drained.ok());
  EXPECT_FALSE(*drained) << "both notifications were consumed by the first wait";

  notify("another channel", "");
  auto elsewhere = l.wait(milliseconds{50});
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_FALSE(*elsewhere);
}

TEST_F(PostgresDbTest, ListenerReconnectsAfterItsConnectionIsTerminated) {
  auto db = open_or_die(options());
  auto listener = Listener::open(options(), "changes");
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  Listener& l = **listener;
  std::int64_t old_pid = l.backend_pid();
  sql::Lease c = lease(*db);
  terminate(*c, old_pid);

  auto broken = l.wait(kPatient);
  ASSERT_FALSE(broken.ok()) << "returned " << *broken;
  EXPECT_EQ(broken.error().code, StoreErrorCode::kUnavailable) << broken.error().message;
  EXPECT_EQ(l.backend_pid(), 0);

  auto reconnected = l.wait(kPatient);
  ASSERT_TRUE(reconnected.ok()) << reconnected.error().message;
  EXPECT_TRUE(*reconnected) << "a reconnection may have missed a notification";
  EXPECT_NE(l.backend_pid(), 0);
  EXPECT_NE(l.backend_pid(), old_pid);

  auto stmt = c->prepare("SELECT pg_notify(?1, ?2)");
  ASSERT_TRUE(stmt.ok());
  stmt->text(1, "changes").text(2, "");
  ASSERT_TRUE(stmt->run().ok());
  auto woke = l.wait(kPatient);
  ASSERT_TRUE(woke.ok()) << woke.error().message;
  EXPECT_TRUE(*woke) << "listening again after the reconnection";
}

// --- TLS to the database

// Whether the connection behind `c` is encrypted, as the server sees it.
bool encrypted(sql::Connection& c) {
  auto ssl =
      c.query_integer("SELECT count(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl",
                      "pg_stat_ssl returned no row");
  EXPECT_TRUE(ssl.ok()) << ssl.error().message;
  return ssl.ok() && *ssl == 1;
}

TEST_F(PostgresDbTest, AUrlThatAsksForVerifiedTlsGetsIt) {
  Options o = options();
  o.url += "?sslmode=verify-full&sslrootcert=" + signet::testing::postgres_server_ca_file();
  auto db = open_or_die(o);
  ASSERT_NE(db, nullptr);
  sql::Lease c = lease(*db);
  EXPECT_TRUE(encrypted(*c));
}

TEST_F(PostgresDbTest, AUrlThatRefusesTlsGetsAPlainConnection) {
  Options o = options();
  o.url += "?sslmode=disable";
  auto db = open_or_die(o);
  ASSERT_NE(db, nullptr);
  sql::Lease c = lease(*db);
  EXPECT_FALSE(encrypted(*c));
}

TEST_F(PostgresDbTest, AServerCertificateFromAnotherCaIsRefused) {
  // The system's trust store does not know the test CA: verify-full must refuse the server
  // rather than connect to whoever answers.
  signet::testing::TempDir dir;
  const std::string other_ca = dir.file("other-ca.pem");
  ASSERT_EQ(std::system(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                         "-days 1 -subj /CN=other -keyout '" +
                         dir.file("other.key") + "' -out '" + other_ca + "' 2>/dev/null")
                            .c_str()),
            0);
  Options o = options();
  o.url += "?sslmode=verify-full&sslrootcert=" + other_ca;
  auto db = open(o);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, StoreErrorCode::kUnavailable) << db.error().message;
  EXPECT_NE(db.error().message.find("certificate"), std::string::npos) << db.error().message;
}

}  // namespace
}  // namespace signet::store::postgres
