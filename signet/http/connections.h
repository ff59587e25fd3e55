#pragma once

// Internal to signet_http: the set of open connections, so that the server can cap their number
// (in all and per client address), make room by closing the connection idle the longest, and
// reach each one on stop. Connections register themselves and leave from their destructor.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace signet::http::internal {

// One open connection, as seen by the server. The virtual calls are thread-safe and return at
// once; the work happens on the connection's own strand.
class Connection {
 public:
  using Clock = std::chrono::steady_clock;

  virtual ~Connection() = default;
  // Close now if idle between requests; otherwise finish the current request, answer it with
  // Connection: close, and close.
  virtual void begin_stop() = 0;
  // Close now, whatever the connection is doing (the shutdown grace period is over).
  virtual void force_close() = 0;
  // Close now: the tracker evicted this connection while it was idle, to make room for another
  // (try_evict below has already decided; this only wakes the connection up).
  virtual void evict() = 0;

  // Idle bookkeeping, lock-free so that a request costs no mutex: the connection writes it on its
  // strand, the tracker reads it and claims idle connections under its own mutex.
  //
  // Waiting for the next request of a keep-alive connection, since `since`.
  void mark_idle(Clock::time_point since) {
    idle_since_.store(since.time_since_epoch().count(), std::memory_order_release);
  }
  // No longer waiting (bytes arrived, or the wait failed). False when the tracker evicted the
  // connection first: it must then close without reading what arrived.
  bool mark_busy() { return idle_since_.exchange(kBusy, std::memory_order_acq_rel) != kEvicted; }

 private:
  friend class ConnectionTracker;
  static constexpr Clock::rep kBusy = -1;      // not between keep-alive requests
  static constexpr Clock::rep kEvicted = -2;   // claimed by the tracker; must close
  std::atomic<Clock::rep> idle_since_{kBusy};  // otherwise: steady_clock ticks since idle
};

class ConnectionTracker {
 public:
  enum class Admission {
    kAdmitted,
    kFull,         // the server holds its limit and none of its connections is idle
    kAddressFull,  // the connection's address group holds its limit
    kStopping,
  };

  struct Limits {
    std::size_t total = 0;
    std::size_t per_address = 0;
  };

  std::uint64_t next_id() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

  // Registers a connection from address group `group` ("" = counted in the total only: a trusted
  // proxy, whose connections carry many clients) unless the server is stopping or the group holds
  // limits.per_address connections. When the server holds limits.total connections, the one idle
  // the longest between keep-alive requests is evicted to make room (a client cannot hold the
  // server by opening connections and leaving them idle); only when none is idle is the newcomer
  // refused. `connection` must stay alive while it is registered, i.e. remove() it from its
  // destructor.
  Admission add(std::uint64_t id, const std::shared_ptr<Connection>& connection,
                const std::string& group, const Limits& limits);
  // Forgets a connection; unknown ids are ignored (a refused connection was never added).
  void remove(std::uint64_t id);

  // From now on add() refuses everything; returns the connections open at this moment.
  std::vector<std::shared_ptr<Connection>> begin_stop();
  // The connections open at this moment.
  std::vector<std::shared_ptr<Connection>> snapshot() const;

  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  std::size_t size() const;
  // The number of open connections, without the mutex: for decisions that may be a little late.
  std::size_t approximate_size() const { return open_.load(std::memory_order_relaxed); }
  // Connections add() has refused with `why` (not kAdmitted), and idle ones it evicted, so far.
  std::uint64_t refused(Admission why) const {
    return refused_[static_cast<std::size_t>(why)].load(std::memory_order_relaxed);
  }
  std::uint64_t evicted() const { return evicted_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    // Read without locking the weak pointer: the connection removes itself, under the mutex,
    // before it is destroyed.
    Connection* raw;
    std::weak_ptr<Connection> connection;
    std::string group;
  };

  // Claims the connection idle the longest and sets `victim` to it (null when it is already
  // closing); false when no connection is idle. Called with mutex_ held.
  bool try_evict(std::shared_ptr<Connection>& victim);

  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Entry> connections_;
  std::unordered_map<std::string, std::size_t> per_group_;
  std::atomic<std::size_t> open_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> next_id_{1};
  std::array<std::atomic<std::uint64_t>, 4> refused_{};  // by Admission
  std::atomic<std::uint64_t> evicted_{0};
  // Counts a refusal for the metrics and returns it.
  Admission refuse(Admission why) {
    refused_[static_cast<std::size_t>(why)].fetch_add(1, std::memory_order_relaxed);
    return why;
  }
};

}  // namespace signet::http::internal
