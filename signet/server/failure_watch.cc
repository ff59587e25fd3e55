#include "signet/server/failure_watch.h"

#include <algorithm>

namespace signet::server {

FailureWatch::FailureWatch(std::size_t max_entries) : max_entries_(max_entries) {}

bool FailureWatch::suspect(std::string_view key, store::Timestamp now) const {
  std::lock_guard lock(mu_);
  if (now < saturated_until_) {
    return true;
  }
  if (until_.empty()) {
    return false;
  }
  const auto it = until_.find(std::string(key));
  return it != until_.end() && now < it->second;
}

void FailureWatch::note_failure(std::string_view key, store::Timestamp now,
                                store::Timestamp until) {
  std::lock_guard lock(mu_);
  auto it = until_.find(std::string(key));
  if (it != until_.end()) {
    it->second = std::max(it->second, until);
    return;
  }
  if (until_.size() >= max_entries_) {
    // Entries that can no longer matter make room.
    std::erase_if(until_, [&](const auto& e) { return e.second <= now; });
    if (until_.size() >= max_entries_) {
      saturated_until_ = std::max(saturated_until_, until);
      return;
    }
  }
  until_.emplace(std::string(key), until);
}

void FailureWatch::forget(std::string_view key) {
  std::lock_guard lock(mu_);
  until_.erase(std::string(key));
}

}  // namespace signet::server
