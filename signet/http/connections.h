#pragma once

// Internal to signet_http: the set of open connections, so that the server can cap their number
// and reach each one on stop. Connections register themselves and leave from their destructor.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace signet::http::internal {

// One open connection, as seen by the server. Both calls are thread-safe and return at once; the
// work happens on the connection's own strand.
class Connection {
 public:
  virtual ~Connection() = default;
  // Close now if idle between requests; otherwise finish the current request, answer it with
  // Connection: close, and close.
  virtual void begin_stop() = 0;
  // Close now, whatever the connection is doing (the shutdown grace period is over).
  virtual void force_close() = 0;
};

class ConnectionTracker {
 public:
  enum class Admission { kAdmitted, kFull, kStopping };

  std::uint64_t next_id() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

  // Registers a connection unless the server is stopping or already holds `limit` connections.
  Admission add(std::uint64_t id, std::weak_ptr<Connection> connection, std::size_t limit);
  // Forgets a connection; unknown ids are ignored (a refused connection was never added).
  void remove(std::uint64_t id);

  // From now on add() refuses everything; returns the connections open at this moment.
  std::vector<std::shared_ptr<Connection>> begin_stop();
  // The connections open at this moment.
  std::vector<std::shared_ptr<Connection>> snapshot() const;

  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> connections_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> next_id_{1};
};

}  // namespace signet::http::internal
