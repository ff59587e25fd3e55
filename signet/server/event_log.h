#pragma once

// The event log (docs/operations.md "Event log"): every security event and admin change as a
// typed record, kept in the store for `signet logs`, the Management API and the console, and
// written as JSON lines for log shippers.
//
// Contract:
// - record() never waits for the store: it queues the event under a mutex and returns. A request
//   never fails because its event could not be written.
// - flush() (run now and then by a background task, and at stop) writes the queued events as
//   JSON lines, then to the store in batches. A batch the store refuses stays queued for the next
//   flush; the queue is bounded, and what falls out of it is counted as dropped.
// - Nothing secret is ever recorded: callers pass ids, codes and descriptions, never a password,
//   a client secret or a whole token.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "signet/common/result.h"
#include "signet/store/store.h"

namespace signet::server {

// The event types signet records: Auth0's codes where Auth0 has one, signet's own (plain words)
// where it has none. docs/operations.md lists each with when it is recorded.
namespace event_type {
inline constexpr std::string_view kClientCredentialsExchange = "seccft";
inline constexpr std::string_view kClientCredentialsExchangeFailed = "feccft";
inline constexpr std::string_view kPasswordExchange = "sepft";
inline constexpr std::string_view kPasswordExchangeFailed = "fepft";
inline constexpr std::string_view kRefreshTokenExchange = "sertft";
inline constexpr std::string_view kRefreshTokenExchangeFailed = "fertft";
inline constexpr std::string_view kRefreshTokenReuse = "ferrt";
inline constexpr std::string_view kCodeExchange = "seacft";
inline constexpr std::string_view kCodeExchangeFailed = "feacft";
inline constexpr std::string_view kCodeReuse = "code_reuse";
inline constexpr std::string_view kUnsupportedGrant = "unsupported_grant";
inline constexpr std::string_view kRevocation = "srrt";
inline constexpr std::string_view kRevocationFailed = "revocation_failed";
inline constexpr std::string_view kLogin = "s";
inline constexpr std::string_view kLoginWrongPassword = "fp";
inline constexpr std::string_view kLoginUnknownUser = "fu";
inline constexpr std::string_view kLoginFailed = "f";
inline constexpr std::string_view kLogout = "slo";
inline constexpr std::string_view kAccountBlocked = "limit_wc";
inline constexpr std::string_view kAddressBlocked = "limit_mu";
inline constexpr std::string_view kClientBlocked = "client_blocked";
inline constexpr std::string_view kAccountUnblocked = "ublkdu";
inline constexpr std::string_view kAdminChange = "sapi";
inline constexpr std::string_view kAdminChangeFailed = "fapi";
inline constexpr std::string_view kKeyRotated = "key_rotated";
inline constexpr std::string_view kKeyRevoked = "key_revoked";
}  // namespace event_type

// What each type means, for listings ("Success Exchange (Client Credentials for Access Token)");
// empty for a type signet does not record.
std::string_view describe_event_type(std::string_view type);
// Every type above, in the order docs/operations.md lists them.
std::span<const std::string_view> event_types();

// The event type of an admin change (by the CLI or the Management API): key rotations and
// revocations and account unblocks have their own, every other change is sapi; any failed
// change is fapi. `operation` names the change as its caller does ("keys rotate",
// "POST keys/signing/rotate", "users unblock", "DELETE user-blocks/...").
std::string_view admin_change_type(std::string_view operation, bool succeeded);

// Events waiting for the store. At the token endpoint's full rate a store outage fills it in a
// few seconds; past it new events are dropped (and counted) rather than growing memory.
constexpr std::size_t kMaxQueuedEvents = 10'000;
// Events written in one store transaction: large enough to keep up with bursts, small enough that
// one write holds the database briefly.
constexpr std::size_t kMaxEventsPerWrite = 500;
// A user agent beyond this is cut: browsers send ~150 bytes, and the field is attacker-chosen.
constexpr std::size_t kMaxEventUserAgentBytes = 512;
// Descriptions, ids and scopes are cut here (the store refuses longer text).
constexpr std::size_t kMaxEventTextBytes = 1024;
// How long the store keeps events, and how many at most (--event-retention-days, -count): at the
// token endpoint's full rate the count bounds the table to a few hundred MB.
constexpr auto kDefaultEventRetention = std::chrono::days{30};
constexpr std::int64_t kDefaultEventRetentionCount = 1'000'000;
// How often the writer task flushes, and how often it applies retention: events reach the store
// within a fraction of a second, and the delete runs once a minute whatever the rate.
constexpr auto kEventFlushInterval = std::chrono::milliseconds{250};
constexpr auto kEventRetentionInterval = std::chrono::minutes{1};

struct EventRetention {
  std::chrono::seconds max_age = kDefaultEventRetention;
  std::int64_t max_count = kDefaultEventRetentionCount;
};

// Where JSON lines go (--event-log): "-" for stdout, "off" for nowhere, else a file opened for
// appending (created with mode 0600: events name users and their addresses). One write() per
// line, so lines from concurrent writers never interleave. An error says why the file cannot be
// opened.
inline constexpr std::string_view kEventLinesToStdout = "-";
inline constexpr std::string_view kEventLinesOff = "off";
Result<std::function<void(std::string_view)>, std::string> open_event_lines(
    const std::string& target);

// An event as a JSON object: Auth0's log fields (date as RFC 3339 UTC with milliseconds, type,
// description, client_id, user_id, ip, user_agent, audience, scope, details as an object,
// log_id as text once the store gave one), empty fields left out.
boost::json::object event_to_json(const store::Event& event);

class EventLog {
 public:
  // Receives one JSON line (without its newline) per event: stdout, a file, or nothing.
  using LineWriter = std::function<void(std::string_view line)>;

  struct Stats {
    std::uint64_t recorded = 0;        // accepted by record()
    std::uint64_t written = 0;         // stored
    std::uint64_t dropped = 0;         // lost: the queue was full
    std::uint64_t write_failures = 0;  // store writes that failed (their events were kept)
  };

  explicit EventLog(store::EventStore& store, LineWriter lines = {},
                    std::size_t max_queued = kMaxQueuedEvents);
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Queues `event`; its text is cut to the limits above. Its date must be set by the caller.
  void record(store::Event event);
  // Writes what is queued: JSON lines first (once per event), then the store. Returns how many
  // events reached the store. One flush runs at a time.
  std::size_t flush();
  // Deletes stored events older than the retention's age at `now`, and all but its newest
  // max_count. Returns how many were deleted; a store failure is counted and returns 0.
  std::int64_t apply_retention(const EventRetention& retention, store::PreciseTimestamp now);

  Stats stats() const;
  std::size_t queued() const;

 private:
  store::EventStore& store_;
  LineWriter lines_;
  const std::size_t max_queued_;

  mutable std::mutex mu_;
  std::deque<store::Event> incoming_;  // recorded, lines not written yet
  std::deque<store::Event> unstored_;  // lines written, store write pending (flush only)
  std::mutex flush_mu_;

  std::atomic<std::uint64_t> recorded_{0};
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> write_failures_{0};
};

}  // namespace signet::server
