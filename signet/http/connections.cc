#include "signet/http/connections.h"

namespace signet::http::internal {

ConnectionTracker::Admission ConnectionTracker::add(std::uint64_t id,
                                                    std::weak_ptr<Connection> connection,
                                                    std::size_t limit) {
  const std::lock_guard lock(mutex_);
  // Checked under the same lock as begin_stop(), so a connection is either told to stop or refused.
  if (stopping_.load(std::memory_order_relaxed)) {
    return Admission::kStopping;
  }
  if (connections_.size() >= limit) {
    return Admission::kFull;
  }
  connections_.emplace(id, std::move(connection));
  return Admission::kAdmitted;
}

void ConnectionTracker::remove(std::uint64_t id) {
  const std::lock_guard lock(mutex_);
  connections_.erase(id);
}

std::vector<std::shared_ptr<Connection>> ConnectionTracker::begin_stop() {
  const std::lock_guard lock(mutex_);
  stopping_.store(true, std::memory_order_release);
  std::vector<std::shared_ptr<Connection>> live;
  for (const auto& [id, weak] : connections_) {
    if (auto connection = weak.lock()) {
      live.push_back(std::move(connection));
    }
  }
  return live;
}

std::vector<std::shared_ptr<Connection>> ConnectionTracker::snapshot() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Connection>> live;
  for (const auto& [id, weak] : connections_) {
    if (auto connection = weak.lock()) {
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
