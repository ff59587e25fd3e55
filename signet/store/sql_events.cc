// SqlStore: the event log (docs/operations.md "Event log"). Events have no foreign keys: a record
// of what a client or user did must outlive the client or user.

#include <cstdint>
#include <string>
#include <vector>

#include "signet/store/sql_store.h"
#include "signet/store/sql_store_internal.h"
#include "signet/store/validate.h"

namespace signet::store {

using sql::Connection;
using sql::Statement;
using sql::detail::read;
using sql::detail::read_rows;
using sql::detail::rows_changed;
using sql::detail::write;

namespace {

constexpr std::string_view kEventColumns =
    "id, date, type, description, client_id, user_id, audience, scope, error, ip, user_agent, "
    "details";

Event read_event(const Statement& s) {
  Event e;
  e.id = s.column_integer(0);
  e.date = PreciseTimestamp{std::chrono::milliseconds{s.column_integer(1)}};
  e.type = s.column_text(2);
  e.description = s.column_text(3);
  e.client_id = s.column_text(4);
  e.user_id = s.column_text(5);
  e.audience = s.column_text(6);
  e.scope = s.column_text(7);
  e.error = s.column_text(8);
  e.ip = s.column_text(9);
  e.user_agent = s.column_text(10);
  e.details = s.column_text(11);
  return e;
}

std::int64_t unix_millis(PreciseTimestamp t) {
  return t.time_since_epoch().count();
}

// The WHERE clause of the filters set, numbering their parameters from `first`; each is bound by
// bind_filter in the same order. Built from the set filters only (at most sixteen texts), so every
// comparison has a typed parameter on both databases.
std::string filter_clause(const EventFilter& f, int first) {
  std::string out;
  int n = first;
  const auto add = [&](std::string_view condition) {
    out += out.empty() ? " WHERE " : " AND ";
    out += condition;
    out += std::to_string(n++);
  };
  if (f.type) {
    add("type = ?");
  }
  if (f.client_id) {
    add("client_id = ?");
  }
  if (f.user_id) {
    add("user_id = ?");
  }
  if (f.since) {
    add("date >= ?");
  }
  return out;
}

void bind_filter(Statement& stmt, const EventFilter& f, int first) {
  int n = first;
  if (f.type) {
    stmt.text(n++, *f.type);
  }
  if (f.client_id) {
    stmt.text(n++, *f.client_id);
  }
  if (f.user_id) {
    stmt.text(n++, *f.user_id);
  }
  if (f.since) {
    stmt.integer(n++, unix_millis(*f.since));
  }
}

Result<Ok, StoreError> validate_filter(const EventFilter& f) {
  for (const auto* value : {&f.type, &f.client_id, &f.user_id}) {
    if (*value && (*value)->size() > kMaxTextLength) {
      return sql::detail::invalid("an event filter must be at most " +
                                  std::to_string(kMaxTextLength) + " bytes");
    }
  }
  return Ok{};
}

}  // namespace

StoreResult<Ok> SqlStore::append_events(const std::vector<Event>& events) {
  for (const auto& e : events) {
    SIGNET_STORE_TRY(validate_event(e));
  }
  if (events.empty()) {
    return Ok{};
  }
  return write(*db_, [&](Connection& db) -> StoreResult<Ok> {
    for (const auto& e : events) {
      SIGNET_STORE_TRY_ASSIGN(
          stmt, db.prepare("INSERT INTO events (date, type, description, client_id, user_id, "
                           "audience, scope, error, ip, user_agent, details) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
      stmt.integer(1, unix_millis(e.date))
          .text(2, e.type)
          .text(3, e.description)
          .text(4, e.client_id)
          .text(5, e.user_id)
          .text(6, e.audience)
          .text(7, e.scope)
          .text(8, e.error)
          .text(9, e.ip)
          .text(10, e.user_agent)
          .text(11, e.details);
      SIGNET_STORE_TRY(stmt.run());
    }
    return Ok{};
  });
}

StoreResult<Page<Event>> SqlStore::page_events(const EventFilter& filter, const PageRequest& page) {
  SIGNET_STORE_TRY(validate_page(page));
  SIGNET_STORE_TRY(validate_filter(filter));
  return read(*db_, [&](Connection& db) -> StoreResult<Page<Event>> {
    // read_page binds the window to ?1 and ?2 and the filters from ?3 on, in both statements.
    const std::string where = filter_clause(filter, 3);
    return sql::detail::read_page<Event>(
        db, page,
        "SELECT " + std::string{kEventColumns} + " FROM events" + where +
            " ORDER BY id DESC LIMIT ?1 OFFSET ?2",
        "SELECT count(*) FROM events" + where,
        [&](Statement& stmt) { bind_filter(stmt, filter, 3); }, read_event);
  });
}

StoreResult<std::vector<Event>> SqlStore::events_after(std::int64_t after_id,
                                                       const EventFilter& filter,
                                                       std::int64_t limit) {
  SIGNET_STORE_TRY(validate_limit(limit));
  SIGNET_STORE_TRY(validate_filter(filter));
  return read(*db_, [&](Connection& db) -> StoreResult<std::vector<Event>> {
    std::string where = filter_clause(filter, 3);
    where += where.empty() ? " WHERE " : " AND ";
    where += "id > ?1";
    SIGNET_STORE_TRY_ASSIGN(stmt, db.prepare("SELECT " + std::string{kEventColumns} +
                                             " FROM events" + where + " ORDER BY id LIMIT ?2"));
    stmt.integer(1, after_id).integer(2, limit);
    bind_filter(stmt, filter, 3);
    return read_rows<Event>(stmt, read_event);
  });
}

StoreResult<std::int64_t> SqlStore::delete_old_events(PreciseTimestamp before,
                                                      std::int64_t keep_at_most) {
  SIGNET_STORE_TRY(validate_limit(keep_at_most));
  return write(*db_, [&](Connection& db) -> StoreResult<std::int64_t> {
    // The newest `keep_at_most` events stay: everything at or below the id of the first one past
    // them goes, and anything older than `before`.
    return rows_changed(
        db,
        "DELETE FROM events WHERE date < ?1 OR id <= "
        "(SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?2)",
        [&](Statement& stmt) { stmt.integer(1, unix_millis(before)).integer(2, keep_at_most); });
  });
}
}  // namespace signet::store
