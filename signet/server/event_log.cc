#include "signet/server/event_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include <boost/json.hpp>

#include "signet/common/fd_io.h"
#include "signet/http/access_log.h"
#include "signet/store/validate.h"

namespace signet::server {

namespace json = boost::json;

namespace {

struct TypeInfo {
  std::string_view type;
  std::string_view description;
};

namespace t = event_type;

constexpr std::array kTypes = {
    TypeInfo{t::kClientCredentialsExchange,
             "Success Exchange (Client Credentials for Access Token)"},
    TypeInfo{t::kClientCredentialsExchangeFailed,
             "Failed Exchange (Client Credentials for Access Token)"},
    TypeInfo{t::kPasswordExchange, "Success Exchange (Password for Access Token)"},
    TypeInfo{t::kPasswordExchangeFailed, "Failed Exchange (Password for Access Token)"},
    TypeInfo{t::kRefreshTokenExchange, "Success Exchange (Refresh Token for Access Token)"},
    TypeInfo{t::kRefreshTokenExchangeFailed, "Failed Exchange (Refresh Token for Access Token)"},
    TypeInfo{t::kRefreshTokenReuse,
             "Failed Exchange (Rotating Refresh Token reuse detected: the family is revoked)"},
    TypeInfo{t::kCodeExchange, "Success Exchange (Authorization Code for Access Token)"},
    TypeInfo{t::kCodeExchangeFailed, "Failed Exchange (Authorization Code for Access Token)"},
    TypeInfo{t::kCodeReuse,
             "Authorization code used twice: the tokens of its first use are revoked"},
    TypeInfo{t::kUnsupportedGrant, "Failed Exchange (missing or unsupported grant_type)"},
    TypeInfo{t::kRevocation, "Success Revocation (a token was revoked)"},
    TypeInfo{t::kRevocationFailed, "Failed Revocation"},
    TypeInfo{t::kLogin, "Success Login"},
    TypeInfo{t::kLoginWrongPassword, "Failed Login (wrong password)"},
    TypeInfo{t::kLoginUnknownUser, "Failed Login (unknown email)"},
    TypeInfo{t::kLoginFailed, "Failed Login"},
    TypeInfo{t::kLogout, "Success Logout"},
    TypeInfo{t::kAccountBlocked, "Blocked Account (too many failed logins from one place)"},
    TypeInfo{t::kAddressBlocked, "Blocked IP Address (failed logins at too many accounts)"},
    TypeInfo{t::kClientBlocked, "Blocked Client (too many wrong client secrets from one place)"},
    TypeInfo{t::kAccountUnblocked, "Account Unblocked (by an administrator)"},
    TypeInfo{t::kAdminChange, "Success API Operation (an admin change)"},
    TypeInfo{t::kAdminChangeFailed, "Failed API Operation (an admin change was refused)"},
    TypeInfo{t::kKeyRotated, "Signing Keys Rotated"},
    TypeInfo{t::kKeyRevoked, "Signing Key Revoked"},
};

constexpr std::array<std::string_view, kTypes.size()> type_names() {
  std::array<std::string_view, kTypes.size()> out{};
  for (std::size_t i = 0; i < kTypes.size(); ++i) {
    out[i] = kTypes[i].type;
  }
  return out;
}

constexpr auto kTypeNames = type_names();

// Cuts `text` to at most `limit` bytes without splitting a UTF-8 sequence.
void cut(std::string& text, std::size_t limit) {
  if (text.size() <= limit) {
    return;
  }
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  text.resize(end);
}

// The store refuses NUL in text (PostgreSQL cannot hold it); a user agent may carry one.
void drop_nul(std::string& text) {
  std::erase(text, '\0');
}

}  // namespace

std::string_view describe_event_type(std::string_view type) {
  for (const auto& info : kTypes) {
    if (info.type == type) {
      return info.description;
    }
  }
  return {};
}

std::span<const std::string_view> event_types() {
  return kTypeNames;
}

std::string_view admin_change_type(std::string_view operation, bool succeeded) {
  if (!succeeded) {
    return t::kAdminChangeFailed;
  }
  if (operation == "keys rotate" || operation.ends_with("keys/signing/rotate")) {
    return t::kKeyRotated;
  }
  if (operation == "keys revoke" ||
      (operation.starts_with("PUT keys/signing/") && operation.ends_with("/revoke"))) {
    return t::kKeyRevoked;
  }
  if (operation == "users unblock" || operation.starts_with("DELETE user-blocks/")) {
    return t::kAccountUnblocked;
  }
  return t::kAdminChange;
}

json::object event_to_json(const store::Event& e) {
  json::object out;
  // A JSON line is written before the store gives the event its id.
  if (e.id != 0) {
    out["log_id"] = std::to_string(e.id);
  }
  out["date"] = http::format_rfc3339(e.date);
  out["type"] = e.type;
  out["description"] =
      e.description.empty() ? std::string{describe_event_type(e.type)} : e.description;
  const std::pair<std::string_view, const std::string*> optional[] = {
      {"client_id", &e.client_id},  {"user_id", &e.user_id}, {"audience", &e.audience},
      {"scope", &e.scope},          {"error", &e.error},     {"ip", &e.ip},
      {"user_agent", &e.user_agent}};
  for (const auto& [name, value] : optional) {
    if (!value->empty()) {
      out[name] = *value;
    }
  }
  if (!e.details.empty()) {
    boost::system::error_code ec;
    auto details = json::parse(e.details, ec);
    // Details are written by signet as a JSON object; anything else is shown as the text it is.
    if (!ec && details.is_object()) {
      out["details"] = std::move(details);
    } else {
      out["details"] = e.details;
    }
  }
  return out;
}

Result<std::function<void(std::string_view)>, std::string> open_event_lines(
    const std::string& target) {
  const auto write_line = [](int fd, std::string_view line) {
    std::string out;
    out.reserve(line.size() + 1);
    out.append(line);
    out.push_back('\n');
    // A failed or short write loses the line, never the request: the store keeps the event.
    (void)write_all(fd, out);
  };
  if (target == kEventLinesOff) {
    return std::function<void(std::string_view)>{};
  }
  if (target == kEventLinesToStdout) {
    return std::function<void(std::string_view)>(
        [write_line](std::string_view line) { write_line(STDOUT_FILENO, line); });
  }
  const int fd = ::open(target.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail("cannot open " + target + " for appending: " + std::strerror(errno));
  }
  auto owned = std::make_shared<UniqueFd>(fd);
  return std::function<void(std::string_view)>(
      [write_line, owned](std::string_view line) { write_line(owned->get(), line); });
}

EventLog::EventLog(store::EventStore& store, LineWriter lines, std::size_t max_queued)
    : store_(store), lines_(std::move(lines)), max_queued_(max_queued) {}

void EventLog::record(store::Event event) {
  for (auto* text : {&event.description, &event.client_id, &event.user_id, &event.audience,
                     &event.scope, &event.error, &event.ip}) {
    drop_nul(*text);
    cut(*text, kMaxEventTextBytes);
  }
  drop_nul(event.user_agent);
  cut(event.user_agent, kMaxEventUserAgentBytes);
  if (event.details.size() > store::kMaxEventDetailsLength) {
    event.details.clear();  // a cut JSON object is no longer one; callers keep details small
  }
  std::lock_guard lock(mu_);
  if (incoming_.size() + unstored_.size() >= max_queued_) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  incoming_.push_back(std::move(event));
  recorded_.fetch_add(1, std::memory_order_relaxed);
}

std::size_t EventLog::flush() {
  std::lock_guard flushing(flush_mu_);
  std::deque<store::Event> fresh;
  {
    std::lock_guard lock(mu_);
    fresh.swap(incoming_);
  }
  if (lines_) {
    for (const auto& e : fresh) {
      lines_(json::serialize(event_to_json(e)));
    }
  }
  std::deque<store::Event> pending;
  {
    std::lock_guard lock(mu_);
    unstored_.insert(unstored_.end(), std::make_move_iterator(fresh.begin()),
                     std::make_move_iterator(fresh.end()));
    pending.swap(unstored_);
  }
  std::size_t stored = 0;
  while (!pending.empty()) {
    const std::size_t n = std::min(pending.size(), kMaxEventsPerWrite);
    std::vector<store::Event> batch(std::make_move_iterator(pending.begin()),
                                    std::make_move_iterator(pending.begin() + n));
    if (auto r = store_.append_events(batch); !r) {
      write_failures_.fetch_add(1, std::memory_order_relaxed);
      if (r.error().code == store::StoreErrorCode::kInvalid) {
        // An event the store refuses will be refused again: drop it rather than block the queue.
        // record() keeps events within the store's rules, so this is a bug, but not a fatal one.
        dropped_.fetch_add(n, std::memory_order_relaxed);
        pending.erase(pending.begin(), pending.begin() + n);
        continue;
      }
      for (std::size_t i = 0; i < n; ++i) {
        pending[i] = std::move(batch[i]);
      }
      break;
    }
    written_.fetch_add(n, std::memory_order_relaxed);
    stored += n;
    pending.erase(pending.begin(), pending.begin() + n);
  }
  if (!pending.empty()) {
    std::lock_guard lock(mu_);
    // Kept for the next flush, ahead of what arrived meanwhile, within the queue's bound: the
    // oldest are dropped first when a long outage fills it.
    pending.insert(pending.end(), std::make_move_iterator(unstored_.begin()),
                   std::make_move_iterator(unstored_.end()));
    const std::size_t room = max_queued_ > incoming_.size() ? max_queued_ - incoming_.size() : 0;
    if (pending.size() > room) {
      const std::size_t excess = pending.size() - room;
      dropped_.fetch_add(excess, std::memory_order_relaxed);
      pending.erase(pending.begin(), pending.begin() + excess);
    }
    unstored_.swap(pending);
  }
  return stored;
}

std::int64_t EventLog::apply_retention(const EventRetention& retention,
                                       store::PreciseTimestamp now) {
  auto deleted = store_.delete_old_events(
      now - std::chrono::duration_cast<std::chrono::milliseconds>(retention.max_age),
      retention.max_count);
  if (!deleted) {
    write_failures_.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  return *deleted;
}

EventLog::Stats EventLog::stats() const {
  return Stats{recorded_.load(std::memory_order_relaxed), written_.load(std::memory_order_relaxed),
               dropped_.load(std::memory_order_relaxed),
               write_failures_.load(std::memory_order_relaxed)};
}

std::size_t EventLog::queued() const {
  std::lock_guard lock(mu_);
  return incoming_.size() + unstored_.size();
}

}  // namespace signet::server
