#include "signet/common/periodic_task.h"

#include <exception>
#include <iostream>
#include <utility>

namespace signet {

PeriodicTask::PeriodicTask(std::string name, std::chrono::milliseconds interval, Start start,
                           Task task, FailureReport failed)
    : name_(std::move(name)),
      interval_(interval),
      task_(std::move(task)),
      failed_(std::move(failed)),
      woken_(start == Start::kNow),
      thread_([this](std::stop_token stop) { loop(std::move(stop)); }) {}

PeriodicTask::~PeriodicTask() {
  stop();
}

void PeriodicTask::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void PeriodicTask::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();  // wakes the wait in loop() through the stop token
    thread_.join();
  }
}

void PeriodicTask::loop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  for (;;) {
    // True when woken; false after a whole interval; either way stop wins.
    cv_.wait_for(lock, stop, interval_, [this] { return woken_; });
    if (stop.stop_requested()) {
      return;
    }
    woken_ = false;
    lock.unlock();
    run_once();
    lock.lock();
  }
}

void PeriodicTask::run_once() {
  try {
    task_();
  } catch (const std::exception& e) {
    if (failed_) {
      failed_(e.what());
    } else {
      std::cerr << name_ << " failed: " << e.what() << "\n";
    }
  } catch (...) {
    if (failed_) {
      failed_("an exception that is not a std::exception");
    } else {
      std::cerr << name_ << " failed with an exception that is not a std::exception\n";
    }
  }
}

}  // namespace signet
