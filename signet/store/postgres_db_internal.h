#pragma once

// The parts of the PostgreSQL driver that need no server, exposed for unit tests
// (tests/store/postgres_db_test.cc).

#include <string>
#include <string_view>

#include "signet/store/error.h"

namespace signet::store::postgres::internal {

struct RewrittenSql {
  std::string text;    // with $N where the statement had ?N
  int parameters = 0;  // the highest N: how many values every execution sends
};

// Turns sql_db.h's `?N` parameters into PostgreSQL's `$N`, leaving quoted strings, quoted
// identifiers and comments alone, and a `?` without digits (a jsonb operator) as it is.
RewrittenSql rewrite_placeholders(std::string_view sql);

// The StoreErrorCode for a SQLSTATE (the five-character code PostgreSQL gives every error).
StoreErrorCode code_for_sqlstate(std::string_view sqlstate);

// True for the SQLSTATEs of a transaction that merely met another: serialization failure
// (40001) and deadlock (40P01). Running the whole transaction again will do.
bool is_retryable_sqlstate(std::string_view sqlstate);

// `message` on one line: newlines and tabs become spaces, runs of them one space, and the ends
// are trimmed (libpq's messages end with a newline and indent their hints with a tab).
std::string one_line(std::string_view message);

// `message` with every occurrence of the URL's password, as written and percent-decoded, replaced
// by "***": libpq may quote a part of the URL it could not parse, and that part may be the
// password.
std::string scrub_password(std::string message, std::string_view url);

// Why libpq cannot be used when loaded from `soname` (libpq.so.5 in the driver), or "" when it
// can: the driver loads libpq at the first PostgreSQL URL instead of linking it.
std::string libpq_load_error(const char* soname);

}  // namespace signet::store::postgres::internal
