#pragma once

// A callable run now and then on its own thread: the tenant's store watcher, the JWKS cache's
// refresher and the server's housekeeping sweep.
//
// - The task runs every `interval` (measured from the end of one run to the start of the next, so
//   a slow run never piles up behind itself), first at once or after one interval (Start).
// - wake() makes it run as soon as the current run, if any, ends: a change was announced.
//   Wakes that arrive during a run are merged into one more run, never lost.
// - stop() (and the destructor) returns once a run in progress has ended; a task waiting for its
//   next turn is not waited for, so stopping is prompt whatever the interval.
// - An exception from the task is caught and given to the `failed` report (to stderr without
//   one); the next run happens on schedule. A task that must stop itself on an error says so to
//   its owner, which stops it.
//
// Fixed intervals only: no user needs a back-off today (the JWKS cache keeps its own retry pace
// inside its task).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace signet {

class PeriodicTask {
 public:
  enum class Start {
    kNow,            // the first run starts at once
    kAfterInterval,  // the first run starts one interval after construction (or at a wake())
  };
  using Task = std::function<void()>;
  // Told what an exception from a run said; called on the task's thread.
  using FailureReport = std::function<void(const std::string& what)>;

  // Starts the thread. `name` appears in the stderr line used when `failed` is empty.
  PeriodicTask(std::string name, std::chrono::milliseconds interval, Start start, Task task,
               FailureReport failed = {});
  ~PeriodicTask();
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Runs the task as soon as possible (see above). Safe from any thread, also after stop().
  void wake();
  // Waits for a run in progress to end, then ends the thread. Idempotent; never from the task.
  void stop();

 private:
  void loop(std::stop_token stop);
  void run_once();

  const std::string name_;
  const std::chrono::milliseconds interval_;
  const Task task_;
  const FailureReport failed_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool woken_ = false;   // guarded by mu_
  std::jthread thread_;  // last: started once everything it uses exists
};

}  // namespace signet
