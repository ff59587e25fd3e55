#include "signet/common/periodic_task.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace signet {
namespace {

using namespace std::chrono_literals;

// Generous: what a loaded test machine may need; only a broken task takes this long.
constexpr auto kDeadline = 60s;
// Long enough that no test here ever sees a run that only the interval would start.
constexpr auto kNever = std::chrono::hours{24};

// Counts runs and lets a test wait for a count, or hold a run until released.
class Runs {
 public:
  void run() {
    std::unique_lock lock(mu_);
    ++count_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return !held_; });
    ++finished_;
    cv_.notify_all();
  }
  // Waits until `n` runs have started; false at the deadline.
  bool wait_for_started(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kDeadline, [&] { return count_ >= n; });
  }
  int started() {
    std::lock_guard lock(mu_);
    return count_;
  }
  int finished() {
    std::lock_guard lock(mu_);
    return finished_;
  }
  void hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
  int finished_ = 0;
  bool held_ = false;
};

TEST(PeriodicTaskTest, RunsAgainAndAgain) {
  Runs runs;
  PeriodicTask task("test task", 1ms, PeriodicTask::Start::kAfterInterval, [&] { runs.run(); });
  EXPECT_TRUE(runs.wait_for_started(3));
}

TEST(PeriodicTaskTest, StartNowRunsAtOnce) {
  Runs runs;
  PeriodicTask task("test task", kNever, PeriodicTask::Start::kNow, [&] { runs.run(); });
  EXPECT_TRUE(runs.wait_for_started(1));
}

TEST(PeriodicTaskTest, WakeRunsAtOnceWhateverTheInterval) {
  Runs runs;
  PeriodicTask task("test task", kNever, PeriodicTask::Start::kAfterInterval, [&] { runs.run(); });
  EXPECT_EQ(runs.started(), 0);  // a day away
  task.wake();
  EXPECT_TRUE(runs.wait_for_started(1));
  task.wake();
  EXPECT_TRUE(runs.wait_for_started(2));
}

TEST(PeriodicTaskTest, WakesDuringARunAreNotLost) {
  Runs runs;
  runs.hold();
  PeriodicTask task("test task", kNever, PeriodicTask::Start::kNow, [&] { runs.run(); });
  ASSERT_TRUE(runs.wait_for_started(1));
  task.wake();  // announced while the first run still reads the old state
  task.wake();
  runs.release();
  EXPECT_TRUE(runs.wait_for_started(2));
}

TEST(PeriodicTaskTest, DestructionWithALongIntervalIsPrompt) {
  Runs runs;
  const auto started = std::chrono::steady_clock::now();
  {
    PeriodicTask task("test task", kNever, PeriodicTask::Start::kNow, [&] { runs.run(); });
    ASSERT_TRUE(runs.wait_for_started(1));
  }
  // Not a day: the wait for the next turn ends with the stop request.
  EXPECT_LT(std::chrono::steady_clock::now() - started, kDeadline);
  EXPECT_EQ(runs.finished(), 1);
}

TEST(PeriodicTaskTest, StopWaitsForTheRunInProgress) {
  Runs runs;
  runs.hold();
  PeriodicTask task("test task", kNever, PeriodicTask::Start::kNow, [&] { runs.run(); });
  ASSERT_TRUE(runs.wait_for_started(1));
  std::thread stopper([&] { task.stop(); });
  runs.release();
  stopper.join();
  EXPECT_EQ(runs.finished(), 1);  // stop() returned only after the run had ended
  task.stop();                    // again: nothing left to do
  task.wake();                    // after stop: harmless
  EXPECT_EQ(runs.started(), 1);
}

TEST(PeriodicTaskTest, AnExceptionIsReportedAndTheTaskRunsOn) {
  Runs runs;
  std::mutex mu;
  std::optional<std::string> reported;
  PeriodicTask task(
      "test task", kNever, PeriodicTask::Start::kNow,
      [&] {
        runs.run();
        if (runs.started() == 1) {
          throw std::runtime_error("the store is away");
        }
      },
      [&](const std::string& what) {
        std::lock_guard lock(mu);
        reported = what;
      });
  ASSERT_TRUE(runs.wait_for_started(1));
  task.wake();
  ASSERT_TRUE(runs.wait_for_started(2));  // the thread survived the exception
  std::lock_guard lock(mu);
  EXPECT_EQ(reported, "the store is away");
}

TEST(PeriodicTaskTest, AnExceptionWithoutAReportGoesToStderr) {
  Runs runs;
  ::testing::internal::CaptureStderr();
  {
    PeriodicTask task("the sweeper", kNever, PeriodicTask::Start::kNow, [&] {
      runs.run();
      throw std::runtime_error("disk full");
    });
    ASSERT_TRUE(runs.wait_for_started(1));
    task.stop();  // the report is written before the run ends
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "the sweeper failed: disk full\n");
}

}  // namespace
}  // namespace signet
