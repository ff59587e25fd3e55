#include "signet/store/postgres_db.h"

#include <dlfcn.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include <libpq-fe.h>

#include "signet/common/ascii.h"
#include "signet/store/postgres_db_internal.h"

namespace signet::store::postgres {

namespace internal {

RewrittenSql rewrite_placeholders(std::string_view sql) {
  RewrittenSql out;
  out.text.reserve(sql.size());
  std::size_t i = 0;
  // Copies from `i` up to and including the first `close` after `from` (or to the end).
  auto copy_through = [&](std::string_view close, std::size_t from) {
    std::size_t end = sql.find(close, from);
    end = end == std::string_view::npos ? sql.size() : end + close.size();
    out.text.append(sql.substr(i, end - i));
    i = end;
  };
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'') {
      // A doubled quote inside a string is an escaped quote: the scan resumes after it as if a
      // string had ended and another begun, which is the same thing.
      copy_through("'", i + 1);
    } else if (c == '"') {
      copy_through("\"", i + 1);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      copy_through("\n", i + 2);
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      copy_through("*/", i + 2);
    } else if (c == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      std::size_t end = i + 1;
      while (end < sql.size() && sql[end] >= '0' && sql[end] <= '9') {
        ++end;
      }
      int n = 0;
      std::from_chars(sql.data() + i + 1, sql.data() + end, n);
      out.parameters = std::max(out.parameters, n);
      out.text += '$';
      out.text.append(sql.substr(i + 1, end - i - 1));
      i = end;
    } else {
      out.text += c;
      ++i;
    }
  }
  return out;
}

StoreErrorCode code_for_sqlstate(std::string_view sqlstate) {
  if (sqlstate == "23505") {
    return StoreErrorCode::kConflict;  // unique_violation
  }
  if (sqlstate == "23503" || sqlstate == "23514" || sqlstate == "23502" ||
      sqlstate.starts_with("22")) {
    // foreign_key, check and not_null violations; class 22, data exceptions (a value out of
    // range, invalid UTF-8): the input did not fit the model.
    return StoreErrorCode::kInvalid;
  }
  if (is_retryable_sqlstate(sqlstate) || sqlstate == "55P03" || sqlstate == "57014") {
    // serialization failure, deadlock, lock_not_available (lock_timeout), query_canceled
    // (statement_timeout): another transaction was in the way.
    return StoreErrorCode::kBusy;
  }
  if (sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03" || sqlstate == "3D000") {
    // connection exceptions; admin_shutdown, crash_shutdown, cannot_connect_now (starting up);
    // invalid_catalog_name (the database does not exist, or no longer).
    return StoreErrorCode::kUnavailable;
  }
  // Class 42 (syntax error or access rule violation) is a bug in our SQL; anything else is
  // unexpected too.
  return StoreErrorCode::kInternal;
}

bool is_retryable_sqlstate(std::string_view sqlstate) {
  return sqlstate == "40001" || sqlstate == "40P01";
}

std::string one_line(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += c;
  }
  return out;
}

namespace {

// Where the passwords sit in a connection URL (or a key=value connection string), as
// [begin, end) offsets: the userinfo's after its first ':', and every password= parameter.
// The userinfo ends at the last '@' of the string, not the first '/' after it as libpq reads
// it: a password holding an unescaped '/' or '?' still counts, at the price of hiding a host
// and path when a later parameter holds an '@'. A redaction errs on the side of hiding.
std::vector<std::pair<std::size_t, std::size_t>> password_spans(std::string_view url) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  if (std::size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    std::size_t start = scheme + 3;
    std::size_t at = url.rfind('@');
    if (at != std::string_view::npos && at > start) {
      std::size_t colon = url.substr(start, at - start).find(':');
      if (colon != std::string_view::npos) {
        spans.emplace_back(start + colon + 1, at);
      }
    }
  }
  constexpr std::string_view kKey = "password=";
  for (std::size_t i = 0; i + kKey.size() <= url.size(); ++i) {
    bool starts_parameter =
        i == 0 || url[i - 1] == '?' || url[i - 1] == '&' || url[i - 1] == ' ' || url[i - 1] == '\t';
    if (!starts_parameter || !istarts_with(url.substr(i), kKey)) {
      continue;
    }
    std::size_t begin = i + kKey.size();
    std::size_t end = begin;
    if (end < url.size() && url[end] == '\'') {
      // key='quoted value' (connection strings): up to the closing quote, past \' escapes.
      ++end;
      while (end < url.size() && url[end] != '\'') {
        end += url[end] == '\\' ? 2 : 1;
      }
      end = std::min(end + 1, url.size());
    } else {
      while (end < url.size() && url[end] != '&' && url[end] != '#' && url[end] != ' ' &&
             url[end] != '\t') {
        ++end;
      }
    }
    spans.emplace_back(begin, end);
  }
  std::sort(spans.begin(), spans.end());
  return spans;
}

std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_digit_value(s[i + 1]) >= 0 &&
        hex_digit_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit_value(s[i + 1]) * 16 + hex_digit_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  if (what.empty()) {
    return;
  }
  for (std::size_t at = s.find(what); at != std::string::npos;
       at = s.find(what, at + with.size())) {
    s.replace(at, what.size(), with);
  }
}

}  // namespace

std::string scrub_password(std::string message, std::string_view url) {
  for (auto [begin, end] : password_spans(url)) {
    std::string_view raw = url.substr(begin, end - begin);
    replace_all(message, raw, "***");
    replace_all(message, percent_decoded(raw), "***");
  }
  return message;
}

}  // namespace internal

bool is_postgres_url(std::string_view url) {
  return istarts_with(url, "postgresql://") || istarts_with(url, "postgres://");
}

std::string redact_url(std::string_view url) {
  std::string out;
  std::size_t copied = 0;
  for (auto [begin, end] : internal::password_spans(url)) {
    if (begin < copied) {
      // Overlaps the span before it (a password= inside a hidden userinfo): already hidden.
      begin = copied;
    }
    if (begin >= end) {
      continue;
    }
    out.append(url.substr(copied, begin - copied));
    out += "***";
    copied = end;
  }
  out.append(url.substr(copied));
  return out;
}

namespace {

using internal::one_line;
using internal::scrub_password;

// Built-in type OIDs (PostgreSQL's pg_type.h; fixed since forever, part of the wire protocol).
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kBoolOid = 16;
constexpr int kTextFormat = 0;
constexpr int kBinaryFormat = 1;

// The connection parameters signet sets unless the URL does (they come before the URL in the
// parameter list, so the URL's own values win). TCP keepalives and a user timeout bound how long
// a request can hang on a server that vanished without closing its connections (a host or
// network failure): the connection is declared dead and replaced, instead of waiting for the
// kernel's two-hour default.
constexpr int kKeepalivesIdleSeconds = 10;
constexpr int kKeepalivesIntervalSeconds = 5;
constexpr int kKeepalivesCount = 3;
constexpr std::chrono::milliseconds kTcpUserTimeout{15000};
// How much of a statement's text an error message quotes, to say which one failed.
constexpr std::size_t kSqlExcerpt = 60;
// The ABI libpq has kept since PostgreSQL 8.2 (Debian's libpq5).
constexpr const char* kLibPqSoname = "libpq.so.5";

// libpq is loaded when the first PostgreSQL store or listener opens instead of being linked: a
// server on SQLite then never maps libpq and what it brings (Kerberos, LDAP, GnuTLS: about 3 MB of
// resident memory, bench/RESULTS.md "Idle memory"). Every pq() call comes after check_url(), which
// loads it or fails.
// clang-format off
#define SIGNET_LIBPQ_FUNCTIONS(X) \
  X(PQbackendPID) X(PQclear) X(PQcmdStatus) X(PQcmdTuples) \
  X(PQconnectdbParams) X(PQconninfoFree) X(PQconninfoParse) X(PQconsumeInput) \
  X(PQerrorMessage) X(PQescapeIdentifier) X(PQexec) X(PQexecPrepared) \
  X(PQfinish) X(PQfreemem) X(PQftype) X(PQgetisnull) \
  X(PQgetlength) X(PQgetvalue) X(PQnotifies) X(PQntuples) \
  X(PQprepare) X(PQresultErrorField) X(PQresultStatus) X(PQsetNoticeProcessor) \
  X(PQsocket) X(PQstatus) X(PQtransactionStatus) X(PQunescapeBytea)
// clang-format on

struct LibPq {
#define SIGNET_LIBPQ_MEMBER(name) decltype(&::name) name = nullptr;
  SIGNET_LIBPQ_FUNCTIONS(SIGNET_LIBPQ_MEMBER)
#undef SIGNET_LIBPQ_MEMBER
  std::string error;  // empty when every function above was found
};

LibPq load(const char* soname) {
  LibPq lib;
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);  // never closed: the pointers stay valid
  if (handle == nullptr) {
    const char* why = dlerror();
    lib.error = std::string("PostgreSQL's client library cannot be loaded (") +
                (why != nullptr ? why : soname) + "); install it with 'apt install libpq5'";
    return lib;
  }
#define SIGNET_LIBPQ_RESOLVE(name)                                                          \
  lib.name = reinterpret_cast<decltype(&::name)>(dlsym(handle, #name));                     \
  if (lib.name == nullptr && lib.error.empty()) {                                           \
    lib.error = std::string(soname) + " has no " #name                                      \
                                      "; signet needs the libpq of PostgreSQL 15 or later"; \
  }
  SIGNET_LIBPQ_FUNCTIONS(SIGNET_LIBPQ_RESOLVE)
#undef SIGNET_LIBPQ_RESOLVE
  return lib;
}

const LibPq& pq() {
  static const LibPq lib = load(kLibPqSoname);
  return lib;
}

struct ResultClear {
  void operator()(PGresult* r) const { pq().PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultClear>;

struct ConnectionFinish {
  void operator()(PGconn* c) const { pq().PQfinish(c); }
};
using PgConn = std::unique_ptr<PGconn, ConnectionFinish>;

std::string_view sqlstate_of(const PGresult* result) {
  const char* state =
      result != nullptr ? pq().PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return state != nullptr ? state : "";
}

std::string excerpt(std::string_view sql) {
  std::string text = one_line(sql.substr(0, kSqlExcerpt));
  if (sql.size() > kSqlExcerpt) {
    text += "...";
  }
  return text;
}

// The error of a failed call on `conn` (`result` may be null: libpq then only has PQerrorMessage).
// Only the primary message is kept: DETAIL lines quote the values of the row ("Key (hash)=(...)
// already exists"), which may be secrets.
StoreError error_from(PGconn* conn, const PGresult* result, std::string_view context) {
  std::string_view sqlstate = sqlstate_of(result);
  StoreErrorCode code = internal::code_for_sqlstate(sqlstate);
  if (pq().PQstatus(conn) == CONNECTION_BAD || (sqlstate.empty() && result == nullptr)) {
    code = StoreErrorCode::kUnavailable;
  }
  const char* primary =
      result != nullptr ? pq().PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string detail =
      one_line(primary != nullptr && *primary != '\0' ? primary : pq().PQerrorMessage(conn));
  if (detail.empty()) {
    detail = "no message from libpq";
  }
  std::string message{context};
  message += ": ";
  message += detail;
  if (!sqlstate.empty()) {
    message += " (SQLSTATE ";
    message += sqlstate;
    message += ')';
  }
  if (sqlstate == "3D000") {
    message += "; create the database, or name an existing one in the URL";
  } else if (code == StoreErrorCode::kUnavailable) {
    message += "; the connection is replaced at the next operation, check that PostgreSQL is up";
  }
  return StoreError{code, std::move(message)};
}

// libpq prints server notices (a ROLLBACK outside a transaction, a NOTICE from DDL) on stderr by
// default, which would break signet's one-JSON-object-a-line logs; none of them needs action.
void ignore_notice(void*, const char*) {}

// A new connection to `url` with signet's defaults, or kUnavailable with libpq's reason.
Result<PgConn, StoreError> connect(const std::string& url) {
  std::string connect_timeout = std::to_string(kDefaultConnectTimeout.count());
  std::string keepalives_idle = std::to_string(kKeepalivesIdleSeconds);
  std::string keepalives_interval = std::to_string(kKeepalivesIntervalSeconds);
  std::string keepalives_count = std::to_string(kKeepalivesCount);
  std::string tcp_user_timeout = std::to_string(kTcpUserTimeout.count());
  const char* const keys[] = {
      "connect_timeout",  "application_name", "keepalives_idle", "keepalives_interval",
      "keepalives_count", "tcp_user_timeout", "dbname",          nullptr};
  const char* const values[] = {connect_timeout.c_str(),
                                "signet",
                                keepalives_idle.c_str(),
                                keepalives_interval.c_str(),
                                keepalives_count.c_str(),
                                tcp_user_timeout.c_str(),
                                url.c_str(),
                                nullptr};
  PgConn conn{pq().PQconnectdbParams(keys, values, /*expand_dbname=*/1)};
  if (!conn) {
    return fail(StoreError{StoreErrorCode::kUnavailable,
                           "cannot connect to PostgreSQL: libpq is out of memory"});
  }
  if (pq().PQstatus(conn.get()) != CONNECTION_OK) {
    std::string message = "cannot connect to " + redact_url(url) + ": " +
                          one_line(pq().PQerrorMessage(conn.get())) +
                          "; check that PostgreSQL is running and that the URL's host, port, "
                          "database, user and password are right";
    return fail(StoreError{StoreErrorCode::kUnavailable, scrub_password(std::move(message), url)});
  }
  pq().PQsetNoticeProcessor(conn.get(), ignore_notice, nullptr);
  return conn;
}

// Runs fixed SQL on `conn`, expecting no error.
Result<Ok, StoreError> run(PGconn* conn, const std::string& sql, std::string_view context) {
  PgResult result{pq().PQexec(conn, sql.c_str())};
  ExecStatusType status = result ? pq().PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return fail(error_from(conn, result.get(), context));
  }
  return Ok{};
}

// The session settings of every connection: statements and lock waits bounded, text in UTF-8 and
// times in UTC whatever the server's defaults.
Result<Ok, StoreError> configure_session(PGconn* conn, std::chrono::milliseconds timeout) {
  std::string ms = std::to_string(timeout.count());
  return run(conn,
             "SET statement_timeout = " + ms + "; SET lock_timeout = " + ms +
                 "; SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'",
             "configure the connection");
}

class PgConnection;

class PgStatement final : public sql::StatementBackend {
 public:
  PgStatement(PgConnection& connection, std::string name, internal::RewrittenSql sql)
      : connection_(connection),
        name_(std::move(name)),
        sql_(std::move(sql.text)),
        parameters_(static_cast<std::size_t>(sql.parameters)) {}

  void bind_text(int index, std::string_view value) override {
    if (value.find('\0') != std::string_view::npos) {
      // PostgreSQL's text cannot hold NUL, and the text format would cut the value at it:
      // "admin\0x" must not quietly become "admin".
      note(StoreError{StoreErrorCode::kInvalid,
                      "a text value holds a NUL byte, which PostgreSQL cannot store"});
      return;
    }
    set(index, value, kTextOid, kTextFormat);
  }
  void bind_blob(int index, std::string_view value) override {
    set(index, value, kByteaOid, kBinaryFormat);
  }
  void bind_integer(int index, std::int64_t value) override {
    set(index, std::to_string(value), kInt8Oid, kTextFormat);
  }
  void bind_null_integer(int index) override { set_null(index, kInt8Oid); }
  void bind_null_blob(int index) override { set_null(index, kByteaOid); }

  Result<bool, StoreError> step() override;

  std::string column_text(int column) const override { return cell(column); }
  std::string column_blob(int column) const override;
  std::int64_t column_integer(int column) const override;
  bool column_is_null(int column) const override {
    return pq().PQgetisnull(result_.get(), row_, column) != 0;
  }

  void reset() override {
    for (Parameter& p : parameters_) {
      p.value.reset();
    }
    bind_error_.reset();
    result_.reset();
    row_ = 0;
  }

 private:
  struct Parameter {
    std::optional<std::string> value;  // nullopt: NULL
    Oid type = 0;                      // 0 until bound: then a NULL text (see step())
    int format = kTextFormat;
  };

  Parameter* slot(int index) {
    if (index < 1 || index > static_cast<int>(parameters_.size())) {
      note(StoreError{StoreErrorCode::kInternal, "parameter ?" + std::to_string(index) +
                                                     " is not in the statement `" + excerpt(sql_) +
                                                     "`"});
      return nullptr;
    }
    return &parameters_[static_cast<std::size_t>(index - 1)];
  }
  void set(int index, std::string_view value, Oid type, int format) {
    if (Parameter* p = slot(index)) {
      p->value.emplace(value);
      p->type = type;
      p->format = format;
    }
  }
  // A NULL of `type`, so that the statement prepared at its first use takes the column's type.
  void set_null(int index, Oid type) {
    if (Parameter* p = slot(index)) {
      p->value.reset();
      p->type = type;
      p->format = kTextFormat;
    }
  }
  void note(StoreError error) {
    if (!bind_error_) {
      bind_error_ = std::move(error);
    }
  }
  // "" for a column or row that is not there (libpq answers NULL), as SQLite does.
  const char* cell(int column) const {
    const char* value = pq().PQgetvalue(result_.get(), row_, column);
    return value != nullptr ? value : "";
  }

  PgConnection& connection_;
  std::string name_;
  std::string sql_;
  std::vector<Parameter> parameters_;
  bool prepared_ = false;
  std::optional<StoreError> bind_error_;
  PgResult result_;  // null until executed
  int row_ = 0;
};

class PgConnection final : public sql::Connection {
 public:
  explicit PgConnection(PgConn conn) : conn_(std::move(conn)) {}

  sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }

  Result<Ok, StoreError> exec(std::string_view sql) override {
    std::string text{sql};
    PgResult result{pq().PQexec(handle(), text.c_str())};
    ExecStatusType status = result ? pq().PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return fail(error(result.get(), "run `" + excerpt(sql) + "`"));
    }
    return Ok{};
  }

  Result<sql::Statement, StoreError> prepare(std::string_view sql) override {
    auto found = statements_.find(sql);
    if (found == statements_.end()) {
      // Prepared on the server at first step(), when the parameter types are known.
      std::string name = "s" + std::to_string(statements_.size() + 1);
      auto statement = std::make_unique<PgStatement>(*this, std::move(name),
                                                     internal::rewrite_placeholders(sql));
      found = statements_.emplace(std::string(sql), std::move(statement)).first;
    }
    return sql::Statement{found->second.get()};
  }

  std::int64_t changes() const override { return changes_; }

  Result<Ok, StoreError> begin(sql::TransactionMode mode) override {
    last_sqlstate_.clear();
    return exec(mode == sql::TransactionMode::kRead
                    ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                    : "BEGIN ISOLATION LEVEL SERIALIZABLE");
  }

  Result<Ok, StoreError> commit() override {
    PgResult result{pq().PQexec(handle(), "COMMIT")};
    if (!result || pq().PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return fail(error(result.get(), "commit"));
    }
    // COMMIT of a transaction that had failed rolls it back and says so, without an error.
    if (std::string_view(pq().PQcmdStatus(result.get())) != "COMMIT") {
      return fail(StoreError{StoreErrorCode::kInternal,
                             "commit: the transaction had failed and was rolled back, nothing was "
                             "written (a statement's error was not returned)"});
    }
    return Ok{};
  }

  void rollback() override {
    if (pq().PQstatus(handle()) == CONNECTION_OK) {
      PgResult ignored{pq().PQexec(handle(), "ROLLBACK")};
    }
  }

  bool last_error_is_retryable() const override {
    return internal::is_retryable_sqlstate(last_sqlstate_);
  }

  PGconn* handle() const { return conn_.get(); }

  // The StoreError of a failed call, remembered for last_error_is_retryable().
  StoreError error(const PGresult* result, std::string_view context) {
    last_sqlstate_ = sqlstate_of(result);
    return error_from(handle(), result, context);
  }

  void note_changes(PGresult* result) {
    // As SQLite's changes(): only writes count, a SELECT leaves the last write's count.
    std::string_view command = pq().PQcmdStatus(result);
    if (command.starts_with("INSERT") || command.starts_with("UPDATE") ||
        command.starts_with("DELETE") || command.starts_with("MERGE")) {
      std::int64_t n = 0;
      std::string_view tuples = pq().PQcmdTuples(result);
      std::from_chars(tuples.data(), tuples.data() + tuples.size(), n);
      changes_ = n;
    }
  }

  // Whether the connection can serve another operation, once any open transaction is rolled
  // back: false when it broke or its transaction state is unknown.
  bool reusable() {
    if (pq().PQstatus(handle()) != CONNECTION_OK) {
      return false;
    }
    if (pq().PQtransactionStatus(handle()) != PQTRANS_IDLE) {
      rollback();
    }
    return pq().PQstatus(handle()) == CONNECTION_OK &&
           pq().PQtransactionStatus(handle()) == PQTRANS_IDLE;
  }

  // Whether an idle pooled connection still looks usable. Nothing arrives on an idle connection
  // that LISTENs on nothing, unless the server is saying goodbye (a terminated backend, a server
  // shutting down sends an error and closes): such a connection would fail the next operation.
  bool quiet() const {
    int fd = pq().PQsocket(handle());
    if (pq().PQstatus(handle()) != CONNECTION_OK || fd < 0) {
      return false;
    }
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  PgConn conn_;
  // Keyed by the statement's text (a copy, so that a caller's mistake of passing a temporary
  // cannot leave a dangling key).
  std::unordered_map<std::string, std::unique_ptr<PgStatement>, Hash, std::equal_to<>> statements_;
  std::int64_t changes_ = 0;
  std::string last_sqlstate_;
};

Result<bool, StoreError> PgStatement::step() {
  if (result_) {
    if (row_ < pq().PQntuples(result_.get())) {
      ++row_;
    }
    return row_ < pq().PQntuples(result_.get());
  }
  if (bind_error_) {
    return fail(*bind_error_);
  }
  PGconn* conn = connection_.handle();
  auto context = [&] { return "statement `" + excerpt(sql_) + "`"; };
  int count = static_cast<int>(parameters_.size());
  if (!prepared_) {
    // The types of this first binding, so that the server never has to guess one (it cannot in
    // `?1 IS NULL OR name LIKE ?1`).
    std::vector<Oid> types;
    for (const Parameter& p : parameters_) {
      // A parameter left unbound is a NULL text: an absent optional filter (`?1 IS NULL OR
      // client_id = ?1`, where the server cannot settle a type from IS NULL), or one a count
      // never names because it shares its filters' numbers with the page's LIMIT ?1 OFFSET ?2.
      // An absent integer is bound as a NULL integer (bind_null_integer).
      types.push_back(p.type != 0 ? p.type : kTextOid);
    }
    PgResult result{pq().PQprepare(conn, name_.c_str(), sql_.c_str(), count, types.data())};
    if (!result || pq().PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      return fail(connection_.error(result.get(), "prepare " + context()));
    }
    prepared_ = true;
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (const Parameter& p : parameters_) {
    // A blob may be empty: a null pointer would send NULL, so point at the string's buffer.
    values.push_back(p.value ? p.value->c_str() : nullptr);
    lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
    formats.push_back(p.format);
  }
  PgResult result{pq().PQexecPrepared(conn, name_.c_str(), count, values.data(), lengths.data(),
                                      formats.data(), kTextFormat)};
  ExecStatusType status = result ? pq().PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return fail(connection_.error(result.get(), context()));
  }
  connection_.note_changes(result.get());
  result_ = std::move(result);
  row_ = 0;
  return pq().PQntuples(result_.get()) > 0;
}

std::string PgStatement::column_blob(int column) const {
  const char* text = cell(column);
  std::size_t length = static_cast<std::size_t>(pq().PQgetlength(result_.get(), row_, column));
  if (pq().PQftype(result_.get(), column) != kByteaOid) {
    return std::string(text, length);
  }
  // bytea's text output is hex: \x then two digits a byte (bytea_output's default since 9.0).
  if (length < 2 || text[0] != '\\' || text[1] != 'x') {
    std::size_t decoded_length = 0;
    unsigned char* decoded =
        pq().PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &decoded_length);
    std::string out = decoded != nullptr
                          ? std::string(reinterpret_cast<const char*>(decoded), decoded_length)
                          : std::string();
    pq().PQfreemem(decoded);
    return out;
  }
  std::string out;
  out.reserve((length - 2) / 2);
  for (std::size_t i = 2; i + 1 < length; i += 2) {
    out += static_cast<char>(hex_digit_value(text[i]) * 16 + hex_digit_value(text[i + 1]));
  }
  return out;
}

std::int64_t PgStatement::column_integer(int column) const {
  const char* text = cell(column);
  if (pq().PQftype(result_.get(), column) == kBoolOid) {
    return text[0] == 't' ? 1 : 0;  // an EXISTS(...) or a comparison
  }
  std::int64_t value = 0;
  std::from_chars(text, text + std::strlen(text), value);
  return value;
}

// The pool. A connection is either idle (in idle_), lent out, or being made; open_ counts all
// three, so that no more than pool_size exist.
class PgDatabase final : public sql::Database {
 public:
  PgDatabase(Options options, std::unique_ptr<PgConnection> first) : options_(std::move(options)) {
    idle_.reserve(static_cast<std::size_t>(options_.pool_size));
    idle_.push_back(std::move(first));
    open_ = 1;
  }

  sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }

  Result<sql::Lease, StoreError> acquire() override {
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
    for (;;) {
      while (!idle_.empty()) {
        std::unique_ptr<PgConnection> connection = std::move(idle_.back());
        idle_.pop_back();
        if (connection->quiet()) {
          return sql::Lease(connection.release(), sql::GiveBack{this});
        }
        --open_;  // closed as `connection` goes; a new one is made below
      }
      if (open_ < options_.pool_size) {
        break;
      }
      if (!freed_.wait_until(lock, deadline,
                             [&] { return !idle_.empty() || open_ < options_.pool_size; })) {
        return fail(StoreError{
            StoreErrorCode::kUnavailable,
            "every one of the " + std::to_string(options_.pool_size) +
                " database connections is in use, and none was given back within " +
                std::to_string(options_.acquire_timeout.count()) +
                " ms: raise the pool size, or look for slow statements or a stuck server"});
      }
    }
    ++open_;
    lock.unlock();
    auto made = connect_pooled(options_);
    if (!made) {
      lock.lock();
      --open_;
      freed_.notify_one();
      return fail(made.error());
    }
    return sql::Lease(made->release(), sql::GiveBack{this});
  }

  static Result<std::unique_ptr<PgConnection>, StoreError> connect_pooled(const Options& options) {
    auto conn = connect(options.url);
    if (!conn) {
      return fail(conn.error());
    }
    if (auto r = configure_session(conn->get(), options.statement_timeout); !r) {
      return fail(r.error());
    }
    return std::make_unique<PgConnection>(std::move(*conn));
  }

 protected:
  void give_back(sql::Connection* connection) noexcept override {
    std::unique_ptr<PgConnection> returned(static_cast<PgConnection*>(connection));
    // Outside the lock: a rollback is a round trip, and closing may be too.
    if (!returned->reusable()) {
      returned.reset();
    }
    std::lock_guard lock(mutex_);
    if (returned) {
      idle_.push_back(std::move(returned));
    } else {
      --open_;
    }
    freed_.notify_one();
  }

 private:
  const Options options_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;
};

Result<Ok, StoreError> check_url(const std::string& url) {
  if (!is_postgres_url(url)) {
    return fail(StoreError{StoreErrorCode::kInvalid,
                           "not a PostgreSQL URL: write postgresql://user@host:port/database"});
  }
  if (const std::string& error = pq().error; !error.empty()) {
    return fail(StoreError{StoreErrorCode::kUnavailable, error});
  }
  char* parse_error = nullptr;
  PQconninfoOption* parsed = pq().PQconninfoParse(url.c_str(), &parse_error);
  if (parsed == nullptr) {
    std::string why = parse_error != nullptr ? one_line(parse_error) : "libpq is out of memory";
    pq().PQfreemem(parse_error);
    return fail(StoreError{
        StoreErrorCode::kInvalid,
        scrub_password("the PostgreSQL URL " + redact_url(url) + " cannot be read: " + why +
                           "; percent-encode special characters in the user and password",
                       url)});
  }
  pq().PQconninfoFree(parsed);
  return Ok{};
}

}  // namespace

std::string internal::libpq_load_error(const char* soname) {
  return load(soname).error;
}

Result<std::unique_ptr<sql::Database>, StoreError> open(const Options& options) {
  if (auto r = check_url(options.url); !r) {
    return fail(r.error());
  }
  if (options.pool_size < 1 || options.pool_size > kMaxPoolSize) {
    return fail(StoreError{
        StoreErrorCode::kInvalid,
        "the pool size must be between 1 and " + std::to_string(kMaxPoolSize) + " connections"});
  }
  if (options.statement_timeout.count() < 1 || options.acquire_timeout.count() < 0) {
    // statement_timeout = 0 would turn PostgreSQL's limit off.
    return fail(StoreError{StoreErrorCode::kInvalid,
                           "the statement timeout must be at least 1 ms, and the acquire timeout "
                           "not negative"});
  }
  auto first = PgDatabase::connect_pooled(options);
  if (!first) {
    return fail(first.error());
  }
  return std::unique_ptr<sql::Database>(std::make_unique<PgDatabase>(options, std::move(*first)));
}

struct Listener::State {
  std::string url;
  std::string channel;
  PgConn conn;  // null while disconnected

  // Connects and LISTENs.
  Result<Ok, StoreError> connect_and_listen() {
    auto made = connect(url);
    if (!made) {
      return fail(made.error());
    }
    char* quoted = pq().PQescapeIdentifier(made->get(), channel.data(), channel.size());
    if (quoted == nullptr) {
      return fail(error_from(made->get(), nullptr, "quote the channel name"));
    }
    std::string listen = "SET client_encoding = 'UTF8'; LISTEN " + std::string(quoted);
    pq().PQfreemem(quoted);
    if (auto r = run(made->get(), listen, "listen for notifications"); !r) {
      return fail(r.error());
    }
    conn = std::move(*made);
    return Ok{};
  }

  // Forgets the broken connection, with the error that says so.
  StoreError broken(std::string_view what) {
    std::string message = "the connection listening for notifications broke (" + std::string(what) +
                          ": " + one_line(pq().PQerrorMessage(conn.get())) +
                          "); the next wait reconnects";
    conn.reset();
    return StoreError{StoreErrorCode::kUnavailable, scrub_password(std::move(message), url)};
  }
};

Listener::Listener(std::unique_ptr<State> state) : state_(std::move(state)) {}
Listener::~Listener() = default;

Result<std::unique_ptr<Listener>, StoreError> Listener::open(const Options& options,
                                                             std::string channel) {
  if (auto r = check_url(options.url); !r) {
    return fail(r.error());
  }
  auto state = std::make_unique<State>();
  state->url = options.url;
  state->channel = std::move(channel);
  if (auto r = state->connect_and_listen(); !r) {
    return fail(r.error());
  }
  return std::unique_ptr<Listener>(new Listener(std::move(state)));
}

int Listener::backend_pid() const {
  return state_->conn ? pq().PQbackendPID(state_->conn.get()) : 0;
}

Result<bool, StoreError> Listener::wait(std::chrono::milliseconds timeout) {
  State& s = *state_;
  if (!s.conn) {
    if (auto r = s.connect_and_listen(); !r) {
      return fail(r.error());
    }
    return true;  // whatever was notified while disconnected is lost: say "maybe"
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Reads whatever arrived; a closed connection shows here.
    if (pq().PQconsumeInput(s.conn.get()) == 0) {
      return fail(s.broken("read"));
    }
    bool notified = false;
    while (PGnotify* n = pq().PQnotifies(s.conn.get())) {
      pq().PQfreemem(n);
      notified = true;
    }
    if (notified) {
      return true;
    }
    int fd = pq().PQsocket(s.conn.get());
    if (pq().PQstatus(s.conn.get()) != CONNECTION_OK || fd < 0) {
      return fail(s.broken("status"));
    }
    auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30)));
    if (ready < 0 && errno != EINTR) {
      return fail(s.broken(std::strerror(errno)));
    }
    if (ready == 0) {
      return false;
    }
  }
}

}  // namespace signet::store::postgres
