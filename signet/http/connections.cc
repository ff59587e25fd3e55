#include "signet/http/connections.h"

namespace signet::http::internal {
namespace {

// How many times add() looks for an idle connection to evict when each one it picks turns busy
// before it can be claimed; then the newcomer is refused rather than holding the mutex longer.
constexpr int kEvictionAttempts = 4;

}  // namespace

ConnectionTracker::Admission ConnectionTracker::add(std::uint64_t id,
                                                    const std::shared_ptr<Connection>& connection,
                                                    const std::string& group,
                                                    const Limits& limits) {
  std::shared_ptr<Connection> evicted;
  {
    const std::lock_guard lock(mutex_);
    // Checked under the same lock as begin_stop(), so a connection is either told to stop or
    // refused.
    if (stopping_.load(std::memory_order_relaxed)) {
      return refuse(Admission::kStopping);
    }
    // One address cannot take the connections every other client needs.
    if (!group.empty()) {
      const auto it = per_group_.find(group);
      if (it != per_group_.end() && it->second >= limits.per_address) {
        return refuse(Admission::kAddressFull);
      }
    }
    if (connections_.size() >= limits.total) {
      if (!try_evict(evicted)) {
        return refuse(Admission::kFull);
      }
      evicted_.fetch_add(1, std::memory_order_relaxed);
    }
    connections_.emplace(id, Entry{connection.get(), connection, group});
    if (!group.empty()) {
      ++per_group_[group];
    }
    open_.store(connections_.size(), std::memory_order_relaxed);
  }
  if (evicted) {
    evicted->evict();  // outside the mutex: it only posts to the victim's strand
  }
  return Admission::kAdmitted;
}

bool ConnectionTracker::try_evict(std::shared_ptr<Connection>& victim) {
  for (int attempt = 0; attempt < kEvictionAttempts; ++attempt) {
    Connection* oldest = nullptr;
    Connection::Clock::rep oldest_since = 0;
    const std::weak_ptr<Connection>* oldest_weak = nullptr;
    for (const auto& [id, entry] : connections_) {
      const auto since = entry.raw->idle_since_.load(std::memory_order_acquire);
      if (since >= 0 && (oldest == nullptr || since < oldest_since)) {
        oldest = entry.raw;
        oldest_since = since;
        oldest_weak = &entry.connection;
      }
    }
    if (oldest == nullptr) {
      return false;
    }
    // Loses to the connection when a request starts on it meanwhile: that request is served.
    if (oldest->idle_since_.compare_exchange_strong(oldest_since, Connection::kEvicted,
                                                    std::memory_order_acq_rel)) {
      // Null when it is already being destroyed (waiting for the mutex to remove itself): room
      // is on its way without waking it.
      victim = oldest_weak->lock();
      return true;
    }
  }
  return false;
}

void ConnectionTracker::remove(std::uint64_t id) {
  const std::lock_guard lock(mutex_);
  const auto it = connections_.find(id);
  if (it == connections_.end()) {
    return;
  }
  if (!it->second.group.empty()) {
    const auto group = per_group_.find(it->second.group);
    if (group != per_group_.end() && --group->second == 0) {
      per_group_.erase(group);
    }
  }
  connections_.erase(it);
  open_.store(connections_.size(), std::memory_order_relaxed);
}

std::vector<std::shared_ptr<Connection>> ConnectionTracker::begin_stop() {
  const std::lock_guard lock(mutex_);
  stopping_.store(true, std::memory_order_release);
  std::vector<std::shared_ptr<Connection>> live;
  for (const auto& [id, entry] : connections_) {
    if (auto connection = entry.connection.lock()) {
      live.push_back(std::move(connection));
    }
  }
  return live;
}

std::vector<std::shared_ptr<Connection>> ConnectionTracker::snapshot() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Connection>> live;
  for (const auto& [id, entry] : connections_) {
    if (auto connection = entry.connection.lock()) {
      live.push_back(std::move(connection));
    }
  }
  return live;
}

std::size_t ConnectionTracker::size() const {
  const std::lock_guard lock(mutex_);
  return connections_.size();
}

}  // namespace signet::http::internal
