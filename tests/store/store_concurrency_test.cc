// The store shared between threads, connections and processes, on each backend: no lost
// updates, changes seen by other connections, committed data surviving a killed process.

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "signet/store/sqlite_store.h"
#include "tests/store/store_test_support.h"

namespace signet::store::testing {
namespace {

using std::chrono::seconds;

constexpr int kThreads = 4;
constexpr int kWritesPerThread = 50;

std::unique_ptr<SqlStore> open_or_die(const std::string& path, SqliteStore::Options options = {}) {
  auto store = SqliteStore::open(path, options);
  EXPECT_TRUE(store.ok()) << store.error().message;
  return store.ok() ? std::move(store).value() : nullptr;
}

// --- change notification

TEST_P(StoreTest, GenerationMovesWithEveryConfigurationWriteFromAnyConnection) {
  auto other = open_another();  // e.g. the admin CLI
  ASSERT_NE(other, nullptr);
  const std::uint64_t g0 = *store_->generation();

  ASSERT_TRUE(other->create_api(make_api()).ok());
  const std::uint64_t g1 = *store_->generation();
  EXPECT_GT(g1, g0) << "the server must see the CLI's change";

  ASSERT_TRUE(store_->create_application(make_app()).ok());
  const std::uint64_t g2 = *other->generation();
  EXPECT_GT(g2, g1) << "and the CLI the server's";

  for (auto write : std::vector<std::function<bool()>>{
           [&] { return other->create_user(make_user()).ok(); },
           [&] {
             return other->create_client_grant({0, "client-1", make_api().identifier, {}, kNow})
                 .ok();
           },
           [&] {
             return other->add_user_permissions("auth0|1", make_api().identifier, {"read:messages"})
                 .ok();
           },
           [&] {
             User u = make_user();
             u.blocked = true;
             return other->update_user(u).ok();
           },
           [&] {
             return other->insert_signing_keys({make_key("k1", SigningKeyState::kCurrent)}).ok();
           },
           [&] { return other->delete_api(make_api().identifier).ok(); }}) {
    const std::uint64_t before = *store_->generation();
    ASSERT_TRUE(write());
    EXPECT_GT(*store_->generation(), before);
  }
}

// Request-path writes must not flush every replica's configuration cache.
TEST_P(StoreTest, RefreshTokensAndFailedLoginsDoNotMoveTheGeneration) {
  seed();
  const std::uint64_t g = *store_->generation();
  ASSERT_TRUE(store_->insert_refresh_token(make_refresh("rt1")).ok());
  ASSERT_TRUE(store_->rotate_refresh_token("rt1", make_refresh("rt2"), "", kNow).ok());
  ASSERT_TRUE(store_->revoke_refresh_token_family("fam-1").ok());
  const FailedLoginKey key{FailedLoginSubject::kUser, "u", "::1"};
  ASSERT_TRUE(store_->record_failed_login(key, kNow, {}).ok());
  ASSERT_TRUE(store_->reset_failed_logins(key).ok());
  EXPECT_EQ(*store_->generation(), g);
  // Reads and refused writes do not move it either.
  ASSERT_TRUE(store_->list_apis().ok());
  ASSERT_FALSE(store_->create_api(make_api()).ok());
  EXPECT_EQ(*store_->generation(), g);
}

// What a server does: poll a few times a second, notice another process's change.
TEST_P(StoreTest, APollingServerNoticesAnotherProcessWithinASecond) {
  const std::uint64_t start = *store_->generation();
  std::atomic<bool> seen{false};
  std::thread poller([&] {
    const auto deadline = std::chrono::steady_clock::now() + seconds{1};
    while (std::chrono::steady_clock::now() < deadline) {
      if (*store_->generation() != start) {
        seen = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
  });
  auto cli = open_another();
  ASSERT_NE(cli, nullptr);
  ASSERT_TRUE(cli->create_api(make_api()).ok());
  poller.join();
  EXPECT_TRUE(seen);
}

// --- concurrency

TEST_P(StoreTest, FourThreadsOnOneStoreLoseNoUpdates) {
  const FailedLoginKey key{FailedLoginSubject::kClient, "client-1", "192.0.2.7"};
  const LockoutPolicy never{1'000'000, seconds{1}};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::atomic<int> failures{0};
  std::mutex mu;
  std::string first_failure;
  auto count = [&](const auto& result) {
    if (!result.ok()) {
      ++failures;
      std::lock_guard lock(mu);
      first_failure = first_failure.empty() ? describe(result.error()) : first_failure;
    }
  };
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        count(store_->record_failed_login(key, kNow, never));
        count(store_->create_user(make_user("u" + std::to_string(t) + "-" + std::to_string(i),
                                            std::to_string(t) + "-" + std::to_string(i) + "@x")));
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures, 0) << first_failure;
  EXPECT_EQ(store_->get_failed_logins(key)->count, kThreads * kWritesPerThread);
  EXPECT_EQ(store_->list_users()->size(), static_cast<std::size_t>(kThreads * kWritesPerThread));
}

// Separate connections (as separate processes would have) wait for each other's write lock
// instead of failing or losing increments.
TEST_P(StoreTest, FourConnectionsWritingAtOnceLoseNoUpdates) {
  const FailedLoginKey key{FailedLoginSubject::kUser, "bob", "198.51.100.1"};
  const LockoutPolicy never{1'000'000, seconds{1}};
  std::vector<std::unique_ptr<SqlStore>> stores;
  for (int t = 0; t < kThreads; ++t) {
    stores.push_back(open_another());
    ASSERT_NE(stores.back(), nullptr);
  }
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        auto r = stores[t]->record_failed_login(key, kNow, never);
        failures += !r.ok();
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(store_->get_failed_logins(key)->count, kThreads * kWritesPerThread);
}

// Two editors (say the console and the CLI) read the same revision and both write it back: the
// check happens inside the write transaction, so exactly one wins and the other learns it lost,
// whichever connection commits first.
TEST_P(StoreTest, TwoReadModifyWritesOfOneRevisionLetExactlyOneWin) {
  constexpr int kRounds = 20;
  auto other = open_another();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(store_->create_user(make_user()).ok());
  for (int round = 0; round < kRounds; ++round) {
    const Revision read = store_->get_user("auth0|1")->revision;
    std::atomic<bool> go{false};
    std::vector<StoreResult<User>> results(2, fail(StoreError{StoreErrorCode::kInternal, ""}));
    std::vector<std::thread> editors;
    for (int e = 0; e < 2; ++e) {
      editors.emplace_back([&, e] {
        User edit = make_user();
        edit.email = "editor" + std::to_string(e) + "@example.com";
        while (!go) {
          std::this_thread::yield();
        }
        results[e] = (e == 0 ? store_ : other)->update_user(edit, read);
      });
    }
    go = true;
    for (auto& th : editors) {
      th.join();
    }
    ASSERT_NE(results[0].ok(), results[1].ok()) << "round " << round;
    const int winner = results[0].ok() ? 0 : 1;
    EXPECT_EQ(results[1 - winner].error().code, StoreErrorCode::kStale)
        << results[1 - winner].error().message;
    auto stored = store_->get_user("auth0|1");
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(*stored, *results[winner]) << "the loser wrote something";
    EXPECT_EQ(stored->email, "editor" + std::to_string(winner) + "@example.com");
  }
}

TEST_F(SqliteStoreTest, AWriterHeldUpPastTheBusyTimeoutFailsBusyWhileReadersGoOn) {
  ASSERT_TRUE(store_->create_api(make_api()).ok());
  auto impatient = open_or_die(path(), {.busy_timeout = std::chrono::milliseconds{100}});
  ASSERT_NE(impatient, nullptr);
  sqlite3* holder = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &holder), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  auto write = impatient->create_api(make_api("urn:blocked"));
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().code, StoreErrorCode::kBusy) << write.error().message;
  EXPECT_TRUE(impatient->get_api(make_api().identifier).ok());  // WAL: readers are not blocked

  ASSERT_EQ(sqlite3_exec(holder, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(holder);
  EXPECT_TRUE(impatient->create_api(make_api("urn:blocked")).ok());
}

// --- durability across a killed process

// The child writes users one commit at a time and reports each committed id on the pipe;
// it never returns into the test framework.
[[noreturn]] void child_writer(std::unique_ptr<SqlStore> store, int report_fd, int commits) {
  if (store == nullptr) {
    ::_exit(2);
  }
  for (int i = 0; i < commits; ++i) {
    const std::string id = "crash-" + std::to_string(i);
    if (!store->create_user(make_user(id, id + "@example.com")).ok()) {
      ::_exit(3);
    }
    const std::string line = std::to_string(i) + "\n";
    if (::write(report_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      ::_exit(4);
    }
  }
  ::_exit(0);  // no destructors: the connection is never closed cleanly
}

// Reads the child's reports until `want` ids arrived or the pipe closed.
std::vector<int> read_reports(int fd, int want) {
  std::vector<int> ids;
  std::string buffer;
  char chunk[256];
  while (static_cast<int>(ids.size()) < want) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) {
      break;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      ids.push_back(std::stoi(buffer.substr(0, nl)));
      buffer.erase(0, nl + 1);
    }
  }
  return ids;
}

void expect_every_reported_user(SqlStore& store, const std::vector<int>& ids) {
  for (int i : ids) {
    EXPECT_TRUE(store.get_user("crash-" + std::to_string(i)).ok()) << "lost commit " << i;
  }
}

// The store is open (and its schema made) before the fork, so the child only writes users.
TEST_P(StoreTest, EveryCommitSurvivesSigkillMidBurst) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    child_writer(open_another(), fds[1], 1'000'000);  // far more than it gets to write
  }
  ::close(fds[1]);
  const auto ids = read_reports(fds[0], 200);
  ::kill(pid, SIGKILL);  // mid-loop: most likely inside a transaction
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  // Anything that was committed but not yet reported when the signal landed counts too.
  std::vector<int> all = ids;
  const auto late = read_reports(fds[0], 1'000'000);
  all.insert(all.end(), late.begin(), late.end());
  ::close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended on its own: " << status;
  ASSERT_GE(all.size(), 200u);
  expect_every_reported_user(*open_another(), all);
}

TEST_P(StoreTest, EveryCommitSurvivesAnExitWithoutCleanup) {
  constexpr int kCommits = 50;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    child_writer(open_another(), fds[1], kCommits);
  }
  ::close(fds[1]);
  const auto ids = read_reports(fds[0], kCommits);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kCommits));
  auto store = open_another();
  ASSERT_NE(store, nullptr);
  expect_every_reported_user(*store, ids);
  EXPECT_EQ(store->list_users()->size(), static_cast<std::size_t>(kCommits));
}

}  // namespace
}  // namespace signet::store::testing
